//! SubRip and WebVTT text for the cues of `crate::cues`. With speaker diarization each cue (one
//! speaker's, by the cue rules) is labelled as Speechmatics labels them: `[S1] ` before the
//! SubRip text, a `<v S1>` voice span in WebVTT. The label is not counted in
//! `max_line_length`: players show a voice span as styling, not text.

use crate::cues::{cues, Cue, CueOptions};
use crate::model::Transcript;

/// `HH:MM:SS<sep>mmm`; hours grow past two digits rather than wrap.
fn timestamp(ms: u64, sep: char) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, millis) = (rest / 1000, rest % 1000);
    format!("{h:02}:{m:02}:{s:02}{sep}{millis:03}")
}

/// WebVTT cue text must not contain `<` or `&` unescaped (nor `-->`, which `>` escaping covers).
fn vtt_escape(line: &str) -> String {
    line.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn srt_from_cues(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, c) in cues.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{}\n{} --> {}\n",
            i + 1,
            timestamp(c.start_ms, ','),
            timestamp(c.end_ms, ',')
        ));
        if let Some(speaker) = &c.speaker {
            out.push_str(&format!("[{speaker}] "));
        }
        for line in &c.lines {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

pub fn vtt_from_cues(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n");
    for c in cues {
        out.push_str(&format!(
            "\n{} --> {}\n",
            timestamp(c.start_ms, '.'),
            timestamp(c.end_ms, '.')
        ));
        if let Some(speaker) = &c.speaker {
            out.push_str(&format!("<v {}>", vtt_escape(speaker)));
        }
        for line in &c.lines {
            out.push_str(&vtt_escape(line));
            out.push('\n');
        }
    }
    out
}

/// Numbered SubRip cues, blocks separated by a blank line; empty for an empty transcript.
pub fn to_srt(t: &Transcript, opts: &CueOptions) -> String {
    srt_from_cues(&cues(t, opts))
}

/// `WEBVTT` header then the same cues (without identifiers); just `"WEBVTT\n"` when empty.
pub fn to_vtt(t: &Transcript, opts: &CueOptions) -> String {
    vtt_from_cues(&cues(t, opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0, ','), "00:00:00,000");
        assert_eq!(timestamp(3_723_004, ','), "01:02:03,004");
        assert_eq!(timestamp(59_999, '.'), "00:00:59.999");
        assert_eq!(timestamp(100 * 3_600_000, '.'), "100:00:00.000");
    }

    #[test]
    fn layout() {
        let cues = vec![
            Cue {
                start_ms: 0,
                end_ms: 1500,
                lines: vec!["Hello <there> &".into(), "you.".into()],
                speaker: None,
                channel: None,
            },
            Cue {
                start_ms: 2000,
                end_ms: 2700,
                lines: vec!["Bye.".into()],
                speaker: None,
                channel: None,
            },
        ];
        assert_eq!(
            srt_from_cues(&cues),
            "1\n00:00:00,000 --> 00:00:01,500\nHello <there> &\nyou.\n\n2\n00:00:02,000 --> 00:00:02,700\nBye.\n"
        );
        assert_eq!(
            vtt_from_cues(&cues),
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello &lt;there&gt; &amp;\nyou.\n\n00:00:02.000 --> 00:00:02.700\nBye.\n"
        );
        assert_eq!(srt_from_cues(&[]), "");
        assert_eq!(vtt_from_cues(&[]), "WEBVTT\n");
    }

    #[test]
    fn speakers_label_their_cues() {
        let cue = |speaker: &str, text: &str| Cue {
            start_ms: 0,
            end_ms: 1000,
            lines: vec![text.into(), "again.".into()],
            speaker: Some(speaker.into()),
            channel: None,
        };
        let cues = [cue("S1", "Hello"), cue("S2", "Bye")];
        assert_eq!(
            srt_from_cues(&cues),
            "1\n00:00:00,000 --> 00:00:01,000\n[S1] Hello\nagain.\n\n2\n00:00:00,000 --> 00:00:01,000\n[S2] Bye\nagain.\n"
        );
        assert_eq!(
            vtt_from_cues(&cues),
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v S1>Hello\nagain.\n\n00:00:00.000 --> 00:00:01.000\n<v S2>Bye\nagain.\n"
        );
    }
}
