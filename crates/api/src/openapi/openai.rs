//! The OpenAI-compatible routes' forms and answers, as schema types for the OpenAPI document
//! (the handlers read the form field by field and build their answers with `json!`).
// Nothing builds these types: they describe what is built elsewhere.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

/// OpenAI's error shape, on every refusal of the OpenAI-compatible routes (the key check's 401,
/// the rate limit's 429 and the upload cap's 503 too).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"error": {"message": "model is required", "type": "invalid_request_error", "param": "model", "code": null}}))]
pub struct OpenAiError {
    pub error: OpenAiErrorDetail,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenAiErrorDetail {
    #[schema(min_length = 1)]
    pub message: String,
    /// `invalid_request_error`, `server_error` or `timeout`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The form field at fault.
    #[schema(required = true)]
    pub param: Option<String>,
    /// `transcription_failed` or `job_still_running`.
    #[schema(required = true)]
    pub code: Option<String>,
}

/// `POST /v1/audio/transcriptions`.
#[derive(Serialize, ToSchema)]
pub struct TranscriptionForm {
    /// The audio (the batch API's formats and size limit).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// `whisper-1`, or an installed model's name (`GET /v1/models`).
    #[schema(example = "whisper-1")]
    pub model: String,
    /// An ISO 639-1 code of the batch API's list; without it the language is detected.
    #[schema(example = "en")]
    pub language: Option<String>,
    /// 1 to 1000 characters the decoder continues from.
    pub prompt: Option<String>,
    pub response_format: Option<ResponseFormat>,
    /// 0 to 1: the sampling temperature of each window's first decoding attempt (0, the
    /// default: beam search); a window that fails the decoder's checks is decoded again 0.2
    /// hotter, up to 1.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub temperature: Option<f64>,
    /// `segment` (the default) and/or `word` (`word` needs `verbose_json`).
    #[serde(rename = "timestamp_granularities[]")]
    pub timestamp_granularities: Option<Vec<Granularity>>,
    /// Answer with server-sent events.
    pub stream: Option<bool>,
}

/// `POST /v1/audio/translations`: English text from speech in any language.
#[derive(Serialize, ToSchema)]
pub struct TranslationForm {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    #[schema(example = "whisper-1")]
    pub model: String,
    pub prompt: Option<String>,
    /// Any format but `diarized_json`.
    pub response_format: Option<ResponseFormat>,
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub temperature: Option<f64>,
    #[serde(rename = "timestamp_granularities[]")]
    pub timestamp_granularities: Option<Vec<Granularity>>,
    pub stream: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponseFormat {
    Json,
    Text,
    Srt,
    Vtt,
    VerboseJson,
    DiarizedJson,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Word,
    Segment,
}

/// The JSON answers: `json` (`{"text"}`), `verbose_json` and `diarized_json`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum TranscriptionJson {
    Text(TextOnly),
    Verbose(VerboseTranscription),
    Diarized(DiarizedTranscription),
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextOnly {
    pub text: String,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerboseTranscription {
    /// `transcribe` or `translate`.
    pub task: String,
    /// The language's English name in lower case (`english`).
    pub language: String,
    pub duration: f64,
    pub text: String,
    /// With the `segment` granularity (the default).
    pub segments: Option<Vec<VerboseSegment>>,
    /// With the `word` granularity.
    pub words: Option<Vec<VerboseWord>>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerboseSegment {
    pub id: u64,
    pub seek: u64,
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// Whisper's token ids, timestamp tokens included (`[]` for jobs finished before
    /// Verbatim kept them).
    pub tokens: Vec<u64>,
    pub temperature: f64,
    pub avg_logprob: f64,
    pub compression_ratio: f64,
    pub no_speech_prob: f64,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerboseWord {
    pub word: String,
    pub start: f64,
    pub end: f64,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiarizedTranscription {
    pub task: String,
    pub duration: f64,
    pub text: String,
    pub segments: Vec<DiarizedSegment>,
    pub usage: Usage,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiarizedSegment {
    /// `transcript.text.segment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `seg_<n>`.
    pub id: String,
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// `S1`, `S2`… or `UU`.
    pub speaker: String,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// `duration`.
    #[serde(rename = "type")]
    pub kind: String,
    pub seconds: f64,
}

/// `GET /v1/models`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelList {
    /// `list`.
    pub object: String,
    pub data: Vec<Model>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Model {
    #[schema(example = "whisper-1")]
    pub id: String,
    /// `model`.
    pub object: String,
    pub created: i64,
    /// `verbatim`.
    pub owned_by: String,
}
