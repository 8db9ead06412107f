//! The batch API's JSON, as schema types for the OpenAPI document. Each mirrors what a handler
//! reads or writes: the requests are parsed from `serde_json::Value` (so that every refusal
//! carries the contract's message) and the responses built with `json!`, so these types exist
//! for the document only. The tests in `openapi/mod.rs` check real answers against them.
// Nothing builds these types: they describe JSON that is built elsewhere.
#![allow(dead_code)]

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Object, Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// Every error of the batch routes.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"error": "Job not found"}))]
pub struct Error {
    /// A short message, safe to show to a user.
    #[schema(min_length = 1)]
    pub error: String,
}

/// A job's state (`POST_PROCESSING` between `DECODING` and `DONE`; `DELETED` only by DELETE).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Queued,
    InProgress,
    Decoding,
    PostProcessing,
    Done,
    Failed,
    Deleted,
}

/// A job's record (contract section 5), with Verbatim's `progress`, `heartbeat_at` and
/// `notifications` (docs/extensions.md).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchJob {
    #[schema(pattern = "^[a-zA-Z0-9]+$")]
    pub job_id: String,
    pub status: JobStatus,
    pub api_key_id: String,
    pub organisation_id: String,
    pub model_code: String,
    pub job_config: JobConfig,
    pub input_metadata: InputMetadata,
    pub output_metadata: OutputMetadata,
    /// `null`, or why a FAILED job failed (`Cancelled` for a cancelled one).
    #[schema(required = true)]
    pub error_message: Option<ErrorMessage>,
    #[schema(format = DateTime)]
    pub submitted_at: String,
    #[schema(required = true, format = DateTime)]
    pub started_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub completed_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub deleted_at: Option<String>,
    /// When the job's files were purged by the retention sweep (`/files` then answers 410).
    #[schema(required = true, format = DateTime)]
    pub expired_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// `null` until a worker reports on the job.
    #[schema(required = true)]
    pub progress: Option<Progress>,
    /// The latest sign of life of the worker holding the job.
    #[schema(required = true, format = DateTime)]
    pub heartbeat_at: Option<String>,
    /// The client's `metadata`, as sent; absent when it sent none.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    /// One entry per `notification_config` entry, when the job asked for webhooks.
    pub notifications: Option<Vec<NotificationState>>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorMessage {
    pub message: String,
}

/// The job's configuration as stored: the client's, with the defaults filled in.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    #[serde(rename = "type")]
    pub kind: JobKind,
    pub transcription_config: TranscriptionConfig,
    pub tracking: Option<Tracking>,
    pub output_config: Option<OutputConfig>,
    #[schema(minimum = 1)]
    pub retention_seconds: Option<u64>,
    pub notification_config: Option<NotificationConfig>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Transcription,
}

/// How to transcribe (contract section 4). Every field is optional; unknown fields are refused.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranscriptionConfig {
    /// A language code of the hosted model, or `auto` to detect it. Default `en`.
    #[schema(schema_with = language_schema)]
    pub language: Option<String>,
    pub operating_point: Option<OperatingPoint>,
    pub diarization: Option<Diarization>,
    /// A short topic (1 to 64 characters) put into the decoder prompt.
    #[schema(min_length = 1, max_length = 64)]
    pub domain: Option<String>,
    /// English spelling of the output: `en-US`, `en-GB`, `en-AU` or `en-NZ` (any case, `_` or `-`).
    #[schema(example = "en-GB")]
    pub output_locale: Option<String>,
    pub enable_entities: Option<bool>,
    #[schema(max_items = 1000)]
    pub additional_vocab: Option<Vec<VocabItem>>,
    pub speaker_diarization_config: Option<SpeakerDiarizationConfig>,
    /// Verbatim's: `translate` turns speech into English text (set by the OpenAI translations
    /// route; multilingual models only).
    pub task: Option<Task>,
    /// Verbatim's: 1 to 1000 characters of text the decoder continues from.
    #[schema(min_length = 1, max_length = 1000)]
    pub prompt: Option<String>,
    /// Verbatim's: the decoder's sampling temperature for each window's first attempt, 0 (the
    /// default: beam search) to 1; a window that fails the decoder's checks is decoded again
    /// 0.2 hotter, up to 1 (set by the OpenAI routes' `temperature`).
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub temperature: Option<f64>,
}

