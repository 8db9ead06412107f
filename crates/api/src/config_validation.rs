//! Checks of the client's `transcription_config`, `output_config`, `tracking` and `metadata`
//! (contract section 4). Unknown fields are refused by name: a typo must not silently change a
//! transcript. The checked values are what is stored in `job_config`, which the worker reads.

use serde_json::{Map, Value};

/// The languages of the hosted model (contract section 4); `auto` asks for detection.
pub const LANGUAGES: [&str; 55] = [
    "ar", "ba", "be", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "eo", "es", "et", "eu",
    "fa", "fi", "fr", "ga", "gl", "he", "hi", "hr", "hu", "ia", "id", "it", "ja", "ko", "lt", "lv",
    "mn", "mr", "ms", "mt", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "sw", "ta", "th",
    "tl", "tr", "ug", "uk", "ur", "vi", "zh",
];
pub const AUTO_LANGUAGE: &str = "auto";
pub const DEFAULT_LANGUAGE: &str = "en";

const TRANSCRIPTION_FIELDS: [&str; 7] = [
    "language",
    "operating_point",
    "diarization",
    "domain",
    "output_locale",
    "enable_entities",
    "additional_vocab",
];
const OUTPUT_FIELDS: [&str; 1] = ["srt_overrides"];
const SRT_FIELDS: [&str; 2] = ["max_line_length", "max_lines"];
const TRACKING_FIELDS: [&str; 4] = ["title", "reference", "tags", "details"];
const VOCAB_FIELDS: [&str; 2] = ["content", "sounds_like"];

/// A validation failure: the message is shown to the client as it is.
pub type Invalid = String;

fn object<'a>(value: &'a Value, name: &str) -> Result<&'a Map<String, Value>, Invalid> {
    value
        .as_object()
        .ok_or_else(|| format!("{name} must be a JSON object"))
}

fn known_fields(map: &Map<String, Value>, name: &str, allowed: &[&str]) -> Result<(), Invalid> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(format!("Unknown field in {name}: {unknown}")),
        None => Ok(()),
    }
}

fn string<'a>(value: &'a Value, name: &str) -> Result<&'a str, Invalid> {
    value
        .as_str()
        .ok_or_else(|| format!("{name} must be a string"))
}

/// Validates `transcription_config` and fills the defaults (`language` `en`, `operating_point`
/// `standard`, `diarization` `none`), so the stored config says what was done.
/// Longest accepted `domain`.
pub const MAX_DOMAIN_CHARS: usize = 64;

pub fn transcription_config(value: &Value) -> Result<Value, Invalid> {
    let name = "transcription_config";
    let map = object(value, name)?;
    known_fields(map, name, &TRANSCRIPTION_FIELDS)?;
    let mut out = map.clone();

    let language = match map.get("language") {
        None | Some(Value::Null) => DEFAULT_LANGUAGE,
        Some(v) => string(v, "transcription_config.language")?,
    };
    if language != AUTO_LANGUAGE && !LANGUAGES.contains(&language) {
        return Err(format!("Unsupported language: {language}"));
    }
    out.insert("language".into(), language.into());

    let operating_point = match map.get("operating_point") {
        None | Some(Value::Null) => "standard",
        Some(v) => string(v, "transcription_config.operating_point")?,
    };
    if !["standard", "enhanced"].contains(&operating_point) {
        return Err(format!(
            "Invalid transcription_config.operating_point: {operating_point}. Allowed: standard, enhanced"
        ));
    }
    out.insert("operating_point".into(), operating_point.into());

    let diarization = match map.get("diarization") {
        None | Some(Value::Null) => "none",
        Some(v) => string(v, "transcription_config.diarization")?,
    };
    if !["none", "speaker", "channel"].contains(&diarization) {
        return Err(format!(
            "Invalid transcription_config.diarization: {diarization}. Allowed: none, speaker, channel"
        ));
    }
    out.insert("diarization".into(), diarization.into());

    for field in ["domain", "output_locale"] {
        if let Some(v) = map.get(field) {
            if !v.is_null() {
                string(v, &format!("transcription_config.{field}"))?;
            }
        }
    }
    // A locale that would change nothing must not pass silently as if it did.
    if let Some(locale) = map.get("output_locale").and_then(Value::as_str) {
        let canonical = transcript::locale::LOCALES
            .iter()
            .find(|l| l.eq_ignore_ascii_case(&locale.trim().replace('_', "-")))
            .ok_or_else(|| {
                format!(
                    "Unsupported output_locale: {locale}. Supported: {}",
                    transcript::locale::LOCALES.join(", ")
                )
            })?;
        out.insert("output_locale".into(), (*canonical).into());
    }
    // The domain goes into the decoder prompt, whose room is small: a short topic only.
    if let Some(domain) = map.get("domain").and_then(Value::as_str) {
        let n = domain.trim().chars().count();
        if n == 0 || n > MAX_DOMAIN_CHARS {
            return Err(format!(
                "transcription_config.domain must be 1 to {MAX_DOMAIN_CHARS} characters"
            ));
        }
    }
    if let Some(v) = map.get("enable_entities") {
        if !v.is_boolean() && !v.is_null() {
            return Err("transcription_config.enable_entities must be a boolean".into());
        }
    }
    if let Some(v) = map.get("additional_vocab") {
        additional_vocab(v)?;
    }
    Ok(Value::Object(out))
}

