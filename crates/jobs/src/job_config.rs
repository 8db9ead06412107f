//! A job's configuration (contract section 4), in its one typed form: parsed from the client's
//! JSON by the api (each refusal is the contract's message, naming the field), stored with the
//! job, and read back by the worker as it was stored. Closed sets are enums; defaults are the
//! contract's and are filled in at parsing, so a stored config says what was done.
//!
//! Parsing is serde's, with `deny_unknown_fields` everywhere: a typo must not silently change
//! a transcript. [`parse`] turns serde's errors into the contract's messages, with the field's
//! path (`transcription_config.additional_vocab[0].content`).

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The languages of the hosted model (contract section 4); `auto` asks for detection.
pub const LANGUAGES: [&str; 55] = [
    "ar", "ba", "be", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "eo", "es", "et", "eu",
    "fa", "fi", "fr", "ga", "gl", "he", "hi", "hr", "hu", "ia", "id", "it", "ja", "ko", "lt", "lv",
    "mn", "mr", "ms", "mt", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "sw", "ta", "th",
    "tl", "tr", "ug", "uk", "ur", "vi", "zh",
];
/// Longest accepted `domain`, in characters: it goes into the decoder prompt, whose room is small.
pub const MAX_DOMAIN_CHARS: usize = 64;
/// Most `additional_vocab` entries (Speechmatics' limit), and `sounds_like` phrases per entry.
pub const MAX_VOCAB_ENTRIES: usize = 1000;
pub const MAX_SOUNDS_LIKE: usize = 10;
/// Largest `metadata` and `tracking`, as compact JSON.
pub const MAX_OBJECT_BYTES: usize = 16 * 1024;
/// Bounds of the subtitle overrides.
pub const MAX_CUE_LIMIT: u32 = 10_000;

/// Where a leaf's own message puts the field's path (filled in by [`parse`]). It always comes
/// before any client text in the message, so only its first occurrence is replaced.
const PATH: &str = "{path}";
/// Marks a message as one of ours (complete), not serde's (to be translated).
const OWN: char = '\u{1}';

/// A refusal with the contract's message (which may hold [`PATH`]).
fn refuse<E: serde::de::Error>(message: impl fmt::Display) -> E {
    E::custom(format!("{OWN}{message}"))
}

/// The `job_config` stored with a job.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    #[serde(rename = "type")]
    pub kind: JobKind,
    pub transcription_config: TranscriptionConfig,
    pub tracking: Option<Tracking>,
    pub output_config: Option<OutputConfig>,
    /// Verbatim's own (docs/extensions.md): the job's files are purged this many seconds after
    /// it ends, or after the server's retention if that is shorter.
    pub retention_seconds: Option<u64>,
    /// Speechmatics' webhooks, signed as Standard Webhooks (docs/extensions.md).
    pub notification_config: Option<NotificationConfig>,
}

impl JobConfig {
    pub fn transcription(
        transcription_config: TranscriptionConfig,
        tracking: Option<Tracking>,
        output_config: Option<OutputConfig>,
    ) -> Self {
        JobConfig {
            kind: JobKind::Transcription,
            transcription_config,
            tracking,
            output_config,
            retention_seconds: None,
            notification_config: None,
        }
    }

    pub fn with_retention_seconds(self, retention_seconds: Option<u64>) -> Self {
        JobConfig {
            retention_seconds,
            ..self
        }
    }

