//! The Speechmatics json-v2 transcript (`"format": "2.9"`), as the SLNG contract section 8
//! describes it: a job header, metadata with the language pack, and one result per word or
//! punctuation mark, in time order.

use serde_json::{json, Map, Value};

use crate::clean::{clean_words, duration};
use crate::language::{language_description, word_delimiter, writing_direction};
use crate::model::Transcript;
use crate::punct::{split_word, Attach, Piece};

pub const JSON_FORMAT_VERSION: &str = "2.9";

/// What the json header says about the job; the words come from the transcript.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsonMeta {
    pub job_id: String,
    /// When the job was submitted (RFC 3339): `job.created_at`, and `metadata.created_at` too
    /// (the transcript's own time in Speechmatics; one time keeps this struct to the four
    /// fields callers build).
    pub created_at: String,
    /// Name of the submitted audio file, `job.data_name`.
    pub data_name: String,
    /// The job's transcription_config, echoed in `metadata.transcription_config`; `Null`
    /// renders as `{"language": <transcript language>}`.
    pub transcription_config: Value,
}

impl JsonMeta {
    pub fn new(
        job_id: impl Into<String>,
        created_at: impl Into<String>,
        data_name: impl Into<String>,
        transcription_config: Value,
    ) -> Self {
        JsonMeta {
            job_id: job_id.into(),
            created_at: created_at.into(),
            data_name: data_name.into(),
            transcription_config,
        }
    }
}

/// Seconds with millisecond precision, so `1.23` is written as `1.23`, not `1.2300000000000002`.
pub(crate) fn round_ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn to_json(t: &Transcript, meta: &JsonMeta) -> Value {
    let language = t.language.trim();
    let transcription_config = match &meta.transcription_config {
        Value::Null => json!({ "language": language }),
        other => other.clone(),
    };
    json!({
        "format": JSON_FORMAT_VERSION,
        "job": {
            "id": meta.job_id,
            "created_at": meta.created_at,
            "data_name": meta.data_name,
            // An integer in Speechmatics' JobInfo: typed clients parse it as one.
            "duration": duration(t).round() as u64,
        },
        "metadata": {
            "created_at": meta.created_at,
            "type": "transcription",
            "transcription_config": transcription_config,
            "language_pack_info": {
                "language_description": language_description(language),
                "word_delimiter": word_delimiter(language),
                "writing_direction": writing_direction(language),
                "itn": true,
                "adapted": false,
            },
        },
        "results": results(t, language),
    })
}

fn results(t: &Transcript, language: &str) -> Vec<Value> {
    let words = clean_words(t);
    let mut out = Vec::with_capacity(words.len() * 5 / 4);
    for w in &words {
        let speaker = w.speaker.unwrap_or("UU");
        for piece in split_word(&w.text) {
            let mut r = Map::new();
            let (content, confidence) = match piece {
                Piece::Word(content) => {
                    r.insert("type".into(), "word".into());
                    r.insert("start_time".into(), round_ms(w.start).into());
                    r.insert("end_time".into(), round_ms(w.end).into());
                    (content, round_ms(w.confidence))
                }
                Piece::Punct { content, attaches_to, is_eos } => {
                    // A mark takes no time: it sits where the word it attaches to ends or starts.
                    let at = match attaches_to {
                        Attach::Previous => w.end,
                        Attach::Next => w.start,
                    };
                    r.insert("type".into(), "punctuation".into());
                    r.insert("start_time".into(), round_ms(at).into());
                    r.insert("end_time".into(), round_ms(at).into());
                    r.insert("attaches_to".into(), attaches_to.as_str().into());
                    r.insert("is_eos".into(), is_eos.into());
                    // Speechmatics gives punctuation full confidence.
                    (content, 1.0)
                }
            };
            if let Some(channel) = w.channel {
                r.insert("channel".into(), channel.into());
            }
            r.insert(
                "alternatives".into(),
                json!([{ "content": content, "confidence": confidence, "language": language, "speaker": speaker }]),
            );
            out.push(Value::Object(r));
        }
    }
    out
}
