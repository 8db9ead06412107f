//! A job's progress while its worker recognises it (docs/extensions.md, "Progress"). The
//! recognition thread says how far it has got as often as it likes (every decoded window, every
//! piece of audio the speaker model reads) into a [`Feed`], which only keeps the newest reading;
//! the [`Reporter`] writes that reading to the job store at most once a second, so a job costs
//! the database one small write a second however fast recognition goes. For a job whose request
//! streams its text, the words that settled since are appended to the job's text with it.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jobs::{JobStore, JobsError, Lease, Progress, Stage};
use tokio::sync::watch;

/// The shortest time between two writes of one job's progress.
const EVERY: Duration = Duration::from_secs(1);

/// How far the current stage has got, and since when it runs (for its rate).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Reading {
    stage: Stage,
    seconds: f64,
    at: Instant,
    stage_started: Instant,
}

impl Reading {
    /// Nothing recognised yet, at `now`.
    fn start(now: Instant) -> Reading {
        Reading {
            stage: Stage::Transcribing,
            seconds: 0.0,
            at: now,
            stage_started: now,
        }
    }
}

/// Where recognition reports, from its blocking thread.
pub struct Feed {
    tx: watch::Sender<Reading>,
    duration: f64,
    /// The job's text not yet written, when its request streams it.
    text: Option<Arc<SettledText>>,
}

/// Settled words' text waiting for the reporter.
#[derive(Default)]
pub struct SettledText {
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    text: String,
    /// Whether any word was told before: the next one is then written after a space.
    started: bool,
}

impl SettledText {
    fn push(&self, words: &[transcript::Word]) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        for word in words {
            if pending.started {
                pending.text.push(' ');
            }
            pending.text.push_str(&word.text);
            pending.started = true;
        }
    }

    fn take(&self) -> String {
        std::mem::take(&mut self.pending.lock().unwrap_or_else(|p| p.into_inner()).text)
    }

    /// Puts back text whose write failed, before what came since.
    fn put_back(&self, text: String) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.text.insert_str(0, &text);
    }
}

impl Feed {
    /// `fraction` (0..=1) of `stage`'s pass over the recording is done. Recognition reports
    /// fractions of the probed duration it was given, computed from the decoded audio's own
    /// positions (the end of each decoded window), so this is seconds of real audio done.
    pub fn set(&self, stage: Stage, fraction: f32) {
        let seconds = f64::from(fraction).clamp(0.0, 1.0) * self.duration;
        let now = Instant::now();
        self.tx.send_modify(|r| {
            if r.stage != stage {
                *r = Reading {
                    stage,
                    seconds: 0.0,
                    at: now,
                    stage_started: now,
                };
            }
            // Never backwards within a stage: a second pass over the audio (diarization
            // where speakers change) is not new progress.
            r.seconds = r.seconds.max(seconds);
            r.at = now;
        });
    }

    /// Where recognition tells its settled words, when the job streams its text (recognition
    /// of one channel at a time only: the words of split channels are merged by time at the end).
    pub fn settled_words(&self) -> Option<asr::SettledWords> {
        let text = self.text.clone()?;
        Some(asr::SettledWords(Arc::new(move |words| text.push(words))))
    }
}

/// Writes a job's progress to the store.
pub struct Reporter {
    store: Arc<dyn JobStore>,
    lease: Lease,
    duration: f64,
    rx: watch::Receiver<Reading>,
    written: Option<Reading>,
    text: Option<Arc<SettledText>>,
    /// Set once the store said the lease is gone: the lease keeper abandons the job then.
    lost: bool,
}

/// A feed and its reporter for the held job whose recording lasts `duration` seconds (as
/// probed); recognition starts now.
pub fn start(store: Arc<dyn JobStore>, lease: Lease, duration: f64) -> (Feed, Reporter) {
    let now = Instant::now();
    let (tx, rx) = watch::channel(Reading::start(now));
    let duration = if duration.is_finite() {
        duration.max(0.0)
    } else {
        0.0
    };
    let text = lease
        .job
        .streams_text
        .then(|| Arc::new(SettledText::default()));
    let reporter = Reporter {
        store,
        lease,
        duration,
        rx,
        written: None,
        text: text.clone(),
        lost: false,
    };
    (Feed { tx, duration, text }, reporter)
}