    pub fn with_notification_config(self, notification_config: Option<NotificationConfig>) -> Self {
        JobConfig {
            notification_config,
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Transcription,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptionConfig {
    #[serde(default)]
    pub language: Language,
    #[serde(default)]
    pub operating_point: OperatingPoint,
    #[serde(default)]
    pub diarization: Diarization,
    /// A short topic ("finance"), put into the decoder prompt.
    pub domain: Option<Domain>,
    /// English spelling of the output.
    pub output_locale: Option<OutputLocale>,
    pub enable_entities: Option<bool>,
    pub additional_vocab: Option<Vocab>,
    /// Speaker settings, used with `diarization: "speaker"` (accepted, and unused, without it).
    pub speaker_diarization_config: Option<SpeakerDiarizationConfig>,
    /// Absent in the contract's configs; see [`Task`].
    pub task: Option<Task>,
    /// Verbatim's own (the OpenAI routes' `prompt`): text the decoder continues from, for the
    /// style and spellings of the transcript.
    pub prompt: Option<Prompt>,
    /// Verbatim's own (the OpenAI routes' `temperature`): the decoder's sampling temperature
    /// for each window's first attempt, 0 (the default: beam search) to 1.
    pub temperature: Option<ZeroToOne>,
}

impl TranscriptionConfig {
    /// The client's `transcription_config` object.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let name = "transcription_config";
        objects_at(value, name, &["speaker_diarization_config"])?;
        if let Some(Value::Array(items)) = value.get("additional_vocab") {
            for (i, item) in items.iter().enumerate() {
                objects_at(item, &format!("{name}.additional_vocab[{i}]"), &[])?;
            }
        }
        parse(value, name)
    }
}

/// `language`: a code of [`LANGUAGES`], or `auto` (detect). Default `en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Auto,
    Code(&'static str),
}

impl Default for Language {
    fn default() -> Self {
        Language::Code("en")
    }
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Auto => "auto",
            Language::Code(c) => c,
        }
    }
}

impl std::str::FromStr for Language {
    type Err = String;
    /// Exact lower-case codes only; the error is the contract's message.
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "auto" {
            return Ok(Language::Auto);
        }
        LANGUAGES
            .iter()
            .find(|c| **c == s)
            .map(|c| Language::Code(c))
            .ok_or_else(|| format!("Unsupported language: {s}"))
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Language {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(Language::default()),
            Some(s) => s.parse().map_err(refuse),
        }
    }
}

/// A closed set of names, its default for a missing or null value, and the contract's message
/// for any other name.
macro_rules! closed_set {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? } default $default:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
        pub enum $name {
            $(#[doc = $text] #[cfg_attr(feature = "clap", value(name = $text))] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $name {
            /// The value of this name, if it is one.
            pub fn named(s: &str) -> Option<Self> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                match Option::<String>::deserialize(d)? {
                    None => Ok($name::default()),
                    Some(s) => $name::named(&s).ok_or_else(|| {
                        let allowed: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        refuse(format!("Invalid {PATH}: {s}. Allowed: {}", allowed.join(", ")))
                    }),
                }
            }
        }
    };
}

// After the macro: the module's closed sets use it.
mod notification;
pub use notification::{
    AuthHeaders, Notification, NotificationConfig, NotificationContent, NotificationMethod,
    NotificationUrl, MAX_NOTIFICATIONS,
};

closed_set! {
    /// `operating_point`: which model runs (standard: fast; enhanced: the larger model).
    OperatingPoint { Standard = "standard", Enhanced = "enhanced" } default Standard
}

closed_set! {
    /// `task` (a Verbatim extension, set by the OpenAI-compatible translations route):
    /// `translate` turns the speech into English text (multilingual models only).
    Task { Transcribe = "transcribe", Translate = "translate" } default Transcribe
}

closed_set! {
    /// `diarization`: `speaker` labels words by voice (`S1`, `S2`…); `channel` recognises each
    /// channel on its own and labels it.
    Diarization { Off = "none", Speaker = "speaker", Channel = "channel" } default Off
}

/// `domain`: 1 to [`MAX_DOMAIN_CHARS`] characters (trimmed), kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Domain(String);

impl Domain {
    /// The topic without surrounding blanks.
    pub fn topic(&self) -> &str {
        self.0.trim()
    }
}

