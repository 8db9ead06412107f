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
