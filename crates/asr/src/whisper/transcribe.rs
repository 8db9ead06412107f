//! The window loop over a whole recording: faster-whisper's `generate_segments` with word
//! timestamps, condition-on-previous-text and its seek rules, preceded by a silence skip.
//! Features are computed per 30 s window, so memory does not grow with the audio length.

use std::borrow::Cow;
use std::time::Instant;

use ct2rs::sys::{Device, StorageView};
use transcript::Word;

use super::align::{add_word_timestamps, AlignContext, TimedWord};
use super::decode::{
    generate_with_fallback, split_segments_by_timestamps, DecodeParams, Segment,
    LOG_PROB_THRESHOLD, MAX_LENGTH, NO_SPEECH_THRESHOLD, PROMPT_RESET_ON_TEMPERATURE,
};
use super::mel::{MelExtractor, HOP, WINDOW_FRAMES};
use super::vad::Activity;
use super::{language, WhisperEngine};
use crate::{AsrError, Options, Progress, Recognition};

const FRAMES_PER_SECOND: f64 = 100.0;
/// Shorter audio is padded with silence to this many samples (0.1 s) so every STFT frame
/// has real neighbours to reflect.
const MIN_SAMPLES: usize = 1600;
/// Largest magnitude kept; beyond it samples are clipped (bad input, not audio).
const MAX_MAGNITUDE: f32 = 1.0e4;