impl<'de> Deserialize<'de> for Domain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let n = s.trim().chars().count();
        if n == 0 || n > MAX_DOMAIN_CHARS {
            return Err(refuse(format!(
                "{PATH} must be 1 to {MAX_DOMAIN_CHARS} characters"
            )));
        }
        Ok(Domain(s))
    }
}

/// Longest accepted `prompt`, in characters: Whisper keeps at most 223 tokens of it.
pub const MAX_PROMPT_CHARS: usize = 1000;

/// `prompt`: 1 to [`MAX_PROMPT_CHARS`] characters (trimmed), kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Prompt(String);

impl Prompt {
    /// The text without surrounding blanks.
    pub fn text(&self) -> &str {
        self.0.trim()
    }
}

impl<'de> Deserialize<'de> for Prompt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let n = s.trim().chars().count();
        if n == 0 || n > MAX_PROMPT_CHARS {
            return Err(refuse(format!(
                "{PATH} must be 1 to {MAX_PROMPT_CHARS} characters"
            )));
        }
        Ok(Prompt(s))
    }
}

/// `output_locale`: the English spellings the output can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLocale {
    EnUs,
    EnGb,
    EnAu,
    EnNz,
}

impl OutputLocale {
    pub const ALL: [OutputLocale; 4] = [
        OutputLocale::EnUs,
        OutputLocale::EnGb,
        OutputLocale::EnAu,
        OutputLocale::EnNz,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputLocale::EnUs => "en-US",
            OutputLocale::EnGb => "en-GB",
            OutputLocale::EnAu => "en-AU",
            OutputLocale::EnNz => "en-NZ",
        }
    }
}

impl std::str::FromStr for OutputLocale {
    type Err = String;
    /// Any case, `_` or `-` (`en_gb` is `en-GB`).
    fn from_str(s: &str) -> Result<Self, String> {
        let wanted = s.trim().replace('_', "-");
        OutputLocale::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = OutputLocale::ALL.iter().map(|l| l.as_str()).collect();
                format!(
                    "Unsupported output_locale: {s}. Supported: {}",
                    names.join(", ")
                )
            })
    }
}

impl Serialize for OutputLocale {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OutputLocale {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(refuse)
    }
}

/// `additional_vocab`: at most [`MAX_VOCAB_ENTRIES`] entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Vocab(Vec<VocabItem>);

impl Vocab {
    pub fn items(&self) -> &[VocabItem] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Vocab {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<VocabItem>::deserialize(d)?;
        if items.len() > MAX_VOCAB_ENTRIES {
            return Err(refuse(format!(
                "{PATH} has more than {MAX_VOCAB_ENTRIES} entries"
            )));
        }
        Ok(Vocab(items))
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VocabItem {
    /// A word or phrase as it should be written.
    pub content: NonEmptyText,
    /// How it may sound: phrases rewritten to `content` after recognition.
    pub sounds_like: Option<Texts<MAX_SOUNDS_LIKE>>,
}

/// A string with more than blanks in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct NonEmptyText(String);

impl NonEmptyText {
    /// The text without surrounding blanks.
    pub fn trimmed(&self) -> &str {
        self.0.trim()
    }
}

impl<'de> Deserialize<'de> for NonEmptyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if !s.trim().is_empty() => Ok(NonEmptyText(s)),
            _ => Err(refuse(format!("{PATH} must be a non-empty string"))),
        }
    }
}

/// An array of at most `MAX` strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Texts<const MAX: usize>(Vec<String>);

impl<const MAX: usize> Texts<MAX> {
    pub fn items(&self) -> &[String] {
        &self.0
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Texts<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let not_strings = || refuse(format!("{PATH} must be an array of strings"));
        let Value::Array(items) = Value::deserialize(d)? else {
            return Err(not_strings());
        };
        if items.len() > MAX {
            return Err(refuse(format!("{PATH} has more than {MAX} entries")));
        }
        items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(not_strings()),
            })
            .collect::<Result<_, _>>()
            .map(Texts)
    }
}

