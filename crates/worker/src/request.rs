//! What a job asks for, read from its `job_config` (already validated by the api, so anything
//! unexpected here falls back to the contract's default instead of failing the job).

use serde_json::Value;
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
    /// From `domain` and `additional_vocab`: Whisper follows the topic and the spelling of
    /// words in its prompt.
    pub initial_prompt: Option<String>,
    /// `additional_vocab` entries, whose `sounds_like` phrases are rewritten after recognition.
    pub vocab: Vec<VocabEntry>,
    /// `output_locale` (e.g. `en-GB`): the spelling of the output.
    pub output_locale: Option<String>,
    pub cues: CueOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatingPoint {
    Standard,
    Enhanced,
}

impl Request {
    pub fn from_job_config(job_config: &Value) -> Request {
        let tc = &job_config["transcription_config"];
        let language = match tc["language"].as_str().map(str::trim) {
            Some("auto") => None,
            Some(code) if !code.is_empty() => Some(code.to_ascii_lowercase()),
            _ => Some("en".to_string()),
        };
        let operating_point = match tc["operating_point"].as_str() {
            Some("enhanced") => OperatingPoint::Enhanced,
            _ => OperatingPoint::Standard,
        };
        let split_channels = tc["diarization"].as_str() == Some("channel");
        let speaker_diarization = tc["diarization"].as_str() == Some("speaker");
        let vocab: Vec<VocabEntry> = tc["additional_vocab"]
            .as_array()
            .map(|items| items.iter().filter_map(vocab_entry).collect())
            .unwrap_or_default();
        let domain = tc["domain"]
            .as_str()
            .map(str::trim)
            .filter(|d| !d.is_empty());
        let initial_prompt = prompt(domain, &vocab);
        let output_locale = tc["output_locale"]
            .as_str()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from);
        let overrides = &job_config["output_config"]["srt_overrides"];
        let defaults = CueOptions::default();
        let positive = |v: &Value| {
            v.as_u64()
                .filter(|n| *n > 0)
                .map(|n| n.min(10_000) as usize)
        };
        let cues = CueOptions {
            max_line_length: positive(&overrides["max_line_length"])
                .unwrap_or(defaults.max_line_length),
            max_lines: positive(&overrides["max_lines"]).unwrap_or(defaults.max_lines),
        };
        Request {
            language,
            operating_point,
            split_channels,
            speaker_diarization,
            initial_prompt,
            vocab,
            output_locale,
            cues,
        }
    }
}

fn vocab_entry(v: &Value) -> Option<VocabEntry> {
    let content = v["content"].as_str().or_else(|| v.as_str())?.trim();
    if content.is_empty() {
        return None;
    }
    let sounds_like = v["sounds_like"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    Some(VocabEntry {
        content: content.to_string(),
        sounds_like,
    })
}

/// The decoder prompt: Whisper continues the style, topic and spellings of the text it is
/// prompted with, so a domain sentence and the vocabulary make those words likelier.
fn prompt(domain: Option<&str>, vocab: &[VocabEntry]) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(domain) = domain {
        parts.push(format!("A {domain} recording."));
    }
    if !vocab.is_empty() {
        let words: Vec<&str> = vocab.iter().map(|e| e.content.as_str()).collect();
        parts.push(format!("{}.", words.join(", ")));
    }
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

    #[test]
    fn defaults() {
        let r =
            Request::from_job_config(&json!({"type": "transcription", "transcription_config": {}}));
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
        let r = Request::from_job_config(&json!({
            "type": "transcription",
            "transcription_config": {"language": "auto", "operating_point": "enhanced", "diarization": "channel",
                "additional_vocab": [{"content": "Verbatim"}, {"content": "CTranslate2", "sounds_like": ["see translate two"]}],
                "domain": "software", "output_locale": "en-GB"},
            "output_config": {"srt_overrides": {"max_line_length": 20, "max_lines": 1}}
        }));
        assert_eq!(r.language, None);
        assert_eq!(r.operating_point, OperatingPoint::Enhanced);
        assert!(r.split_channels);
        assert!(!r.speaker_diarization);
        assert_eq!(
            r.initial_prompt.as_deref(),
            Some("A software recording. Verbatim, CTranslate2.")
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
        let r = Request::from_job_config(&json!({"transcription_config": {"language": "DE"},
            "output_config": {"srt_overrides": {"max_line_length": 0}}}));
        assert_eq!(r.language.as_deref(), Some("de"));
        assert_eq!(r.cues, CueOptions::default());
        let r =
            Request::from_job_config(&json!({"transcription_config": {"diarization": "speaker"}}));
        assert!(r.speaker_diarization && !r.split_channels);
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
