//! The option logic of recognition, shared by API jobs (`pipeline`) and `verbatim transcribe`:
//! which model serves a request, how channels are recognised, who speaks each word (speaker
//! diarization), and how the words are rewritten (vocabulary, spelling) before any format is
//! rendered.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use asr::{AsrError, Engine};
use audio::{AudioStream, ChannelMode};
use diarize::SpeakerDiarizer;
use jobs::Stage;
use transcript::Word;

use crate::config::DEFAULT_MODEL_CODE;
use crate::request::{OperatingPoint, Request};

pub struct Recognised {
    /// The language of the first channel with speech (detected or forced).
    pub language: String,
    /// The length of the audio, as decoded (headers can be wrong).
    pub duration_seconds: f64,
    /// In time order across channels, labelled `channel_N` when channels were split.
    pub words: Vec<Word>,
    /// The decoder's segments, in time order across channels.
    pub segments: Vec<transcript::DecodedSegment>,
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

/// A recording as recognition reads it: decoded while it is recognised, once per channel, so
/// that its 16 kHz signal is never held whole.
pub struct AudioInput<'a> {
    pub path: &'a Path,
    pub settings: &'a audio::Settings,
    /// Its probe: how many channels there are to split, how long it is for progress.
    pub probe: &'a audio::Probe,
    /// Set when the job was abandoned (cancelled, lease lost, out of time): recognition then
    /// stops at the next piece of audio it reads instead of running to the end.
    pub stop: Option<&'a AtomicBool>,
}

/// Pieces of decoded audio recognition takes at a time.
const CHUNK_SECONDS: f64 = 10.0;

impl AudioInput<'_> {
    fn open(&self, mode: ChannelMode) -> Result<AudioStream, AsrError> {
        AudioStream::open_with(self.path, mode, CHUNK_SECONDS, self.settings)
            .map_err(|e| AsrError::Audio(Box::new(e)))
    }

    /// Recognises one channel (`channel` of the split, or the mix when `None`); returns its
    /// decoded length in samples too.
    fn recognise(
        &self,
        engine: &dyn Engine,
        channel: Option<usize>,
        options: &asr::Options,
        progress: asr::Progress<'_>,
    ) -> Result<(asr::Recognition, usize), AsrError> {
        let mode = if channel.is_some() {
            ChannelMode::Split
        } else {
            ChannelMode::Mix
        };
        let stream = self.open(mode)?;
        let decoded = AtomicUsize::new(0);
        let stop = self.stop;
        let mut chunks = stream.map(|chunk| {
            if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
                return Err(Box::<dyn std::error::Error + Send + Sync>::from(
                    "recognition stopped: the job was abandoned",
                ));
            }
            let mut chunk = chunk.map_err(|e| Box::new(e) as Box<_>)?;
            let samples = match channel {
                Some(i) if i < chunk.len() => chunk.swap_remove(i),
                Some(_) => Vec::new(),
                None => chunk.pop().unwrap_or_default(),
            };
            decoded.fetch_add(samples.len(), Ordering::Relaxed);
            Ok(samples)
        });
        let duration = Some(self.probe.duration_seconds).filter(|d| *d > 0.0);
        let recognition = engine.transcribe_stream(&mut chunks, duration, options, progress)?;
        Ok((recognition, decoded.into_inner()))
    }

    /// Opens the mix again, for diarization: its 16 kHz pieces, one after the other. Reports
    /// the share of the recording read as it goes (`Diarizing`).
    fn mix_pieces<'p>(
        &self,
        progress: OnProgress<'p>,
    ) -> Result<impl Iterator<Item = Result<Vec<f32>, AsrError>> + 'p, AsrError> {
        let total = self.probe.duration_seconds * f64::from(audio::TARGET_SAMPLE_RATE);
        let mut read = 0usize;
        Ok(self
            .open(ChannelMode::Mix)?
            .map(move |chunk| -> Result<Vec<f32>, AsrError> {
                let piece = chunk
                    .map(|mut c| c.pop().unwrap_or_default())
                    .map_err(|e| AsrError::Audio(Box::new(e)))?;
                read += piece.len();
                if total > 0.0 {
                    progress(Stage::Diarizing, (read as f64 / total).min(1.0) as f32);
                }
                Ok(piece)
            }))
    }
}

