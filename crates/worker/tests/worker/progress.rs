//! A job's progress as its worker reports it, through the real pipeline (real speech, the real
//! tiny.en and speaker models): each stage's share of the recording, in order, never going
//! back, at most one write a second.

use std::time::Duration;

use crate::common::*;
use jobs::{Progress, Stage};
use serde_json::json;

/// A recording with two voices (62.7 s), diarized: progress goes through `transcribing` then
/// `diarizing` to all of the audio, each report consistent with the recording's length, and
/// the DONE job shows the documented final state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_diarized_job_reports_transcribing_then_diarizing() {
    let env = Env::new().await;
    let job_config = json!({"type": "transcription",
        "transcription_config": {"language": "en", "diarization": "speaker"}});
    let audio = fixture("speakers/two_speakers_turns.wav");
    let job = env.run_done("jobprogress", &audio, job_config).await;
    let duration = job.input_metadata.duration_seconds.unwrap();
    assert!(duration > 60.0, "{duration}");

    let reports = env.recorder.progress("jobprogress");
    let stages: Vec<Stage> = reports.iter().map(|(_, p)| p.stage).collect();
    let diarizing_from = stages
        .iter()
        .position(|s| *s == Stage::Diarizing)
        .unwrap_or_else(|| panic!("no diarizing report: {reports:?}"));
    assert!(
        diarizing_from > 0,
        "no transcribing report first: {reports:?}"
    );
    assert!(
        stages[..diarizing_from]
            .iter()
            .all(|s| *s == Stage::Transcribing)
            && stages[diarizing_from..]
                .iter()
                .all(|s| *s == Stage::Diarizing),
        "{stages:?}"
    );
    assert_eq!(reports[0].1.audio_seconds_done, 0.0, "{reports:?}");
    for pair in reports.windows(2) {
        let ((_, a), (_, b)) = (&pair[0], &pair[1]);
        if a.stage == b.stage {
            assert!(b.audio_seconds_done >= a.audio_seconds_done, "{reports:?}");
        }
    }
    for (_, p) in &reports {
        assert!((0.0..=duration).contains(&p.audio_seconds_done), "{p:?}");
        assert!(
            (p.fraction - p.audio_seconds_done / duration).abs() < 1e-3,
            "{p:?}"
        );
        assert!(p.eta_seconds.is_none_or(|eta| eta >= 0.0), "{p:?}");
    }
    // At most one write a second, but for the last one, which says recognition ended.
    let times: Vec<_> = reports.iter().map(|(at, _)| *at).collect();
    for pair in times[..times.len() - 1].windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(950),
            "writes {gap:?} apart: {reports:?}"
        );
    }
    let last = &reports.last().unwrap().1;
    assert_eq!(
        (last.stage, last.fraction),
        (Stage::Diarizing, 1.0),
        "{reports:?}"
    );
    eprintln!(
        "{} progress writes over {:.1} s: {:?}",
        reports.len(),
        (times[times.len() - 1] - times[0]).as_secs_f64(),
        reports
            .iter()
            .map(|(_, p)| (p.stage, p.audio_seconds_done))
            .collect::<Vec<_>>()
    );

    assert_eq!(
        job.progress,
        Some(Progress {
            stage: Stage::Done,
            fraction: 1.0,
            audio_seconds_done: job.output_metadata.duration_seconds.unwrap(),
            eta_seconds: Some(0.0),
        })
    );
}
