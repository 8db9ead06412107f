//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the schema types of [`batch`] and [`openai`], served at `GET /openapi.json`;
//! and `/docs`, Swagger UI over it, its assets embedded in the binary.

pub mod batch;
pub mod corrections;
pub mod openai;

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
    modifiers(&BearerKey),
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