/// `language`: the codes of [`jobs::job_config::LANGUAGES`] and `auto`.
fn language_schema() -> Object {
    let codes = jobs::job_config::LANGUAGES.iter().copied().chain(["auto"]);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(codes.map(Value::from).chain([Value::Null])))
        .build()
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OperatingPoint {
    Standard,
    Enhanced,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Diarization {
    None,
    Speaker,
    Channel,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Transcribe,
    Translate,
}

/// A word or phrase to recognise, and how it may sound.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VocabItem {
    #[schema(min_length = 1)]
    pub content: String,
    #[schema(max_items = 10)]
    pub sounds_like: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpeakerDiarizationConfig {
    #[schema(minimum = 2, maximum = 100)]
    pub max_speakers: Option<u32>,
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub speaker_sensitivity: Option<f64>,
    pub prefer_current_speaker: Option<bool>,
}

/// The client's labels for the job, stored and shown as sent (at most 16 KB of JSON).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tracking {
    pub title: Option<String>,
    pub reference: Option<String>,
    pub tags: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub details: Option<Map<String, Value>>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    pub srt_overrides: Option<SrtOverrides>,
}

/// Subtitle cue shape (Speechmatics' defaults: 37 characters, 2 lines).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SrtOverrides {
    #[schema(minimum = 1, maximum = 10000)]
    pub max_line_length: Option<u32>,
    #[schema(minimum = 1, maximum = 10000)]
    pub max_lines: Option<u32>,
}

/// Webhooks called when the job ends (docs/extensions.md): 1 to 3 entries.
#[derive(Serialize)]
pub struct NotificationConfig;

impl PartialSchema for NotificationConfig {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(Ref::from_schema_name(Notification::name()))
            .min_items(Some(1))
            .max_items(Some(jobs::job_config::MAX_NOTIFICATIONS))
            .description(Some(
                "Webhooks called when the job ends (docs/extensions.md): 1 to 3 entries.",
            ))
            .into()
    }
}

impl ToSchema for NotificationConfig {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((Notification::name().into(), Notification::schema()));
        <Notification as ToSchema>::schemas(schemas);
    }
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// `https`, a host with public addresses only (checked at submission and at every call).
    #[schema(max_length = 2048)]
    pub url: String,
    /// Left out: the JSON transcript as a multipart attachment named `data_file`; `[]`: no body.
    pub contents: Option<Vec<NotificationContent>>,
    pub method: Option<NotificationMethod>,
    /// Up to 10 `"Name: value"` lines sent with every call.
    #[schema(max_items = 10)]
    pub auth_headers: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub enum NotificationContent {
    #[serde(rename = "jobinfo")]
    Jobinfo,
    #[serde(rename = "transcript")]
    Transcript,
    #[serde(rename = "transcript.json-v2")]
    TranscriptJsonV2,
    #[serde(rename = "transcript.txt")]
    TranscriptTxt,
    #[serde(rename = "transcript.srt")]
    TranscriptSrt,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NotificationMethod {
    Post,
    Put,
}

/// The state of one webhook of the job.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationState {
    pub url: String,
    pub state: DeliveryState,
    pub attempts: u32,
    /// The HTTP status of the last attempt.
    #[schema(required = true)]
    pub last_status: Option<u16>,
    #[schema(required = true)]
    pub last_error: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub delivered_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub next_attempt_at: Option<String>,
}