/// Called with a stage and the fraction (0..=1) of the recording it has been through, as it
/// goes: `Transcribing` from the end of each decoded window (channels one after the other
/// share the range), then, with `diarization: "speaker"`, `Diarizing` from 0 again.
pub type OnProgress<'a> = &'a (dyn Fn(Stage, f32) + Sync);

/// Recognises each channel (one when mixed) and merges the words in time order, labelled by
/// channel when the request split them; with `diarization: "speaker"` labels each word's
/// speaker from the voices (`speakers`: the model the caller loaded, shared, or why there is
/// none); then applies [`post_process`]. A diarization failure never loses the transcript: the
/// words keep no speaker (rendered `UU`) and [`Recognised::diarization`] says why. `settled`
/// is told the words as they settle, when the channels are not split. Blocking.
pub fn recognise_channels(
    engine: &dyn Engine,
    input: &AudioInput,
    request: &Request,
    speakers: Option<SpeakerModelFor<'_>>,
    settled: Option<asr::SettledWords>,
    progress: OnProgress<'_>,
) -> Result<Recognised, AsrError> {
    let options = asr::Options {
        language: request.language.clone(),
        initial_prompt: request.initial_prompt.clone(),
        translate: request.translate,
        temperature: request.temperature,
        // Split channels' words are merged by time at the end: not in the order they settle.
        settled: settled.filter(|_| !request.split_channels),
    };
    let channels: Vec<Option<usize>> = if request.split_channels {
        (0..usize::from(input.probe.channels.max(1)))
            .map(Some)
            .collect()
    } else {
        vec![None]
    };
    let n = channels.len() as f32;
    // The first channel with speech decides the language of the transcript.
    let mut first_language = None;
    let mut speech_language = None;
    let mut words = Vec::new();
    let mut segments = Vec::new();
    let mut samples = 0;
    for (i, channel) in channels.into_iter().enumerate() {
        let (r, decoded) = input.recognise(engine, channel, &options, &|f| {
            progress(Stage::Transcribing, (i as f32 + f) / n)
        })?;
        samples = samples.max(decoded);
        first_language.get_or_insert_with(|| r.language.clone());
        if speech_language.is_none() && !r.words.is_empty() {
            speech_language = Some(r.language.clone());
        }
        segments.extend(r.segments);
        let label = channel.map(|c| format!("channel_{}", c + 1));
        words.extend(r.words.into_iter().map(|w| Word {
            channel: label.clone(),
            ..w
        }));
    }
    // Stable: words of one channel keep their order; channels interleave by start time.
    words.sort_by(|a, b| a.start.total_cmp(&b.start));
    segments.sort_by(|a, b| a.start.total_cmp(&b.start));
    let diarization = request.speaker_diarization.then(|| {
        progress(Stage::Diarizing, 0.0);
        // Diarization decodes the mix again as it reads it (twice where speakers change), never
        // holding it; a mix that cannot be decoded again is a diarization failure like any other.
        let outcome = speakers
            .unwrap_or_else(|| Err("the speaker model was not loaded".into()))
            .and_then(|d| {
                d.assign_speakers_streamed(
                    || input.mix_pieces(progress),
                    &mut words,
                    &request.speakers,
                )
                .map_err(|e| e.to_string())
            });
        progress(Stage::Diarizing, 1.0);
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
        duration_seconds: samples as f64 / f64::from(audio::TARGET_SAMPLE_RATE),
        words,
        segments,
        diarization,
    })
}

/// The words as the job asked them written: `sounds_like` phrases become their vocabulary
/// `content`, then the spelling follows `output_locale`. Before rendering, so every format agrees.
pub fn post_process(words: &mut Vec<Word>, request: &Request) {
    transcript::apply_vocab(words, &request.vocab);
    if let Some(locale) = &request.output_locale {
        transcript::apply_locale(words, locale);
    }
}
