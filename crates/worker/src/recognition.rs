//! The option logic of recognition, shared by API jobs (`pipeline`) and `verbatim transcribe`:
//! which model serves a request, how channels are recognised, and how the words are rewritten
//! (vocabulary, spelling) before any format is rendered.

use asr::{AsrError, Engine};
use transcript::Word;

use crate::config::DEFAULT_MODEL_CODE;
use crate::request::{OperatingPoint, Request};

pub struct Recognised {
    /// The language of the first channel with speech (detected or forced).
    pub language: String,
    /// In time order across channels, labelled `channel_N` when channels were split.
    pub words: Vec<Word>,
}

/// Whether a request on `model_code` must move from a loaded English-only model to the enhanced
/// (multilingual) one: another language, or detection, on the default model code's standard
/// point. A model named explicitly is used as asked.
pub fn needs_multilingual_fallback(model_code: &str, request: &Request, engine: &dyn Engine) -> bool {
    let needs_multilingual = request.language.as_deref() != Some("en");
    let default_code = model_code == DEFAULT_MODEL_CODE || model_code.is_empty();
    needs_multilingual && !engine.is_multilingual() && default_code && request.operating_point == OperatingPoint::Standard
}

/// Recognises each channel (one when mixed) and merges the words in time order, labelled by
/// channel when the request split them; then applies [`post_process`]. Blocking.
pub fn recognise_channels(
    engine: &dyn Engine,
    channels: &[Vec<f32>],
    request: &Request,
    progress: &(dyn Fn(f32) + Sync),
) -> Result<Recognised, AsrError> {
    let options = asr::Options { language: request.language.clone(), initial_prompt: request.initial_prompt.clone() };
    let n = channels.len().max(1) as f32;
    // The first channel with speech decides the language of the transcript.
    let mut first_language = None;
    let mut speech_language = None;
    let mut words = Vec::new();
    for (i, samples) in channels.iter().enumerate() {
        let r = engine.transcribe(samples, &options, &|f| progress((i as f32 + f) / n))?;
        first_language.get_or_insert_with(|| r.language.clone());
        if speech_language.is_none() && !r.words.is_empty() {
            speech_language = Some(r.language.clone());
        }
        let label = request.split_channels.then(|| format!("channel_{}", i + 1));
        words.extend(r.words.into_iter().map(|w| Word { channel: label.clone(), ..w }));
    }
    // Stable: words of one channel keep their order; channels interleave by start time.
    words.sort_by(|a, b| a.start.total_cmp(&b.start));
    post_process(&mut words, request);
    let language = speech_language
        .or(first_language)
        .or_else(|| options.language.clone())
        .unwrap_or_else(|| "en".into());
    Ok(Recognised { language, words })
}

/// The words as the job asked them written: `sounds_like` phrases become their vocabulary
/// `content`, then the spelling follows `output_locale`. Before rendering, so every format agrees.
pub fn post_process(words: &mut Vec<Word>, request: &Request) {
    transcript::apply_vocab(words, &request.vocab);
    if let Some(locale) = &request.output_locale {
        transcript::apply_locale(words, locale);
    }
}