/// Most `additional_vocab` entries (Speechmatics' limit), and `sounds_like` per entry.
pub const MAX_VOCAB_ENTRIES: usize = 1000;
pub const MAX_SOUNDS_LIKE: usize = 10;
/// Largest `metadata` and `tracking`, as compact JSON.
pub const MAX_OBJECT_BYTES: usize = 16 * 1024;

fn additional_vocab(value: &Value) -> Result<(), Invalid> {
    let items = value
        .as_array()
        .ok_or("transcription_config.additional_vocab must be an array")?;
    if items.len() > MAX_VOCAB_ENTRIES {
        return Err(format!(
            "transcription_config.additional_vocab has more than {MAX_VOCAB_ENTRIES} entries"
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let name = format!("transcription_config.additional_vocab[{i}]");
        let map = object(item, &name)?;
        known_fields(map, &name, &VOCAB_FIELDS)?;
        match map.get("content") {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            _ => return Err(format!("{name}.content must be a non-empty string")),
        }
        if let Some(sounds) = map.get("sounds_like") {
            let ok = sounds
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string));
            if !ok {
                return Err(format!("{name}.sounds_like must be an array of strings"));
            }
            if sounds.as_array().is_some_and(|a| a.len() > MAX_SOUNDS_LIKE) {
                return Err(format!(
                    "{name}.sounds_like has more than {MAX_SOUNDS_LIKE} entries"
                ));
            }
        }
    }
    Ok(())
}

/// Validates `output_config` (`srt_overrides.max_line_length` and `max_lines`, integers ≥ 1).
pub fn output_config(value: &Value) -> Result<Value, Invalid> {
    let name = "output_config";
    let map = object(value, name)?;
    known_fields(map, name, &OUTPUT_FIELDS)?;
    if let Some(srt) = map.get("srt_overrides") {
        let name = "output_config.srt_overrides";
        let srt_map = object(srt, name)?;
        known_fields(srt_map, name, &SRT_FIELDS)?;
        for field in SRT_FIELDS {
            if let Some(v) = srt_map.get(field) {
                let ok = v.as_u64().is_some_and(|n| (1..=10_000).contains(&n));
                if !ok {
                    return Err(format!(
                        "{name}.{field} must be an integer between 1 and 10000"
                    ));
                }
            }
        }
    }
    Ok(value.clone())
}

/// Validates `tracking` (`title`, `reference`: strings; `tags`: array of strings; `details`: object).
pub fn tracking(value: &Value) -> Result<Value, Invalid> {
    let name = "tracking";
    let map = object(value, name)?;
    within_size(value, name)?;
    known_fields(map, name, &TRACKING_FIELDS)?;
    for field in ["title", "reference"] {
        if let Some(v) = map.get(field) {
            string(v, &format!("tracking.{field}"))?;
        }
    }
    if let Some(tags) = map.get("tags") {
        if !tags
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string))
        {
            return Err("tracking.tags must be an array of strings".into());
        }
    }
    if let Some(details) = map.get("details") {
        object(details, "tracking.details")?;
    }
    Ok(value.clone())
}

/// `metadata` is any JSON object, stored as sent.
pub fn metadata(value: &Value) -> Result<Value, Invalid> {
    object(value, "metadata")?;
    within_size(value, "metadata")?;
    Ok(value.clone())
}

fn within_size(value: &Value, name: &str) -> Result<(), Invalid> {
    if value.to_string().len() > MAX_OBJECT_BYTES {
        return Err(format!(
            "{name} is larger than {} KB",
            MAX_OBJECT_BYTES / 1024
        ));
    }
    Ok(())
}

