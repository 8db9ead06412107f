//! What a job asks for, from its typed `job_config` (parsed by the api, with the contract's
//! defaults already filled in): the recognition options in the worker's terms.

pub use jobs::OperatingPoint;
use jobs::{Diarization, JobConfig, Language, Task, TranscriptionConfig};
use transcript::{CueOptions, VocabEntry};

use crate::config::{WorkerConfig, DEFAULT_MODEL_CODE};

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `None` = detect (`language: "auto"`).
    pub language: Option<String>,
    pub operating_point: OperatingPoint,
    /// `diarization: "channel"`: each channel recognised on its own and labelled.
    pub split_channels: bool,
    /// `diarization: "speaker"`: the words are labelled `S1`, `S2`… by voice, on the down-mix.
    pub speaker_diarization: bool,
    /// `speaker_diarization_config`: how speakers are told apart.
    pub speakers: diarize::DiarizeOptions,
    /// From `domain` and `additional_vocab`: Whisper follows the topic and the spelling of
    /// words in its prompt.
    pub initial_prompt: Option<String>,
    /// `task: "translate"`: English text from speech in any language.
    pub translate: bool,
    /// `temperature` (the OpenAI routes'): where each window's decoding starts; 0 is beam
    /// search.
    pub temperature: f32,
    /// `additional_vocab` entries, whose `sounds_like` phrases are rewritten after recognition.
    pub vocab: Vec<VocabEntry>,
    /// `output_locale` (e.g. `en-GB`): the spelling of the output.
    pub output_locale: Option<String>,
    pub cues: CueOptions,
}

impl Request {
    pub fn from_job_config(job_config: &JobConfig) -> Request {
        let srt = job_config
            .output_config
            .as_ref()
            .and_then(|o| o.srt_overrides)
            .unwrap_or_default();
        let defaults = CueOptions::default();
        let cues = CueOptions {
            max_line_length: srt
                .max_line_length
                .map_or(defaults.max_line_length, |n| n.get()),
            max_lines: srt.max_lines.map_or(defaults.max_lines, |n| n.get()),
        };
        Request::new(&job_config.transcription_config, cues)
    }

    /// The options of a transcription config, with these subtitle cues.
    pub fn new(tc: &TranscriptionConfig, cues: CueOptions) -> Request {
        let language = match tc.language {
            Language::Auto => None,
            Language::Code(code) => Some(code.to_string()),
        };
        let vocab: Vec<VocabEntry> = tc
            .additional_vocab
            .as_ref()
            .map(|v| v.items().iter().map(vocab_entry).collect())
            .unwrap_or_default();
        let domain = tc.domain.as_ref().map(|d| d.topic());
        Request {
            language,
            operating_point: tc.operating_point,
            split_channels: tc.diarization == Diarization::Channel,
            speaker_diarization: tc.diarization == Diarization::Speaker,
            speakers: speaker_options(tc),
            initial_prompt: prompt(domain, &vocab, tc.prompt.as_ref().map(|p| p.text())),
            translate: tc.task == Some(Task::Translate),
            temperature: tc.temperature.map_or(0.0, |t| t.get() as f32),
            vocab,
            output_locale: tc.output_locale.map(|l| l.as_str().to_string()),
            cues,
        }
    }
}

fn speaker_options(tc: &TranscriptionConfig) -> diarize::DiarizeOptions {
    let config = tc.speaker_diarization_config.unwrap_or_default();
    let defaults = diarize::DiarizeOptions::default();
    diarize::DiarizeOptions {
        max_speakers: config.max_speakers.map(|n| n.get()),
        speaker_sensitivity: config
            .speaker_sensitivity
            .map_or(defaults.speaker_sensitivity, |s| s.get() as f32),
        prefer_current_speaker: config
            .prefer_current_speaker
            .unwrap_or(defaults.prefer_current_speaker),
    }
}

