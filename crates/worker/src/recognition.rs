//! The option logic of recognition, shared by API jobs (`pipeline`) and `verbatim transcribe`:
//! which model serves a request, how channels are recognised, who speaks each word (speaker
//! diarization), and how the words are rewritten (vocabulary, spelling) before any format is
//! rendered.

use asr::{AsrError, Engine};
use diarize::SpeakerDiarizer;
use transcript::Word;

use crate::config::DEFAULT_MODEL_CODE;
use crate::request::{OperatingPoint, Request};

pub struct Recognised {
    /// The language of the first channel with speech (detected or forced).
    pub language: String,
    /// In time order across channels, labelled `channel_N` when channels were split.
    pub words: Vec<Word>,
    /// With `diarization: "speaker"`: `"done"`, or `"failed: <why>"` (output_metadata's
    /// `diarization`); `None` when it was not asked.
    pub diarization: Option<String>,
}

/// The speaker model for a request, as the caller could load it: `Err` says why it could not,
/// in words for the client (no server paths).
pub type SpeakerModelFor<'a> = Result<&'a SpeakerDiarizer, String>;

/// Whether a request on `model_code` must move from a loaded English-only model to the enhanced
/// (multilingual) one: another language, or detection, on the default model code's standard
/// point. A model named explicitly is used as asked.
pub fn needs_multilingual_fallback(
    model_code: &str,
    request: &Request,
    engine: &dyn Engine,
) -> bool {
    let needs_multilingual = request.language.as_deref() != Some("en");
    let default_code = model_code == DEFAULT_MODEL_CODE || model_code.is_empty();
    needs_multilingual
        && !engine.is_multilingual()
        && default_code
        && request.operating_point == OperatingPoint::Standard
}

/// Recognises each channel (one when mixed) and merges the words in time order, labelled by
/// channel when the request split them; with `diarization: "speaker"` labels each word's
/// speaker from the voices (`speakers`: the model the caller loaded, shared, or why there is
/// none); then applies [`post_process`]. A diarization failure never loses the transcript: the
/// words keep no speaker (rendered `UU`) and [`Recognised::diarization`] says why. Blocking.
pub fn recognise_channels(
    engine: &dyn Engine,
    channels: &[Vec<f32>],
    request: &Request,
    speakers: Option<SpeakerModelFor<'_>>,
    progress: &(dyn Fn(f32) + Sync),
) -> Result<Recognised, AsrError> {
    let options = asr::Options {
        language: request.language.clone(),
        initial_prompt: request.initial_prompt.clone(),
    };
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
        words.extend(r.words.into_iter().map(|w| Word {
            channel: label.clone(),
            ..w
        }));
    }
    // Stable: words of one channel keep their order; channels interleave by start time.
    words.sort_by(|a, b| a.start.total_cmp(&b.start));
    let diarization = request.speaker_diarization.then(|| {
        let outcome = speakers
            .unwrap_or_else(|| Err("the speaker model was not loaded".into()))
            .and_then(|d| {
                label_speakers(d, channels, &mut words, &request.speakers)
                    .map_err(|e| e.to_string())
            });
        match outcome {
            Ok(n) => {
                tracing::debug!(speakers = n, "speaker diarization done");
                "done".to_string()
            }
            Err(why) => {
                tracing::warn!(%why, "speaker diarization failed; the words are labelled UU");
                words.iter_mut().for_each(|w| w.speaker = None);
                format!("failed: {why}")
            }
        }
    });
    // After diarization: a vocabulary phrase never merges words of two speakers.
    post_process(&mut words, request);
    let language = speech_language
        .or(first_language)
        .or_else(|| options.language.clone())
        .unwrap_or_else(|| "en".into());
    Ok(Recognised {
        language,
        words,
        diarization,
    })
}

/// Labels every word `S1`, `S2`… by voice (see [`diarize`]); returns the number of speakers
/// found. Several channels are diarized on their down-mix (their mean), the audio the words'
/// times refer to.
pub fn label_speakers(
    diarizer: &SpeakerDiarizer,
    channels: &[Vec<f32>],
    words: &mut [Word],
    options: &diarize::DiarizeOptions,
) -> Result<usize, diarize::DiarizeError> {
    let mixed;
    let samples: &[f32] = match channels {
        [] => &[],
        [one] => one,
        many => {
            mixed = down_mix(many);
            &mixed
        }
    };
    diarizer.assign_speakers(samples, words, options)
}

fn down_mix(channels: &[Vec<f32>]) -> Vec<f32> {
    let len = channels.iter().map(Vec::len).max().unwrap_or(0);
    let scale = 1.0 / channels.len().max(1) as f32;
    let mut out = vec![0f32; len];
    for ch in channels {
        for (o, s) in out.iter_mut().zip(ch) {
            *o += s * scale;
        }
    }
    out
}

/// The words as the job asked them written: `sounds_like` phrases become their vocabulary
/// `content`, then the spelling follows `output_locale`. Before rendering, so every format agrees.
pub fn post_process(words: &mut Vec<Word>, request: &Request) {
    transcript::apply_vocab(words, &request.vocab);
    if let Some(locale) = &request.output_locale {
        transcript::apply_locale(words, locale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_mix_is_the_mean_over_the_longest_channel() {
        let mixed = down_mix(&[vec![1.0, 1.0, 1.0], vec![0.0, -1.0]]);
        assert_eq!(mixed, [0.5, 0.0, 0.5]);
    }
}