/// Parses a JSON text (the multipart form of the fields) naming the field when it is not JSON.
pub fn parse_json_text(text: &str, name: &str) -> Result<Value, Invalid> {
    serde_json::from_str(text).map_err(|_| format!("{name} must be valid JSON"))
}

/// The `job_config` stored with a job: `{"type": "transcription", "transcription_config", "tracking"?, "output_config"?}`.
pub fn job_config(
    transcription_config: Value,
    tracking: Option<Value>,
    output_config: Option<Value>,
) -> Value {
    let mut config = Map::new();
    config.insert("type".into(), "transcription".into());
    config.insert("transcription_config".into(), transcription_config);
    if let Some(t) = tracking {
        config.insert("tracking".into(), t);
    }
    if let Some(o) = output_config {
        config.insert("output_config".into(), o);
    }
    Value::Object(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_contract_language_and_auto_accepted() {
        assert_eq!(LANGUAGES.len(), 55);
        for code in LANGUAGES.iter().chain([&AUTO_LANGUAGE]) {
            let v = transcription_config(&json!({ "language": code })).unwrap();
            assert_eq!(v["language"], *code);
        }
        assert_eq!(
            transcription_config(&json!({"language": "xx"})).unwrap_err(),
            "Unsupported language: xx"
        );
        assert_eq!(
            transcription_config(&json!({"language": "EN"})).unwrap_err(),
            "Unsupported language: EN"
        );
    }

    #[test]
    fn defaults_are_filled() {
        let v = transcription_config(&json!({})).unwrap();
        assert_eq!(
            v,
            json!({"language": "en", "operating_point": "standard", "diarization": "none"})
        );
    }

    #[test]
    fn unknown_fields_are_named() {
        assert_eq!(
            transcription_config(&json!({"langauge": "en"})).unwrap_err(),
            "Unknown field in transcription_config: langauge"
        );
        assert_eq!(
            output_config(&json!({"srt_overrides": {"max_line_lenght": 3}})).unwrap_err(),
            "Unknown field in output_config.srt_overrides: max_line_lenght"
        );
        assert_eq!(
            tracking(&json!({"titel": "x"})).unwrap_err(),
            "Unknown field in tracking: titel"
        );
        assert_eq!(
            transcription_config(
                &json!({"additional_vocab": [{"content": "x", "sound_like": []}]})
            )
            .unwrap_err(),
            "Unknown field in transcription_config.additional_vocab[0]: sound_like"
        );
    }

    #[test]
    fn bad_values() {
        assert!(transcription_config(&json!("en")).is_err());
        assert!(transcription_config(&json!({"operating_point": "fast"})).is_err());
        assert!(transcription_config(&json!({"diarization": "yes"})).is_err());
        assert!(transcription_config(&json!({"enable_entities": "yes"})).is_err());
        assert!(transcription_config(&json!({"domain": ""}))
            .unwrap_err()
            .contains("domain"));
        assert_eq!(
            transcription_config(&json!({"output_locale": "fr-FR"})).unwrap_err(),
            "Unsupported output_locale: fr-FR. Supported: en-US, en-GB, en-AU, en-NZ"
        );
        assert_eq!(
            transcription_config(&json!({"output_locale": "en_gb"})).unwrap()["output_locale"],
            "en-GB"
        );
        assert!(transcription_config(&json!({"domain": "x".repeat(65)}))
            .unwrap_err()
            .contains("domain"));
        assert_eq!(
            transcription_config(&json!({"domain": "finance"})).unwrap()["domain"],
            "finance"
        );
        assert!(transcription_config(&json!({"additional_vocab": [{"content": ""}]})).is_err());
        assert!(transcription_config(
            &json!({"additional_vocab": [{"content": "a", "sounds_like": [1]}]})
        )
        .is_err());
        assert!(output_config(&json!({"srt_overrides": {"max_lines": 0}})).is_err());
        assert!(output_config(&json!({"srt_overrides": {"max_lines": 2.5}})).is_err());
        assert!(tracking(&json!({"tags": "a"})).is_err());
        assert!(metadata(&json!([1])).is_err());
        let ok = json!({"language": "fr", "operating_point": "enhanced", "diarization": "speaker", "domain": "finance",
            "output_locale": "en-GB", "enable_entities": true,
            "additional_vocab": [{"content": "gnocchi", "sounds_like": ["nyohki"]}]});
        assert_eq!(transcription_config(&ok).unwrap(), ok);
        let srt = json!({"srt_overrides": {"max_line_length": 20, "max_lines": 1}});
        assert_eq!(output_config(&srt).unwrap(), srt);
    }
}
