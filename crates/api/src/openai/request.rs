//! The multipart body of `POST /v1/audio/transcriptions`: OpenAI's fields, checked by OpenAI's
//! rules, and the file staged by the batch upload path ([`crate::submit::stage_file`]).

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use jobs::ApiKey;
use serde_json::json;

use super::error::OpenAiError;
use crate::submit::{self, Stored};
use crate::{AppState, DEFAULT_MODEL_CODE};

/// The name OpenAI's clients send by default; it means the standard operating point.
pub const WHISPER_1: &str = "whisper-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    Json,
    Text,
    Srt,
    Vtt,
    VerboseJson,
    DiarizedJson,
}

impl ResponseFormat {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "json" => Self::Json,
            "text" => Self::Text,
            "srt" => Self::Srt,
            "vtt" => Self::Vtt,
            "verbose_json" => Self::VerboseJson,
            "diarized_json" => Self::DiarizedJson,
            _ => return None,
        })
    }
}

/// Which timings `verbose_json` carries (`timestamp_granularities[]`; segments by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Granularities {
    pub words: bool,
    pub segments: bool,
}

/// Which OpenAI route was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Transcribe,
    /// `/v1/audio/translations`: English text from speech in any language.
    Translate,
}

impl Task {
    /// The name verbose_json's `task` and the job's `transcription_config.task` carry.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Transcribe => "transcribe",
            Task::Translate => "translate",
        }
    }
}

/// A checked request whose file is already a queued job.
pub struct Transcription {
    pub job_id: String,
    pub task: Task,
    /// Answer with server-sent events (see `stream.rs`).
    pub stream: bool,
    pub response_format: ResponseFormat,
    pub granularities: Granularities,
}

/// Reads the body, checks every field, then queues the job. The upload is removed again when
/// anything is refused.
pub async fn queue(
    state: &AppState,
    key: &ApiKey,
    request: Request,
    task: Task,
) -> Result<Transcription, OpenAiError> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| OpenAiError::invalid("file", "The body must be multipart/form-data"))?;
    let mut stored: Option<Stored> = None;
    let result = read_and_queue(state, key, &mut multipart, &mut stored, task).await;
    if result.is_err() {
        if let Some(s) = stored {
            submit::discard(state, &s.key).await;
        }
    }
    result
}

async fn read_and_queue(
    state: &AppState,
    key: &ApiKey,
    multipart: &mut Multipart,
    stored: &mut Option<Stored>,
    task: Task,
) -> Result<Transcription, OpenAiError> {
    let bad_body = || OpenAiError::invalid("file", "Invalid multipart/form-data body");
    let mut fields: HashMap<String, Vec<String>> = HashMap::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| bad_body())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            submit::stage_file(state, key, field, None, stored, |_| {}).await?;
        } else {
            // Read in chunks up to the batch path's cap: the body has no overall limit here.
            let text = submit::read_text(field, &name).await?;
            fields.entry(name).or_default().push(text);
        }
    }
    let one = |name: &str| {
        fields
            .get(name)
            .and_then(|v| v.last())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };

    let model = one("model").ok_or_else(|| OpenAiError::invalid("model", "model is required"))?;
    let model_code = if model == WHISPER_1 {
        DEFAULT_MODEL_CODE.to_string()
    } else if model != DEFAULT_MODEL_CODE && state.config.model_codes.contains(&model) {
        model
    } else {
        return Err(OpenAiError::invalid(
            "model",
            format!(
                "Unknown model: {model}. Available: {}",
                model_names(state).join(", ")
            ),
        ));
    };

    let response_format = match one("response_format") {
        None => ResponseFormat::Json,
        Some(name) => ResponseFormat::named(&name).ok_or_else(|| {
            OpenAiError::invalid(
                "response_format",
                format!("Unknown response_format: {name}. Supported: json, text, srt, vtt, verbose_json, diarized_json"),
            )
        })?,
    };

    let mut granularities = Granularities {
        words: false,
        segments: false,
    };
    // Clients send the list as repeated `timestamp_granularities[]` fields.
    let named: Vec<&String> = ["timestamp_granularities[]", "timestamp_granularities"]
        .iter()
        .filter_map(|n| fields.get(*n))
        .flatten()
        .collect();
    for g in &named {
        match g.trim() {
            "word" => granularities.words = true,
            "segment" => granularities.segments = true,
            other => {
                return Err(OpenAiError::invalid(
                    "timestamp_granularities",
                    format!("Unknown timestamp granularity: {other}. Supported: word, segment"),
                ))
            }
        }
    }
    if named.is_empty() {
        granularities.segments = true;
    }
    if task == Task::Translate && response_format == ResponseFormat::DiarizedJson {
        return Err(OpenAiError::invalid(
            "response_format",
            "diarized_json is for transcriptions only",
        ));
    }
    if granularities.words && response_format != ResponseFormat::VerboseJson {
        return Err(OpenAiError::invalid(
            "timestamp_granularities",
            "timestamp_granularities[] word is only supported with response_format verbose_json",
        ));
    }

    let temperature = match one("temperature").map(|t| t.trim().parse::<f64>()) {
        None => None,
        Some(Ok(t)) if (0.0..=1.0).contains(&t) => Some(t),
        Some(_) => {
            return Err(OpenAiError::invalid(
                "temperature",
                "temperature must be a number from 0 to 1",
            ))
        }
    };
    let stream = match one("stream").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(OpenAiError::invalid(
                "stream",
                "stream must be true or false",
            ))
        }
    };

    // OpenAI detects the language unless told it (translations are never told it).
    let language = match task {
        Task::Transcribe => one("language").unwrap_or_else(|| "auto".into()),
        Task::Translate => "auto".into(),
    };
    let mut config = json!({"language": language, "operating_point": "standard"});
    if task == Task::Translate {
        config["task"] = "translate".into();
    }
    if response_format == ResponseFormat::DiarizedJson {
        config["diarization"] = "speaker".into();
    }
    if let Some(prompt) = one("prompt") {
        config["prompt"] = prompt.into();
    }
    if let Some(t) = temperature {
        config["temperature"] = t.into();
    }

    let Some(file) = stored.as_mut() else {
        return Err(OpenAiError::invalid("file", "file is required"));
    };
    let fields_of_job = json!({"transcription_config": config, "model_code": model_code});
    let mut s = submit::submission(state, file.job_id.clone(), |name| {
        fields_of_job.get(name).cloned()
    })
    .map_err(|e| {
        // The config's refusals name their field: `transcription_config.<field> ...`.
        let param = ["prompt", "temperature", "language"]
            .into_iter()
            .find(|f| e.message.contains(&format!("transcription_config.{f}")))
            .unwrap_or("language");
        OpenAiError::invalid(param, e.message)
    })?;
    s.streams_text = stream;
    submit::queue_staged(state, key, file, s).await?;
    Ok(Transcription {
        job_id: file.job_id.clone(),
        task,
        stream,
        response_format,
        granularities,
    })
}

/// The names `model` accepts: `whisper-1` and the installed models.
pub fn model_names(state: &AppState) -> Vec<String> {
    std::iter::once(WHISPER_1.to_string())
        .chain(
            state
                .config
                .model_codes
                .iter()
                .filter(|c| c.as_str() != DEFAULT_MODEL_CODE)
                .cloned(),
        )
        .collect()
}
