//! What the remote commands show on stderr while they work: on a terminal, a byte bar per
//! upload and a bar per job with its status and progress; elsewhere (a pipe, a log file) no
//! bars, one line per upload and per change of a job's status.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

pub struct Display {
    bars: Option<MultiProgress>,
}

impl Display {
    pub fn new() -> Display {
        Display {
            bars: std::io::stderr().is_terminal().then(MultiProgress::new),
        }
    }

    /// Follows the upload of `file` (`len` bytes).
    pub fn upload(&self, file: &Path, len: u64) -> Upload {
        let bar = self.bars.as_ref().map(|bars| {
            let bar = bars.add(ProgressBar::new(len));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} (eta {eta})",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            bar.set_prefix(format!("uploading {}", name(file)));
            bar
        });
        Upload { bar }
    }

    /// Follows job `id` (of `file`), last seen in `status`.
    pub fn job(&self, id: &str, file: &Path, status: &str) -> JobView {
        let bar = self.bars.as_ref().map(|bars| {
            let bar = bars.add(ProgressBar::new(1000));
            bar.set_style(
                // The status comes before anything long enough to push it off a narrow terminal.
                ProgressStyle::with_template("{spinner} {msg:<16.bold} [{bar:30}] {prefix}")
                    .expect("static template")
                    .progress_chars("=> "),
            );
            bar.set_prefix(name(file));
            bar.set_message(status.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        JobView {
            id: id.to_string(),
            bar,
            status: status.to_string(),
        }
    }

    /// Prints a line on stderr without breaking the bars.
    pub fn note(&self, line: &str) {
        match &self.bars {
            Some(bars) => {
                let _ = bars.println(line);
            }
            None => eprintln!("{line}"),
        }
    }
}

pub struct Upload {
    bar: Option<ProgressBar>,
}

impl Upload {
    /// What the client calls as bytes go out.
    pub fn on_bytes(&self) -> client::OnBytes {
        let bar = self.bar.clone();
        Arc::new(move |sent| {
            if let Some(bar) = &bar {
                bar.set_position(sent);
            }
        })
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

pub struct JobView {
    id: String,
    bar: Option<ProgressBar>,
    status: String,
}

impl JobView {
    pub fn update(&mut self, job: &client::Job) {
        match &self.bar {
            Some(bar) => {
                let fraction = match job.status.as_str() {
                    "DONE" => Some(1.0),
                    _ => job.progress.as_ref().and_then(|p| p.fraction),
                };
                if let Some(f) = fraction {
                    bar.set_position((f.clamp(0.0, 1.0) * 1000.0) as u64);
                }
                bar.set_message(describe(job));
            }
            None if job.status != self.status => {
                eprintln!("job {}: {}", self.id, job.status);
            }
            None => {}
        }
        self.status.clone_from(&job.status);
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The file's name: a bar has no room for its folders.
fn name(file: &Path) -> String {
    file.file_name()
        .unwrap_or(file.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// A job's status and, when the server gives it, its progress: "DECODING recognising 42%,
/// 12.5 s of audio done, about 8 s left".
pub fn describe(job: &client::Job) -> String {
    let mut text = job.status.clone();
    let Some(p) = &job.progress else { return text };
    if let Some(stage) = p
        .stage
        .as_deref()
        .filter(|s| !s.eq_ignore_ascii_case(&job.status))
    {
        text.push(' ');
        text.push_str(stage);
    }
    let mut parts = Vec::new();
    if let Some(f) = p.fraction {
        parts.push(format!("{:.0}%", f.clamp(0.0, 1.0) * 100.0));
    }
    if let Some(s) = p.audio_seconds_done {
        parts.push(format!("{s:.1} s of audio done"));
    }
    if let Some(eta) = p.eta_seconds {
        parts.push(format!("about {eta:.0} s left"));
    }
    if !parts.is_empty() {
        text.push(' ');
        text.push_str(&parts.join(", "));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(value: serde_json::Value) -> client::Job {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_job_is_described_with_what_the_server_gives() {
        assert_eq!(
            describe(&job(serde_json::json!({"job_id": "a", "status": "QUEUED"}))),
            "QUEUED"
        );
        let working = job(serde_json::json!({"job_id": "a", "status": "DECODING",
            "progress": {"stage": "recognising", "fraction": 0.42, "audio_seconds_done": 12.5, "eta_seconds": 7.6}}));
        assert_eq!(
            describe(&working),
            "DECODING recognising 42%, 12.5 s of audio done, about 8 s left"
        );
        let partial = job(serde_json::json!({"job_id": "a", "status": "DECODING",
            "progress": {"stage": "DECODING", "fraction": 0.5}}));
        assert_eq!(describe(&partial), "DECODING 50%");
    }
}