/// `waiting` until the job ends, then `pending` (being tried), `delivered` or `failed`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Waiting,
    Pending,
    Delivered,
    Failed,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InputMetadata {
    pub size_bytes: Option<u64>,
    pub duration_seconds: Option<f64>,
    /// The audio format's extension (`wav`, `mp3`…).
    pub format: Option<String>,
    pub mime_type: Option<String>,
    pub source: InputSource,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InputSource {
    Upload,
    Url,
    Presigned,
}

/// `{}` until the job is DONE, then what was made.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputMetadata {
    pub language: Option<String>,
    pub formats: Option<Vec<String>>,
    pub duration_seconds: Option<f64>,
    pub word_count: Option<u64>,
    pub model: Option<String>,
    pub compute_type: Option<String>,
    /// With speaker diarization: `done`, or `failed: <why>`.
    pub diarization: Option<String>,
}

/// How far the job has got (docs/extensions.md, "Progress and heartbeat").
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    pub stage: Stage,
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub fraction: f64,
    pub audio_seconds_done: f64,
    #[schema(required = true)]
    pub eta_seconds: Option<f64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Transcribing,
    Diarizing,
    Done,
}

/// A job queued (202 on submission) or deleted (202 on DELETE).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"job_id": "job8f3a0c2e4b6d8f0a1c3e5b7d9f1a3c5e", "status": "QUEUED"}))]
pub struct JobAccepted {
    pub job_id: String,
    pub status: JobStatus,
}

/// A page of the organisation's jobs.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobList {
    pub items: Vec<BatchJob>,
    pub meta: PageMeta,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageMeta {
    #[schema(minimum = 1)]
    pub page: u32,
    #[schema(minimum = 1, maximum = 100)]
    pub page_size: u32,
    pub total: u64,
    pub pages: u64,
}

/// The filters, order and page of `GET /v1/batch/jobs` (contract section 6). A bad value is a
/// 400 naming it; unknown parameters are ignored.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Default 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Default 20.
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
    /// Comma-separated statuses: QUEUED, IN_PROGRESS, DECODING, POST_PROCESSING, DONE, FAILED,
    /// DELETED.
    #[param(example = "DONE,FAILED")]
    pub status: Option<String>,
    /// Exact match.
    pub model_code: Option<String>,
    /// RFC 3339.
    #[param(format = DateTime)]
    pub submitted_after: Option<String>,
    /// RFC 3339.
    #[param(format = DateTime)]
    pub submitted_before: Option<String>,
    /// Default `submitted_at`.
    #[param(inline)]
    pub sort_by: Option<SortBy>,
    /// Default `desc`.
    #[param(inline)]
    pub sort_order: Option<SortOrder>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    SubmittedAt,
    Status,
    ModelCode,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    Desc,
}

/// A job's files with signed download URLs (valid 3600 s, no API key).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobFiles {
    pub job_id: String,
    /// The input while it is stored.
    pub inputs: Vec<InputFile>,
    /// One entry per rendered format, once the job is DONE.
    pub outputs: Vec<OutputFile>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    pub key: String,
    pub s3_uri: String,
    pub download_url: String,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputFile {
    /// `json`, `txt`, `srt` or `vtt`.
    pub format: String,
    pub key: String,
    pub s3_uri: String,
    pub download_url: String,
}

/// Form 1, a direct upload. The JSON parts are JSON texts.
#[derive(Serialize, ToSchema)]
pub struct MultipartSubmission {
    /// The audio: wav, mp3, flac, aac, ogg, m4a, mp4, amr or mpeg, told by the part's file
    /// name (or, without an extension, its Content-Type). At most 1 GB by default.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// A JSON text: the `TranscriptionConfig` object.
    #[schema(example = r#"{"language": "en"}"#)]
    pub transcription_config: String,
    #[schema(pattern = "^[a-zA-Z0-9]+$")]
    pub job_id: Option<String>,
    pub model_code: Option<String>,
    /// A JSON text: any JSON object.
    pub metadata: Option<String>,
    /// A JSON text: the `Tracking` object.
    pub tracking: Option<String>,
    /// A JSON text: the `OutputConfig` object.
    pub output_config: Option<String>,
    /// A JSON text: the `NotificationConfig` array.
    pub notification_config: Option<String>,
    /// Whole seconds, at least 1.
    #[schema(pattern = "^[0-9]+$")]
    pub retention_seconds: Option<String>,
}

