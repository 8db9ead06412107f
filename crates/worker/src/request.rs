//! What a job asks for, read from its `job_config` (already validated by the api, so anything
//! unexpected here falls back to the contract's default instead of failing the job).

use serde_json::Value;
use transcript::CueOptions;

use crate::config::{WorkerConfig, DEFAULT_MODEL_CODE};

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `None` = detect (`language: "auto"`).
    pub language: Option<String>,
    pub operating_point: OperatingPoint,
    /// `diarization: "channel"`: each channel recognised on its own and labelled.
    pub split_channels: bool,
    /// From `additional_vocab`: Whisper follows the spelling of words in its prompt.
    pub initial_prompt: Option<String>,
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
        let vocab: Vec<&str> = tc["additional_vocab"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v["content"].as_str().or_else(|| v.as_str()))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let initial_prompt = (!vocab.is_empty()).then(|| format!("{}.", vocab.join(", ")));
        let overrides = &job_config["output_config"]["srt_overrides"];
        let defaults = CueOptions::default();
        let positive = |v: &Value| v.as_u64().filter(|n| *n > 0).map(|n| n.min(10_000) as usize);
        let cues = CueOptions {
            max_line_length: positive(&overrides["max_line_length"]).unwrap_or(defaults.max_line_length),
            max_lines: positive(&overrides["max_lines"]).unwrap_or(defaults.max_lines),
        };
        Request { language, operating_point, split_channels, initial_prompt, cues }
    }
}

/// The model to load for a job: the default model code maps through the operating point,
/// any other accepted code names an installed model.
pub fn model_for(model_code: &str, op: OperatingPoint, config: &WorkerConfig) -> String {
    if model_code == DEFAULT_MODEL_CODE || model_code.is_empty() {
        match op {
            OperatingPoint::Standard => config.model_standard.clone(),
            OperatingPoint::Enhanced => config.model_enhanced.clone(),
        }
    } else {
        model_code.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults() {
        let r = Request::from_job_config(&json!({"type": "transcription", "transcription_config": {}}));
        assert_eq!(r.language.as_deref(), Some("en"));
        assert_eq!(r.operating_point, OperatingPoint::Standard);
        assert!(!r.split_channels);
        assert_eq!(r.initial_prompt, None);
        assert_eq!(r.cues, CueOptions::default());
    }

    #[test]
    fn every_field() {
        let r = Request::from_job_config(&json!({
            "type": "transcription",
            "transcription_config": {"language": "auto", "operating_point": "enhanced", "diarization": "channel",
                "additional_vocab": [{"content": "Verbatim"}, {"content": "CTranslate2", "sounds_like": ["see translate two"]}]},
            "output_config": {"srt_overrides": {"max_line_length": 20, "max_lines": 1}}
        }));
        assert_eq!(r.language, None);
        assert_eq!(r.operating_point, OperatingPoint::Enhanced);
        assert!(r.split_channels);
        assert_eq!(r.initial_prompt.as_deref(), Some("Verbatim, CTranslate2."));
        assert_eq!(r.cues, CueOptions { max_line_length: 20, max_lines: 1 });
        let r = Request::from_job_config(&json!({"transcription_config": {"language": "DE"},
            "output_config": {"srt_overrides": {"max_line_length": 0}}}));
        assert_eq!(r.language.as_deref(), Some("de"));
        assert_eq!(r.cues, CueOptions::default());
    }

    #[test]
    fn models() {
        let c = WorkerConfig { model_standard: "tiny.en".into(), model_enhanced: "base".into(), ..Default::default() };
        assert_eq!(model_for(DEFAULT_MODEL_CODE, OperatingPoint::Standard, &c), "tiny.en");
        assert_eq!(model_for(DEFAULT_MODEL_CODE, OperatingPoint::Enhanced, &c), "base");
        assert_eq!(model_for("base", OperatingPoint::Standard, &c), "base");
    }
}
