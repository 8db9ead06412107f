use std::sync::Arc;

use transcript::{DecodedSegment, Word};

/// Sample rate every engine takes: the audio crate resamples to it.
pub const SAMPLE_RATE: u32 = 16_000;

/// What the caller asks of one recognition run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// ISO 639-1 code to force, or `None` to detect the language.
    pub language: Option<String>,
    /// Text that conditions the decoder (vocabulary, domain context).
    pub initial_prompt: Option<String>,
    /// Translate the speech into English (Whisper's `<|translate|>` task; multilingual models
    /// only) instead of transcribing it.
    pub translate: bool,
    /// The sampling temperature of each window's first decoding attempt; 0 (the default) is
    /// beam search. A window whose attempt fails the decoder's checks is decoded again 0.2
    /// hotter, up to 1 (Whisper's temperature fallback, starting here).
    pub temperature: f32,
    /// Told the words as they settle, before the recognition ends (for a transcript streamed
    /// while it is made).
    pub settled: Option<SettledWords>,
}

/// Called with words as they settle: in order, each word once, times from the start of the
/// audio; together, every word of the [`Recognition`], in its order. A word settles when the
/// text before it is known and the decoding will not change it.
#[derive(Clone)]
pub struct SettledWords(pub Arc<TellWords>);

/// What [`SettledWords`] calls.
pub type TellWords = dyn Fn(&[Word]) + Send + Sync;

impl std::fmt::Debug for SettledWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SettledWords(..)")
    }
}

/// The result of one recognition run. Words carry no speaker or channel: those are added by
/// the caller (diarization, channel split).
#[derive(Debug, Clone, PartialEq)]
pub struct Recognition {
    /// ISO 639-1 code, detected or forced.
    pub language: String,
    /// Probability of the detected language (1.0 when forced).
    pub language_probability: f32,
    pub words: Vec<Word>,
    /// The decoder's segments, in time order.
    pub segments: Vec<DecodedSegment>,
}

#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error("model not found: {0}")]
    ModelNotFound(String),
    #[error("invalid model: {0}")]
    InvalidModel(String),
    #[error("unsupported language: {0}")]
    UnsupportedLanguage(String),
    #[error(
        "the model is English-only and cannot translate: use a multilingual model (such as base)"
    )]
    CannotTranslate,
    #[error("recognition failed: {0}")]
    Engine(String),
    /// The audio source failed while recognition read it; the source's own error, for the
    /// caller to tell its user as it would any error of that source.
    #[error("{0}")]
    Audio(Box<dyn std::error::Error + Send + Sync>),
}

/// 16 kHz mono audio as it is decoded, in pieces of any length. Recognition reads it as it
/// goes, so the whole signal is never held; an error ends the recognition with
/// [`AsrError::Audio`].
pub type AudioChunks<'a> = &'a mut (dyn Iterator<Item = Result<Vec<f32>, Box<dyn std::error::Error + Send + Sync>>>
             + Send);

/// Pieces [`Engine::transcribe`] hands a whole signal on in: 30 s.
const SLICE_CHUNK: usize = 30 * SAMPLE_RATE as usize;

/// Called with the fraction of the audio done (0..=1).
pub type Progress<'a> = &'a (dyn Fn(f32) + Sync);

/// A speech recognition engine. Implementations are shared between threads; a call may
/// block for as long as the recognition takes.
pub trait Engine: Send + Sync {
    /// Recognises 16 kHz mono audio read from `audio` while it is decoded. `duration_seconds`,
    /// when known, is the audio's length, for progress.
    fn transcribe_stream(
        &self,
        audio: AudioChunks<'_>,
        duration_seconds: Option<f64>,
        options: &Options,
        progress: Progress<'_>,
    ) -> Result<Recognition, AsrError>;

    /// Recognises 16 kHz mono samples held in memory.
    fn transcribe(
        &self,
        samples: &[f32],
        options: &Options,
        progress: Progress<'_>,
    ) -> Result<Recognition, AsrError> {
        let mut chunks = samples.chunks(SLICE_CHUNK).map(|c| Ok(c.to_vec()));
        let duration = samples.len() as f64 / SAMPLE_RATE as f64;
        self.transcribe_stream(&mut chunks, Some(duration), options, progress)
    }

    /// Short name of the loaded model (`"tiny.en"`, `"base"`).
    fn model_name(&self) -> &str;

    /// Whether the model can recognise languages other than English.
    fn is_multilingual(&self) -> bool;
}