pub fn run(
    engine: &WhisperEngine,
    samples: &[f32],
    options: &Options,
    progress: Progress<'_>,
) -> Result<Recognition, AsrError> {
    let forced = options
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_ascii_lowercase);
    let forced_token = match &forced {
        Some(code) => Some(language_token(engine, code)?),
        None => None,
    };
    let undetected = |words| Recognition {
        language: forced.clone().unwrap_or_else(|| "en".into()),
        language_probability: if forced.is_some() || !engine.multilingual {
            1.0
        } else {
            0.0
        },
        words,
    };
    if samples.is_empty() {
        progress(1.0);
        return Ok(undetected(Vec::new()));
    }
    let samples = sanitize(samples);
    let content_frames = MelExtractor::content_frames(&samples);
    let started = Instant::now();
    let analysis = engine.mel.analyse(&samples);
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "audio analysed");
    // The sound map is always used to fit word times; skipping silent stretches before the
    // model is the configurable part.
    let activity = Activity::from_energy(&analysis.energy_db);
    let skip_silence = engine.config.skip_silence;
    let next_start = |seek: usize| {
        if skip_silence {
            activity.next_sound(seek)
        } else {
            Some(seek)
        }
    };
    tracing::debug!(
        frames = content_frames,
        sound_frames = activity.sound_frames(),
        "silence check"
    );
    let Some(first_sound) = next_start(0).filter(|&f| f < content_frames) else {
        progress(1.0);
        return Ok(undetected(Vec::new()));
    };

    let mut window = WindowEncoder {
        engine,
        samples: &samples,
        log_max: analysis.log_max,
        content_frames,
        cached: None,
    };

    // Language: forced, English for English-only models, else detected on the first 30 s
    // of sound.
    let (language, language_probability, language_token) = match (forced, forced_token) {
        (Some(code), Some(token)) => (code, 1.0, token),
        _ if !engine.multilingual => ("en".to_string(), 1.0, None),
        _ => {
            let encoded = window.encode(first_sound)?;
            let (code, probability) = language::detect(&engine.model, encoded)?;
            let token = language_token(engine, &code)?;
            (code, probability, token)
        }
    };

    let tok = &engine.tokenizer;
    let mut sot_sequence = vec![tok.sot];
    if engine.multilingual {
        sot_sequence.extend(language_token);
        sot_sequence.extend(tok.transcribe);
    }
    let mut all_tokens: Vec<u32> = Vec::new();
    if let Some(prompt) = options
        .initial_prompt
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        all_tokens.extend(tok.encode(&format!(" {prompt}"))?);
    }
    let mut prompt_reset_since = 0usize;
    let params = DecodeParams {
        beam_size: engine.config.beam_size,
        suppress_tokens: &engine.suppress_tokens,
    };
    let align_ctx = AlignContext {
        model: &engine.model,
        tokenizer: tok,
        sot_sequence: &sot_sequence,
        language: &language,
    };

    let mut words: Vec<Word> = Vec::new();
    let mut last_speech_timestamp = 0.0f64;
    let mut seek = 0usize;
    while seek < content_frames {
        match next_start(seek) {
            Some(next) if next < content_frames => seek = next,
            _ => break,
        }
        let time_offset = seek as f64 / FRAMES_PER_SECOND;
        let segment_size = WINDOW_FRAMES.min(content_frames - seek);
        let segment_duration = segment_size as f64 / FRAMES_PER_SECOND;
        let t_encode = Instant::now();
        let encoded = window.encode(seek)?;
        let encode_s = t_encode.elapsed().as_secs_f64();
        let t_decode = Instant::now();
        let previous = &all_tokens[prompt_reset_since.min(all_tokens.len())..];
        let mut prompt = Vec::with_capacity(previous.len() + 4);
        if !previous.is_empty() {
            prompt.push(tok.sot_prev);
            let keep = MAX_LENGTH / 2 - 1;
            prompt.extend_from_slice(&previous[previous.len().saturating_sub(keep)..]);
        }
        prompt.extend_from_slice(&sot_sequence);

        let decoded = generate_with_fallback(&engine.model, tok, encoded, &prompt, &params)?;
        if decoded.no_speech_prob > NO_SPEECH_THRESHOLD && decoded.avg_logprob <= LOG_PROB_THRESHOLD
        {
            seek += segment_size;
            progress(fraction(seek, content_frames));
            continue;
        }

        let decode_s = t_decode.elapsed().as_secs_f64();
        let t_align = Instant::now();
        let previous_seek = seek;
        let (mut segments, next_seek, single_timestamp_ending) = split_segments_by_timestamps(
            tok.timestamp_begin(),
            &decoded.tokens,
            time_offset,
            segment_size,
            segment_duration,
            seek,
        );
        seek = next_seek;
        let (segment_words, _) = add_word_timestamps(
            &align_ctx,
            &mut segments,
            encoded,
            segment_size,
            last_speech_timestamp,
        )?;
        if !single_timestamp_ending {
            if let Some(end) = last_end(&segments, &segment_words) {
                if end > time_offset {
                    seek = (end * FRAMES_PER_SECOND).round() as usize;
                }
            }
        }
        if let Some(end) = last_end(&segments, &segment_words) {
            last_speech_timestamp = end;
        }
        tracing::debug!(
            seek = previous_seek,
            encode_s,
            decode_s,
            align_s = t_align.elapsed().as_secs_f64(),
            temperature = decoded.temperature,
            tokens = decoded.tokens.len(),
            "window decoded"
        );
        // A window must always move the seek forward, whatever the model wrote.
        if seek <= previous_seek {
            seek = previous_seek + segment_size;
        }

        for (segment, seg_words) in segments.iter().zip(segment_words) {
            if segment.start == segment.end || tok.decode(&segment.tokens).trim().is_empty() {
                continue;
            }
            all_tokens.extend_from_slice(&segment.tokens);
            push_words(&mut words, seg_words, samples.len(), &activity);
        }
        if decoded.temperature > PROMPT_RESET_ON_TEMPERATURE {
            prompt_reset_since = all_tokens.len();
        }
        progress(fraction(seek, content_frames));
    }
    progress(1.0);
    Ok(Recognition {
        language,
        language_probability,
        words,
    })
}

/// Encodes windows, keeping the last one: language detection and the first decoded window
/// usually start at the same frame.
struct WindowEncoder<'a> {
    engine: &'a WhisperEngine,
    samples: &'a [f32],
    log_max: f32,
    content_frames: usize,
    cached: Option<(usize, StorageView<'static>)>,
}