fn vocab_entry(item: &jobs::job_config::VocabItem) -> VocabEntry {
    let sounds_like = item
        .sounds_like
        .as_ref()
        .map(|s| {
            s.items()
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    VocabEntry {
        content: item.content.trimmed().to_string(),
        sounds_like,
    }
}

/// The decoder prompt: Whisper continues the style, topic and spellings of the text it is
/// prompted with, so a domain sentence and the vocabulary make those words likelier. The
/// client's own prompt comes last: the decoder follows the nearest text most.
fn prompt(domain: Option<&str>, vocab: &[VocabEntry], client: Option<&str>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(domain) = domain {
        parts.push(format!("A {domain} recording."));
    }
    if !vocab.is_empty() {
        let words: Vec<&str> = vocab.iter().map(|e| e.content.as_str()).collect();
        parts.push(format!("{}.", words.join(", ")));
    }
    parts.extend(client.map(str::to_string));
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// A model and how to run it: what an operating point stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelChoice {
    /// An installed model's name, or a model folder (`asr::models::resolve`).
    pub name: String,
    /// CTranslate2 compute type (`int8`, `float32`…).
    pub compute_type: String,
}

/// The model to load for a job: the default model code maps through the operating point,
/// any other accepted code names an installed model (run like the standard point).
pub fn model_for(model_code: &str, op: OperatingPoint, config: &WorkerConfig) -> ModelChoice {
    let choice = |name: &str, compute_type: &str| ModelChoice {
        name: name.to_string(),
        compute_type: compute_type.to_string(),
    };
    if model_code == DEFAULT_MODEL_CODE || model_code.is_empty() {
        match op {
            OperatingPoint::Standard => choice(&config.model_standard, &config.compute_type),
            OperatingPoint::Enhanced => {
                choice(&config.model_enhanced, &config.compute_type_enhanced)
            }
        }
    } else {
        choice(model_code, &config.compute_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: serde_json::Value) -> JobConfig {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn defaults() {
        let r = Request::from_job_config(&config(
            json!({"type": "transcription", "transcription_config": {}}),
        ));
        assert_eq!(r.language.as_deref(), Some("en"));
        assert_eq!(r.operating_point, OperatingPoint::Standard);
        assert!(!r.split_channels);
        assert!(!r.speaker_diarization);
        assert_eq!(r.initial_prompt, None);
        assert!(r.vocab.is_empty());
        assert_eq!(r.output_locale, None);
        assert_eq!(r.cues, CueOptions::default());
    }

    #[test]
    fn every_field() {
        let r = Request::from_job_config(&config(json!({
            "type": "transcription",
            "transcription_config": {"language": "auto", "operating_point": "enhanced", "diarization": "channel",
                "additional_vocab": [{"content": "Verbatim"}, {"content": " CTranslate2", "sounds_like": ["see translate two", " "]}],
                "domain": " software ", "output_locale": "en-GB", "prompt": " Hello, Anna. "},
            "output_config": {"srt_overrides": {"max_line_length": 20, "max_lines": 1}}
        })));
        assert_eq!(r.language, None);
        assert_eq!(r.operating_point, OperatingPoint::Enhanced);
        assert!(r.split_channels);
        assert!(!r.speaker_diarization);
        assert_eq!(
            r.initial_prompt.as_deref(),
            Some("A software recording. Verbatim, CTranslate2. Hello, Anna.")
        );
        assert_eq!(r.vocab[1].sounds_like, ["see translate two"]);
        assert_eq!(r.output_locale.as_deref(), Some("en-GB"));
        assert_eq!(
            r.cues,
            CueOptions {
                max_line_length: 20,
                max_lines: 1
            }
        );
        let r = Request::from_job_config(&config(json!({"type": "transcription",
            "transcription_config": {"language": "de"},
            "output_config": {"srt_overrides": {"max_lines": 3}}})));
        assert_eq!(r.language.as_deref(), Some("de"));
        assert_eq!(r.cues.max_lines, 3);
        assert_eq!(
            r.cues.max_line_length,
            CueOptions::default().max_line_length
        );
        let r = Request::from_job_config(&config(
            json!({"type": "transcription", "transcription_config": {"diarization": "speaker"}}),
        ));
        assert!(r.speaker_diarization && !r.split_channels);
        assert_eq!(r.speakers, diarize::DiarizeOptions::default());
        let r = Request::from_job_config(&config(
            json!({"type": "transcription", "transcription_config": {"diarization": "speaker",
                "speaker_diarization_config": {"max_speakers": 3, "speaker_sensitivity": 0.8,
                    "prefer_current_speaker": true}}}),
        ));
        assert_eq!(
            r.speakers,
            diarize::DiarizeOptions {
                max_speakers: Some(3),
                speaker_sensitivity: 0.8,
                prefer_current_speaker: true
            }
        );
    }

    #[test]
    fn the_output_locales_are_the_ones_transcript_spells() {
        for l in jobs::job_config::OutputLocale::ALL {
            assert!(transcript::LOCALES.contains(&l.as_str()), "{}", l.as_str());
        }
        assert_eq!(
            transcript::LOCALES.len(),
            jobs::job_config::OutputLocale::ALL.len()
        );
    }

    #[test]
    fn models() {
        let c = WorkerConfig {
            model_standard: "tiny.en".into(),
            model_enhanced: "base".into(),
            compute_type: "int8".into(),
            compute_type_enhanced: "float32".into(),
            ..Default::default()
        };
        let choice = |name: &str, compute_type: &str| ModelChoice {
            name: name.into(),
            compute_type: compute_type.into(),
        };
        assert_eq!(
            model_for(DEFAULT_MODEL_CODE, OperatingPoint::Standard, &c),
            choice("tiny.en", "int8")
        );
        assert_eq!(
            model_for(DEFAULT_MODEL_CODE, OperatingPoint::Enhanced, &c),
            choice("base", "float32")
        );
        assert_eq!(
            model_for("base", OperatingPoint::Standard, &c),
            choice("base", "int8")
        );
        assert_eq!(
            model_for("base", OperatingPoint::Enhanced, &c),
            choice("base", "int8")
        );
    }
}