impl Reporter {
    /// Writes the newest reading at once (so progress shows as soon as recognition starts),
    /// then at most once a second while readings change. Runs until dropped.
    pub async fn run(&mut self) -> Infallible {
        loop {
            self.write().await;
            tokio::time::sleep(EVERY).await;
            if self.rx.changed().await.is_err() {
                // Recognition ended; `flush` writes its last reading.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Writes the newest reading if it was not written yet: recognition's last one, which
    /// does not wait for the rest of the second.
    pub async fn flush(&mut self) {
        self.write().await;
    }

    async fn write(&mut self) {
        self.write_text().await;
        let reading = *self.rx.borrow_and_update();
        if self.lost || self.written == Some(reading) {
            return;
        }
        let progress = progress_of(&reading, self.duration, Instant::now());
        match self.store.report_progress(&self.lease, &progress).await {
            Ok(()) => self.written = Some(reading),
            Err(JobsError::LeaseLost) => self.lost = true,
            // Progress is for show: a failed write is retried with the next reading.
            Err(e) => {
                tracing::debug!(job_id = %self.lease.job.job_id, error = %e, "progress not recorded")
            }
        }
    }
}

impl Reporter {
    async fn write_text(&mut self) {
        let Some(text) = &self.text else { return };
        let fresh = text.take();
        if self.lost || fresh.is_empty() {
            return;
        }
        match self.store.append_partial_text(&self.lease, &fresh).await {
            Ok(()) => {}
            Err(JobsError::LeaseLost) => self.lost = true,
            Err(e) => {
                tracing::debug!(job_id = %self.lease.job.job_id, error = %e, "streamed text not recorded");
                text.put_back(fresh);
            }
        }
    }
}

/// What the client sees of `r`: the fraction of the recording, and the time the stage still
/// needs at the rate it has gone so far (unknown until some audio is done), as of `now`.
fn progress_of(r: &Reading, duration: f64, now: Instant) -> Progress {
    let fraction = if duration > 0.0 {
        (r.seconds / duration).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let spent = r.at.duration_since(r.stage_started).as_secs_f64();
    let eta = (r.seconds > 0.0 && spent > 0.0).then(|| {
        let left = (duration - r.seconds).max(0.0) * spent / r.seconds;
        (left - now.duration_since(r.at).as_secs_f64()).max(0.0)
    });
    Progress {
        stage: r.stage,
        fraction: round_to(fraction, 1e4),
        audio_seconds_done: round_to(r.seconds, 1e3),
        eta_seconds: eta.map(|s| round_to(s, 10.0)),
    }
}

fn round_to(x: f64, per_unit: f64) -> f64 {
    (x * per_unit).round() / per_unit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(stage: Stage, seconds: f64, spent: f64) -> (Reading, Instant) {
        let started = Instant::now();
        let at = started + Duration::from_secs_f64(spent);
        let r = Reading {
            stage,
            seconds,
            at,
            stage_started: started,
        };
        (r, at)
    }

    #[test]
    fn fraction_and_eta_follow_the_observed_rate() {
        // 60 s of a 600 s recording in 12 s: 5× real time, so 540 s take 108 s more.
        let (r, at) = reading(Stage::Transcribing, 60.0, 12.0);
        let p = progress_of(&r, 600.0, at);
        assert_eq!(p.stage, Stage::Transcribing);
        assert_eq!(p.fraction, 0.1);
        assert_eq!(p.audio_seconds_done, 60.0);
        assert_eq!(p.eta_seconds, Some(108.0));
        // Written 8 s after the reading: 8 s of that estimate have passed.
        let p = progress_of(&r, 600.0, at + Duration::from_secs(8));
        assert_eq!(p.eta_seconds, Some(100.0));
    }

    #[test]
    fn no_rate_no_eta_and_never_past_the_end() {
        let (r, at) = reading(Stage::Transcribing, 0.0, 3.0);
        assert_eq!(progress_of(&r, 600.0, at).eta_seconds, None);
        let (r, at) = reading(Stage::Diarizing, 610.0, 30.0);
        let p = progress_of(&r, 600.0, at);
        assert_eq!((p.fraction, p.eta_seconds), (1.0, Some(0.0)));
        let (r, at) = reading(Stage::Transcribing, 5.0, 1.0);
        assert_eq!(progress_of(&r, 0.0, at).fraction, 0.0, "no duration known");
    }

    #[test]
    fn a_feed_never_goes_back_within_a_stage_and_restarts_with_the_next() {
        let now = Instant::now();
        let (tx, rx) = watch::channel(Reading::start(now));
        let feed = Feed {
            tx,
            duration: 100.0,
            text: None,
        };
        feed.set(Stage::Transcribing, 0.5);
        feed.set(Stage::Transcribing, 0.25);
        assert_eq!(rx.borrow().seconds, 50.0);
        feed.set(Stage::Diarizing, 0.125);
        let r = *rx.borrow();
        assert_eq!((r.stage, r.seconds), (Stage::Diarizing, 12.5));
        assert!(r.stage_started > now);
    }
}