impl WindowEncoder<'_> {
    fn encode(&mut self, seek: usize) -> Result<&StorageView<'static>, AsrError> {
        if self.cached.as_ref().map(|(s, _)| *s) != Some(seek) {
            let frames = WINDOW_FRAMES.min(self.content_frames.saturating_sub(seek));
            let mut features = self
                .engine
                .mel
                .window(self.samples, seek, frames, self.log_max);
            let n_mels = self.engine.mel.n_mels();
            let view = StorageView::new(&[1, n_mels, WINDOW_FRAMES], &mut features, Device::CPU)
                .map_err(|e| AsrError::Engine(format!("preparing features: {e:#}")))?;
            let encoded = self
                .engine
                .model
                .encode(&view, false)
                .map_err(|e| AsrError::Engine(format!("encoding a window: {e:#}")))?;
            self.cached = Some((seek, encoded));
        }
        match &self.cached {
            Some((_, encoded)) => Ok(encoded),
            None => Err(AsrError::Engine("window encoding was lost".into())),
        }
    }
}

/// The token of a language code, or `UnsupportedLanguage`. English-only models take "en"
/// only and have no language token (`None`).
fn language_token(engine: &WhisperEngine, code: &str) -> Result<Option<u32>, AsrError> {
    if !engine.multilingual {
        return if code == "en" {
            Ok(None)
        } else {
            Err(AsrError::UnsupportedLanguage(format!(
                "{code} (model {} is English-only)",
                engine.name
            )))
        };
    }
    engine
        .languages
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, id)| Some(*id))
        .ok_or_else(|| {
            AsrError::UnsupportedLanguage(format!("{code} (not known to model {})", engine.name))
        })
}

/// Samples the model can digest: NaN and infinities become silence, absurd magnitudes are
/// clipped, and audio shorter than MIN_SAMPLES is padded. Borrowed when already clean.
fn sanitize(samples: &[f32]) -> Cow<'_, [f32]> {
    let clean = samples
        .iter()
        .all(|s| s.is_finite() && s.abs() <= MAX_MAGNITUDE);
    if clean && samples.len() >= MIN_SAMPLES {
        return Cow::Borrowed(samples);
    }
    let mut out: Vec<f32> = samples
        .iter()
        .map(|&s| {
            if s.is_finite() {
                s.clamp(-MAX_MAGNITUDE, MAX_MAGNITUDE)
            } else {
                0.0
            }
        })
        .collect();
    if out.len() < MIN_SAMPLES {
        out.resize(MIN_SAMPLES, 0.0);
    }
    Cow::Owned(out)
}

/// faster-whisper's `get_end`: the end of the last word, else of the last segment.
fn last_end(segments: &[Segment], words: &[Vec<TimedWord>]) -> Option<f64> {
    words
        .iter()
        .rev()
        .find_map(|w| w.last().map(|w| w.end))
        .or_else(|| segments.last().map(|s| s.end))
}

/// Appends a segment's words as `transcript::Word`s, fitted to the sound (see
/// `Activity::fit_word`), inside the audio, non-decreasing and non-overlapping.
fn push_words(out: &mut Vec<Word>, words: Vec<TimedWord>, n_samples: usize, activity: &Activity) {
    let duration = n_samples as f64 / (HOP as f64 * FRAMES_PER_SECOND);
    for w in words {
        let text = w.word.trim();
        if text.is_empty() {
            continue;
        }
        let Some((start, end)) = activity.fit_word(w.start, w.end) else {
            tracing::debug!(
                word = text,
                start = w.start,
                end = w.end,
                "word in silence dropped"
            );
            continue;
        };
        let floor = out.last().map_or(0.0, |p| p.end);
        let start = start.clamp(floor, duration.max(floor));
        let end = end.clamp(start, duration.max(start));
        out.push(Word {
            text: text.to_string(),
            start,
            end,
            confidence: if w.probability.is_finite() {
                w.probability.clamp(0.0, 1.0)
            } else {
                0.0
            },
            speaker: None,
            channel: None,
        });
    }
}

fn fraction(seek: usize, content_frames: usize) -> f32 {
    if content_frames == 0 {
        1.0
    } else {
        (seek.min(content_frames) as f64 / content_frames as f64) as f32
    }
}
