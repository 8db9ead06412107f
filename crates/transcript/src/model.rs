use serde::{Deserialize, Serialize};

/// One recognised word as the engine heard it. `text` may carry punctuation glued to it
/// (`"Hello,"`, `"end."`); the renderers split punctuation off where a format needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    /// Seconds from the start of the audio.
    pub start: f64,
    pub end: f64,
    /// 0..=1
    pub confidence: f32,
    /// `"S1"`, `"S2"`… when speaker diarization ran; `None` renders as `"UU"`.
    pub speaker: Option<String>,
    /// `"channel_1"`, `"channel_2"`… when channels were recognised separately.
    pub channel: Option<String>,
}

/// A whole transcript: words in time order (across channels when split).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// ISO 639-1 code of the spoken language (`"en"`).
    pub language: String,
    /// Duration of the audio in seconds.
    pub duration: f64,
    pub words: Vec<Word>,
}

impl Transcript {
    pub fn new(language: impl Into<String>, duration: f64, words: Vec<Word>) -> Self {
        Transcript {
            language: language.into(),
            duration,
            words,
        }
    }
}

/// One segment as the decoder produced it (a run of Whisper tokens between two timestamps),
/// with the figures of the decoding attempt that made it: what OpenAI's `verbose_json` reports
/// per segment. The words keep their own times; a segment's words are those whose middle falls
/// in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecodedSegment {
    /// Seconds from the start of the audio.
    pub start: f64,
    pub end: f64,
    /// Where its 30 s window starts, in 10 ms frames from the start of the audio.
    pub seek: u64,
    /// Whisper's token ids, timestamp tokens included.
    pub tokens: Vec<u32>,
    /// The sampling temperature of the attempt that was kept (0: beam search).
    pub temperature: f32,
    /// The attempt's mean token log-probability.
    pub avg_logprob: f32,
    /// The attempt's text length over its zlib-compressed length.
    pub compression_ratio: f32,
    /// The probability the decoder gave to "no speech" in the window.
    pub no_speech_prob: f32,
}
