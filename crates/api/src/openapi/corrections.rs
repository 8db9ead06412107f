//! Transcript corrections (docs/extensions.md), as schema types for the OpenAPI document: the
//! handlers build the view with `json!` and read the patch with serde.
// Nothing builds these types: they describe JSON that is built elsewhere.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// A DONE job's transcript as corrected: every word with its index (what PATCH names).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranscriptView {
    pub job_id: String,
    pub language: String,
    pub duration: f64,
    /// Grows with every change.
    pub revision: u64,
    /// Engine speaker label (`S1`) → the name given.
    pub speakers: BTreeMap<String, String>,
    pub words: Vec<TranscriptWord>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranscriptWord {
    pub index: u64,
    /// As corrected.
    pub text: String,
    pub start: f64,
    pub end: f64,
    pub confidence: f64,
    #[schema(required = true)]
    pub speaker: Option<String>,
    #[schema(required = true)]
    pub channel: Option<String>,
    /// The engine's text, when the word was corrected.
    pub original: Option<String>,
}

/// Changes to merge: speakers' names and words' texts; `null` undoes a correction.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionsPatch {
    /// Engine speaker label → its name, or `null` to drop the name.
    pub speakers: Option<BTreeMap<String, Option<String>>>,
    pub words: Option<Vec<WordPatch>>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WordPatch {
    pub index: u64,
    /// The new text; `null` or left out restores the engine's.
    pub text: Option<String>,
}