/// `speaker_diarization_config`: Speechmatics' speaker settings.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakerDiarizationConfig {
    /// At most this many speakers.
    pub max_speakers: Option<MaxSpeakers>,
    /// 0–1, higher finds more speakers (default 0.5).
    pub speaker_sensitivity: Option<ZeroToOne>,
    /// Fewer switches between similar voices.
    pub prefer_current_speaker: Option<bool>,
}

/// Bounds of `max_speakers` (Speechmatics').
pub const MAX_SPEAKERS_RANGE: std::ops::RangeInclusive<u32> = 2..=100;

/// `max_speakers`: an integer in [`MAX_SPEAKERS_RANGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MaxSpeakers(u32);

impl MaxSpeakers {
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

impl<'de> Deserialize<'de> for MaxSpeakers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (lo, hi) = (*MAX_SPEAKERS_RANGE.start(), *MAX_SPEAKERS_RANGE.end());
        Value::deserialize(d)?
            .as_u64()
            .filter(|n| (u64::from(lo)..=u64::from(hi)).contains(n))
            .map(|n| MaxSpeakers(n as u32))
            .ok_or_else(|| refuse(format!("{PATH} must be an integer between {lo} and {hi}")))
    }
}

/// A number from 0 to 1: `speaker_sensitivity`, `temperature`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ZeroToOne(f64);

impl ZeroToOne {
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for ZeroToOne {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d)?
            .as_f64()
            .filter(|x| (0.0..=1.0).contains(x))
            .map(ZeroToOne)
            .ok_or_else(|| refuse(format!("{PATH} must be a number between 0 and 1")))
    }
}

/// `tracking`: the client's labels for the job, stored and shown as sent.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tracking {
    pub title: Option<String>,
    pub reference: Option<String>,
    pub tags: Option<Texts<{ usize::MAX }>>,
    pub details: Option<Map<String, Value>>,
}

impl Tracking {
    /// The client's `tracking` object (at most [`MAX_OBJECT_BYTES`]).
    pub fn parse(value: &Value) -> Result<Self, String> {
        objects_at(value, "tracking", &[])?;
        within_size(value, "tracking")?;
        parse(value, "tracking")
    }
}

/// `output_config`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    pub srt_overrides: Option<SrtOverrides>,
}

impl OutputConfig {
    pub fn parse(value: &Value) -> Result<Self, String> {
        objects_at(value, "output_config", &["srt_overrides"])?;
        parse(value, "output_config")
    }
}

/// `output_config.srt_overrides`: subtitle cue shape.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SrtOverrides {
    pub max_line_length: Option<CueLimit>,
    pub max_lines: Option<CueLimit>,
}

/// An integer from 1 to [`MAX_CUE_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CueLimit(u32);

impl CueLimit {
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

impl<'de> Deserialize<'de> for CueLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d)?
            .as_u64()
            .filter(|n| (1..=u64::from(MAX_CUE_LIMIT)).contains(n))
            .map(|n| CueLimit(n as u32))
            .ok_or_else(|| {
                refuse(format!(
                    "{PATH} must be an integer between 1 and {MAX_CUE_LIMIT}"
                ))
            })
    }
}

/// The client's `metadata`: any JSON object (at most [`MAX_OBJECT_BYTES`]), stored as sent.
pub fn parse_metadata(value: &Value) -> Result<Value, String> {
    if !value.is_object() {
        return Err("metadata must be a JSON object".into());
    }
    within_size(value, "metadata")?;
    Ok(value.clone())
}

/// Parses a JSON text (the multipart form of the fields), naming the field when it is not JSON.
pub fn parse_json_text(text: &str, name: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|_| format!("{name} must be valid JSON"))
}

fn within_size(value: &Value, name: &str) -> Result<(), String> {
    if value.to_string().len() > MAX_OBJECT_BYTES {
        return Err(format!(
            "{name} is larger than {} KB",
            MAX_OBJECT_BYTES / 1024
        ));
    }
    Ok(())
}

