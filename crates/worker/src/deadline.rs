//! A job's wall-clock budget. It starts at the floor when the job is claimed and is set once the
//! audio's duration is known (a 3-hour file may take longer than a 3-minute one); when it passes,
//! the job stops, its lease is no longer renewed, and it FAILS.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// The message a job that ran out of time fails with.
pub const TIME_LIMIT_MESSAGE: &str = "Job exceeded its time limit";

pub struct Deadline {
    started: Instant,
    at: watch::Sender<Instant>,
}

impl Deadline {
    pub fn new(budget: Duration) -> Deadline {
        let started = Instant::now();
        Deadline {
            started,
            at: watch::Sender::new(started + budget),
        }
    }

    /// Moves the deadline to `budget` after the start.
    pub fn set_budget(&self, budget: Duration) {
        self.at.send_replace(self.started + budget);
    }

    /// Time left before the deadline (zero once it has passed).
    pub fn remaining(&self) -> Duration {
        self.at.borrow().saturating_duration_since(Instant::now())
    }

    /// Resolves when the deadline passes, following any move made meanwhile.
    pub async fn passed(&self) {
        let mut at = self.at.subscribe();
        loop {
            let when = *at.borrow_and_update();
            tokio::select! {
                _ = tokio::time::sleep_until(when) => {
                    if *at.borrow() <= Instant::now() {
                        return;
                    }
                }
                changed = at.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn follows_a_moved_deadline() {
        let d = Deadline::new(Duration::from_secs(10));
        d.set_budget(Duration::from_secs(100));
        let start = Instant::now();
        d.passed().await;
        assert!(start.elapsed() >= Duration::from_secs(100));
        assert_eq!(d.remaining(), Duration::ZERO);
    }
}