/// The JSON forms, told apart by their keys: `mode` (presign step 1), `s3_key` (presign step
/// 3), `input_url`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum JsonSubmission {
    Url(UrlSubmission),
    Presign(PresignRequest),
    PresignComplete(PresignComplete),
}

/// Form 2: the server downloads `input_url` (https, public addresses, at most 1 GB).
#[derive(Serialize, ToSchema)]
pub struct UrlSubmission {
    #[schema(example = "https://example.com/audio.wav")]
    pub input_url: String,
    pub transcription_config: TranscriptionConfig,
    #[serde(flatten)]
    pub common: JobFields,
    pub model_code: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
}

/// The optional fields every JSON form takes.
#[derive(Serialize, ToSchema)]
pub struct JobFields {
    #[schema(pattern = "^[a-zA-Z0-9]+$")]
    pub job_id: Option<String>,
    pub tracking: Option<Tracking>,
    pub output_config: Option<OutputConfig>,
    pub notification_config: Option<NotificationConfig>,
    #[schema(minimum = 1)]
    pub retention_seconds: Option<u64>,
}

/// Presign step 1: asks for an upload URL; no job is created yet (200 `PresignResponse`).
/// Step 2 PUTs the bytes to `upload.url` with exactly `upload.headers`, no API key, within
/// 1800 s; step 3 (`PresignComplete`) creates the job.
#[derive(Serialize, ToSchema)]
pub struct PresignRequest {
    pub mode: PresignMode,
    /// A plain file name of letters, digits, `.`, `_` and `-` (at most 255), with an audio
    /// extension.
    #[schema(
        pattern = "^[A-Za-z0-9._-]{1,245}\\.(wav|mp3|flac|aac|ogg|m4a|mp4|amr|mpeg)$",
        example = "audio.wav"
    )]
    pub filename: String,
    pub transcription_config: TranscriptionConfig,
    /// The Content-Type the PUT must send. Default `application/octet-stream`.
    #[schema(max_length = 255)]
    pub content_type: Option<String>,
    #[serde(flatten)]
    pub common: JobFields,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PresignMode {
    Presign,
}

/// Presign step 3: creates the job from the uploaded object (202).
#[derive(Serialize, ToSchema)]
pub struct PresignComplete {
    /// `upload.s3_key` of step 1.
    #[schema(example = "inputs/myjob123/audio.wav")]
    pub s3_key: String,
    /// The `job_id` of step 1 (required here).
    #[schema(pattern = "^[a-zA-Z0-9]+$")]
    pub job_id: String,
    pub transcription_config: TranscriptionConfig,
    pub model_code: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub tracking: Option<Tracking>,
    pub output_config: Option<OutputConfig>,
    pub notification_config: Option<NotificationConfig>,
    #[schema(minimum = 1)]
    pub retention_seconds: Option<u64>,
}

/// Presign step 1's answer.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresignResponse {
    pub job_id: String,
    pub transcription_config: TranscriptionConfig,
    pub tracking: Option<Tracking>,
    pub output_config: Option<OutputConfig>,
    pub input_s3_uri: String,
    pub output_s3_prefix: String,
    pub upload: UploadTarget,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadTarget {
    /// PUT the bytes here (no API key) with exactly `headers`.
    pub url: String,
    pub s3_key: String,
    pub s3_uri: String,
    /// Seconds: 1800.
    pub expires_in: u64,
    #[schema(schema_with = upload_headers_schema)]
    pub headers: Map<String, Value>,
}

fn upload_headers_schema() -> Object {
    ObjectBuilder::new()
        .property(
            "Content-Type",
            ObjectBuilder::new().schema_type(Type::String),
        )
        .required("Content-Type")
        .build()
}

/// `GET /health`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    pub status: String,
}