/// Refuses an array where an object (a struct) goes: `value` itself, and its fields named in
/// `nested` when present. (Serde's derive would read an array's items as the fields in order.)
fn objects_at(value: &Value, name: &str, nested: &[&str]) -> Result<(), String> {
    if !value.is_object() {
        return Err(format!("{name} must be a JSON object"));
    }
    for field in nested {
        match value.get(*field) {
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(_) => return Err(format!("{name}.{field} must be a JSON object")),
        }
    }
    Ok(())
}

/// Parses the client's value of the field `name` into `T`; a refusal is the contract's message.
pub fn parse<T: DeserializeOwned>(value: &Value, name: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = match e.path().to_string().as_str() {
            "." | "" => name.to_string(),
            // An item of a top-level array: `name[0].url`.
            path if path.starts_with('[') => format!("{name}{path}"),
            path => format!("{name}.{path}"),
        };
        contract_message(&at, &e.inner().to_string())
    })
}

/// The contract's message for a serde error at the field path `at`.
fn contract_message(at: &str, serde_message: &str) -> String {
    if let Some(own) = serde_message.strip_prefix(OWN) {
        return own.replacen(PATH, at, 1);
    }
    let quoted = |prefix: &str| {
        serde_message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    if let Some(field) = quoted("unknown field `") {
        // The path ends at the unknown field itself; the message names its parent.
        let parent = at.strip_suffix(&format!(".{field}")).unwrap_or(at);
        return format!("Unknown field in {parent}: {field}");
    }
    if let Some(field) = quoted("missing field `") {
        return format!("{at}.{field} must be a non-empty string");
    }
    let expected = serde_message.rsplit("expected ").next().unwrap_or_default();
    let kind = if expected.starts_with("a string") {
        "a string"
    } else if expected.starts_with("a boolean") {
        "a boolean"
    } else if expected.starts_with("a sequence") {
        "an array"
    } else {
        // struct … / a map
        "a JSON object"
    };
    format!("{at} must be {kind}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tc(v: Value) -> Result<TranscriptionConfig, String> {
        TranscriptionConfig::parse(&v)
    }

    #[test]
    fn temperature_is_a_number_from_0_to_1() {
        for t in [0.0, 0.35, 1.0] {
            let config = tc(json!({"temperature": t})).unwrap();
            assert_eq!(config.temperature.map(ZeroToOne::get), Some(t));
        }
        assert_eq!(tc(json!({})).unwrap().temperature, None);
        for bad in [json!(1.2), json!(-0.1), json!("0.5")] {
            assert_eq!(
                tc(json!({"temperature": bad})).unwrap_err(),
                "transcription_config.temperature must be a number between 0 and 1",
                "{bad}"
            );
        }
    }

    #[test]
    fn every_contract_language_and_auto_accepted() {
        for code in LANGUAGES.iter().chain([&"auto"]) {
            let parsed = tc(json!({ "language": code })).unwrap();
            assert_eq!(parsed.language.as_str(), *code);
        }
        assert_eq!(
            tc(json!({"language": "xx"})).unwrap_err(),
            "Unsupported language: xx"
        );
        assert_eq!(
            tc(json!({"language": "EN"})).unwrap_err(),
            "Unsupported language: EN"
        );
        assert_eq!(
            tc(json!({"language": 5})).unwrap_err(),
            "transcription_config.language must be a string"
        );
    }

    #[test]
    fn defaults_are_filled_and_stored() {
        let parsed = tc(json!({})).unwrap();
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            json!({"language": "en", "operating_point": "standard", "diarization": "none"})
        );
        assert_eq!(tc(json!({"language": null})).unwrap(), parsed);
    }

    #[test]
    fn unknown_fields_are_named() {
        assert_eq!(
            tc(json!({"langauge": "en"})).unwrap_err(),
            "Unknown field in transcription_config: langauge"
        );
        assert_eq!(
            OutputConfig::parse(&json!({"srt_overrides": {"max_line_lenght": 3}})).unwrap_err(),
            "Unknown field in output_config.srt_overrides: max_line_lenght"
        );
        assert_eq!(
            Tracking::parse(&json!({"titel": "x"})).unwrap_err(),
            "Unknown field in tracking: titel"
        );
        assert_eq!(
            tc(json!({"additional_vocab": [{"content": "x", "sound_like": []}]})).unwrap_err(),
            "Unknown field in transcription_config.additional_vocab[0]: sound_like"
        );
    }

    #[test]
    fn bad_values_get_the_contract_messages() {
        let cases = [
            (json!("en"), "transcription_config must be a JSON object"),
            (
                json!({"operating_point": "fast"}),
                "Invalid transcription_config.operating_point: fast. Allowed: standard, enhanced",
            ),
            (
                json!({"diarization": "yes"}),
                "Invalid transcription_config.diarization: yes. Allowed: none, speaker, channel",
            ),
            (
                json!({"enable_entities": "yes"}),
                "transcription_config.enable_entities must be a boolean",
            ),
            (
                json!({"domain": ""}),
                "transcription_config.domain must be 1 to 64 characters",
            ),
            (
                json!({"domain": "x".repeat(65)}),
                "transcription_config.domain must be 1 to 64 characters",
            ),
            (
                json!({"output_locale": "fr-FR"}),
                "Unsupported output_locale: fr-FR. Supported: en-US, en-GB, en-AU, en-NZ",
            ),
            (
                json!({"additional_vocab": "x"}),
                "transcription_config.additional_vocab must be an array",
            ),
            (
                json!({"additional_vocab": [{"content": ""}]}),
                "transcription_config.additional_vocab[0].content must be a non-empty string",
            ),
            (
                json!({"additional_vocab": [{"sounds_like": ["a"]}]}),
                "transcription_config.additional_vocab[0].content must be a non-empty string",
            ),
            (
                json!({"additional_vocab": ["word"]}),
                "transcription_config.additional_vocab[0] must be a JSON object",
            ),
            (
                json!({"additional_vocab": [["word"]]}),
                "transcription_config.additional_vocab[0] must be a JSON object",
            ),
            (json!(["en"]), "transcription_config must be a JSON object"),
            (
                json!({"additional_vocab": [{"content": "a", "sounds_like": [1]}]}),
                "transcription_config.additional_vocab[0].sounds_like must be an array of strings",
            ),
            (
                json!({"additional_vocab": [{"content": "a", "sounds_like": vec!["b"; 11]}]}),
                "transcription_config.additional_vocab[0].sounds_like has more than 10 entries",
            ),
            (
                json!({"additional_vocab": vec![json!({"content": "a"}); 1001]}),
                "transcription_config.additional_vocab has more than 1000 entries",
            ),
        ];
        for (value, message) in cases {
            assert_eq!(tc(value.clone()).unwrap_err(), message, "{value}");
        }
        let sdc = "transcription_config.speaker_diarization_config";
        for (value, message) in [
            (json!([]), format!("{sdc} must be a JSON object")),
            (
                json!({"max_speaker": 3}),
                format!("Unknown field in {sdc}: max_speaker"),
            ),
            (
                json!({"max_speakers": 1}),
                format!("{sdc}.max_speakers must be an integer between 2 and 100"),
            ),
            (
                json!({"max_speakers": 101}),
                format!("{sdc}.max_speakers must be an integer between 2 and 100"),
            ),
            (
                json!({"max_speakers": 2.5}),
                format!("{sdc}.max_speakers must be an integer between 2 and 100"),
            ),
            (
                json!({"max_speakers": "3"}),
                format!("{sdc}.max_speakers must be an integer between 2 and 100"),
            ),
            (
                json!({"speaker_sensitivity": 1.5}),
                format!("{sdc}.speaker_sensitivity must be a number between 0 and 1"),
            ),
            (
                json!({"speaker_sensitivity": -0.1}),
                format!("{sdc}.speaker_sensitivity must be a number between 0 and 1"),
            ),
            (
                json!({"speaker_sensitivity": "high"}),
                format!("{sdc}.speaker_sensitivity must be a number between 0 and 1"),
            ),
            (
                json!({"prefer_current_speaker": "yes"}),
                format!("{sdc}.prefer_current_speaker must be a boolean"),
            ),
        ] {
            let config = json!({"diarization": "speaker", "speaker_diarization_config": value});
            assert_eq!(tc(config).unwrap_err(), message, "{value}");
        }
        for (value, message) in [
            (
                json!({"srt_overrides": {"max_lines": 0}}),
                "output_config.srt_overrides.max_lines must be an integer between 1 and 10000",
            ),
            (
                json!({"srt_overrides": {"max_lines": 2.5}}),
                "output_config.srt_overrides.max_lines must be an integer between 1 and 10000",
            ),
            (json!([]), "output_config must be a JSON object"),
            (
                json!({"srt_overrides": [3, 1]}),
                "output_config.srt_overrides must be a JSON object",
            ),
        ] {
            assert_eq!(OutputConfig::parse(&value).unwrap_err(), message);
        }
        for (value, message) in [
            (
                json!({"tags": "a"}),
                "tracking.tags must be an array of strings",
            ),
            (json!({"title": 1}), "tracking.title must be a string"),
            (
                json!({"details": 1}),
                "tracking.details must be a JSON object",
            ),
            (
                json!({"title": "x".repeat(MAX_OBJECT_BYTES)}),
                "tracking is larger than 16 KB",
            ),
        ] {
            assert_eq!(Tracking::parse(&value).unwrap_err(), message);
        }
        assert_eq!(
            parse_metadata(&json!([1])).unwrap_err(),
            "metadata must be a JSON object"
        );
    }

    #[test]
    fn good_values_round_trip_through_storage() {
        let ok = json!({"language": "fr", "operating_point": "enhanced", "diarization": "speaker",
            "domain": "finance", "output_locale": "en-GB", "enable_entities": true,
            "additional_vocab": [{"content": "gnocchi", "sounds_like": ["nyohki"]}],
            "speaker_diarization_config": {"max_speakers": 100, "speaker_sensitivity": 0.7,
                "prefer_current_speaker": true}});
        let parsed = tc(ok.clone()).unwrap();
        let speakers = parsed.speaker_diarization_config.unwrap();
        assert_eq!(speakers.max_speakers.map(MaxSpeakers::get), Some(100));
        assert_eq!(speakers.speaker_sensitivity.map(ZeroToOne::get), Some(0.7));
        for edge in [
            json!({"max_speakers": 2, "speaker_sensitivity": 0}),
            json!({"speaker_sensitivity": 1}),
        ] {
            tc(json!({"speaker_diarization_config": edge})).unwrap();
        }
        assert_eq!(serde_json::to_value(&parsed).unwrap(), ok);
        assert_eq!(
            tc(json!({"output_locale": "en_gb"})).unwrap().output_locale,
            Some(OutputLocale::EnGb)
        );
        let srt = json!({"srt_overrides": {"max_line_length": 20, "max_lines": 1}});
        let out = OutputConfig::parse(&srt).unwrap();
        assert_eq!(serde_json::to_value(&out).unwrap(), srt);
        let tracking =
            json!({"title": "t", "reference": "r", "tags": ["a"], "details": {"k": [1]}});
        let config =
            JobConfig::transcription(parsed, Some(Tracking::parse(&tracking).unwrap()), Some(out));
        let stored = serde_json::to_value(&config).unwrap();
        assert_eq!(
            stored,
            json!({"type": "transcription", "transcription_config": ok, "tracking": tracking, "output_config": srt})
        );
        assert_eq!(serde_json::from_value::<JobConfig>(stored).unwrap(), config);
    }
}
