//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the schema types of [`batch`] and [`openai`], served at `GET /openapi.json`;
//! and `/docs`, Swagger UI over it, its assets embedded in the binary.

pub mod batch;
pub mod corrections;
pub mod openai;

use axum::Router;
use utoipa::openapi::header::Header;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Object, Type};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// The security scheme every API route names.
pub const API_KEY: &str = "api_key";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Verbatim",
        description = "Self-hosted batch speech-to-text. The SLNG Batch API (`/v1/batch/jobs`), \
            Verbatim's extensions of it (cancel, progress, webhooks, Idempotency-Key, retention, \
            prompt, transcript corrections: docs/extensions.md) and OpenAI-compatible transcription (`/v1/audio/*`, \
            `/v1/models`). Every batch error is `{\"error\": \"<message>\"}`.",
    ),
    paths(
        crate::submit::submit,
        crate::list::list_jobs,
        crate::job::get_job,
        crate::job::delete_job,
        crate::job::job_files,
        crate::job::cancel_job,
        crate::corrections::get_transcript,
        crate::corrections::patch_transcript,
        crate::corrections::reset_corrections,
        crate::openai::transcriptions,
        crate::openai::translations,
        crate::openai::models,
        crate::health,
    ),
    modifiers(&BearerKey, &AudioFileName),
    tags(
        (name = "batch", description = "The SLNG Batch API and Verbatim's extensions of it"),
        (name = "openai", description = "OpenAI-compatible speech to text: each request is a batch job"),
        (name = "service", description = "The server itself"),
    ),
)]
pub struct ApiDoc;

/// `Authorization: Bearer <API key>` (keys are made with `verbatim keys create`).
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key made with `verbatim keys create`. A missing, unknown or \
                         revoked key is 403 `API key id not found` (401 `invalid_api_key` in \
                         OpenAI's shape on the OpenAI-compatible routes).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The routes that take an audio file as a multipart part named `file`.
const AUDIO_UPLOADS: [&str; 3] = [
    "/v1/batch/jobs",
    "/v1/audio/transcriptions",
    "/v1/audio/translations",
];

/// The `file` part's `Content-Disposition`, with an example file name: the server tells the
/// audio format by the name's extension, so a generated request (schemathesis reads the
/// example) names its file as a client would.
struct AudioFileName;

impl Modify for AudioFileName {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let example = serde_json::json!(r#"form-data; name="file"; filename="audio.wav""#);
        for path in AUDIO_UPLOADS {
            let encoding = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.post.as_mut())
                .and_then(|post| post.request_body.as_mut())
                .and_then(|body| body.content.get_mut("multipart/form-data"))
                .and_then(|form| form.encoding.get_mut("file"));
            let Some(encoding) = encoding else {
                continue;
            };
            let mut schema = Object::with_type(Type::String);
            schema.example = Some(example.clone());
            schema.examples = vec![example.clone()];
            let mut header = Header::new(schema);
            header.description = Some(
                "Its file name's extension tells the audio format (wav, mp3, flac, ...)".into(),
            );
            encoding
                .headers
                .insert("Content-Disposition".to_string(), header);
        }
    }
}

/// The document, as `GET /openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /openapi.json` and `/docs` (no API key).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let ui = SwaggerUi::new("/docs")
        .url("/openapi.json", document())
        // Swagger UI would otherwise send the document to validator.swagger.io for a badge.
        .config(Config::new(["/openapi.json"]).validator_url("none"));
    Router::from(ui)
}

#[cfg(test)]
mod tests;
