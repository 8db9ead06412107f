//! The Speechmatics json-v2 transcript (`"format": "2.9"`), as the SLNG contract section 8
//! describes it: a job header, metadata with the language pack, and one result per word or
//! punctuation mark, in time order.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::affix::affixed;
use crate::clean::{clean_words, duration, CleanWord};
use crate::entities::{find_entities, EntitySpan};
use crate::language::{language_description, word_delimiter, writing_direction};
use crate::model::{Transcript, Word};
use crate::punct::{split_word, Attach, Piece};

pub const JSON_FORMAT_VERSION: &str = "2.9";

/// What the json header says about the job; the words come from the transcript.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

/// Seconds with millisecond precision, so `1.23` is written as `1.23`, not `1.2300000000000002`;
/// a value that is not a number is 0 (JSON has no NaN).
pub fn round_ms(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
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
        "results": results(t, language, entities_enabled(meta)),
    })
}

/// The `word` results of a json-v2 transcript read back as words, as a client sees them: text
/// without its punctuation (those are `punctuation` results), times, confidence, speaker
/// (`"UU"` included) and channel. Entity results are not read; results that lack a field read as
/// empty, zero or none.
pub fn word_results(doc: &Value) -> Vec<Word> {
    let results = doc["results"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    results
        .iter()
        .filter(|r| r["type"] == "word")
        .map(|r| {
            let alternative = &r["alternatives"][0];
            Word {
                text: alternative["content"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                start: r["start_time"].as_f64().unwrap_or_default(),
                end: r["end_time"].as_f64().unwrap_or_default(),
                confidence: alternative["confidence"].as_f64().unwrap_or_default() as f32,
                speaker: alternative["speaker"].as_str().map(String::from),
                channel: r["channel"].as_str().map(String::from),
            }
        })
        .collect()
}

/// Whether the job asked for entities (`transcription_config.enable_entities: true`).
fn entities_enabled(meta: &JsonMeta) -> bool {
    meta.transcription_config
        .get("enable_entities")
        .and_then(Value::as_bool)
        == Some(true)
}

fn results(t: &Transcript, language: &str, with_entities: bool) -> Vec<Value> {
    let words = clean_words(t);
    let spans = if with_entities {
        entity_spans(&words)
    } else {
        Vec::new()
    };
    let mut spans = spans.into_iter().peekable();
    let mut out = Vec::with_capacity(words.len() * 5 / 4);
    let mut i = 0;
    while i < words.len() {
        if let Some(span) = spans.next_if(|s| s.start == i) {
            let group = &words[span.start..span.end];
            // Marks glued before the first word and after the last stay outside the entity.
            for piece in split_word(&group[0].text) {
                if let Piece::Punct {
                    attaches_to: Attach::Next,
                    ..
                } = piece
                {
                    out.push(item(&group[0], piece, language));
                }
            }
            out.push(entity_item(group, &span, language));
            let last = &group[group.len() - 1];
            let pieces = split_word(&last.text);
            let word_at = pieces.iter().rposition(|p| matches!(p, Piece::Word(_)));
            for (k, piece) in pieces.into_iter().enumerate() {
                if word_at.is_some_and(|w| k > w) {
                    out.push(item(last, piece, language));
                }
            }
            i = span.end;
            continue;
        }
        for piece in split_word(&words[i].text) {
            out.push(item(&words[i], piece, language));
        }
        i += 1;
    }
    out
}

/// Entities over the cleaned words; one never spans two channels or speakers.
fn entity_spans(words: &[CleanWord<'_>]) -> Vec<EntitySpan> {
    let cores: Vec<&str> = words.iter().map(|w| affixed(&w.text).core).collect();
    find_entities(&cores)
        .into_iter()
        .filter(|s| {
            let g = &words[s.start..s.end];
            g.iter()
                .all(|w| w.channel == g[0].channel && w.speaker == g[0].speaker)
        })
        .collect()
}

/// A Speechmatics entity result: the written value as its content, the words heard as
/// `spoken_form`, the written value split into word items over the same time as `written_form`.
fn entity_item(group: &[CleanWord<'_>], span: &EntitySpan, language: &str) -> Value {
    let first = &group[0];
    let (start, end) = (first.start, group[group.len() - 1].end);
    let speaker = first.speaker.unwrap_or("UU");
    let confidence = round_ms(group.iter().map(|w| w.confidence).sum::<f64>() / group.len() as f64);
    let spoken: Vec<Value> = group
        .iter()
        .filter(|w| !affixed(&w.text).core.is_empty())
        .map(|w| {
            word_value(
                affixed(&w.text).core,
                w.start,
                w.end,
                w.confidence,
                language,
                w.speaker.unwrap_or("UU"),
                w.channel,
            )
        })
        .collect();
    let tokens: Vec<&str> = span.written.split(' ').collect();
    let step = (end - start) / tokens.len() as f64;
    let written: Vec<Value> = tokens
        .iter()
        .enumerate()
        .map(|(k, tok)| {
            let s = start + step * k as f64;
            word_value(
                tok,
                s,
                s + step,
                confidence,
                language,
                speaker,
                first.channel,
            )
        })
        .collect();
    let mut r = Map::new();
    r.insert("type".into(), "entity".into());
    r.insert("entity_class".into(), span.class.into());
    r.insert("start_time".into(), round_ms(start).into());
    r.insert("end_time".into(), round_ms(end).into());
    if let Some(channel) = first.channel {
        r.insert("channel".into(), channel.into());
    }
    r.insert(
        "alternatives".into(),
        json!([{ "content": span.written, "confidence": confidence, "language": language, "speaker": speaker }]),
    );
    r.insert("spoken_form".into(), spoken.into());
    r.insert("written_form".into(), written.into());
    Value::Object(r)
}

fn word_value(
    content: &str,
    start: f64,
    end: f64,
    confidence: f64,
    language: &str,
    speaker: &str,
    channel: Option<&str>,
) -> Value {
    let mut r = Map::new();
    r.insert("type".into(), "word".into());
    r.insert("start_time".into(), round_ms(start).into());
    r.insert("end_time".into(), round_ms(end).into());
    if let Some(channel) = channel {
        r.insert("channel".into(), channel.into());
    }
    r.insert(
        "alternatives".into(),
        json!([{ "content": content, "confidence": round_ms(confidence), "language": language, "speaker": speaker }]),
    );
    Value::Object(r)
}

fn item(w: &CleanWord<'_>, piece: Piece<'_>, language: &str) -> Value {
    let speaker = w.speaker.unwrap_or("UU");
    let mut r = Map::new();
    let (content, confidence) = match piece {
        Piece::Word(content) => {
            r.insert("type".into(), "word".into());
            r.insert("start_time".into(), round_ms(w.start).into());
            r.insert("end_time".into(), round_ms(w.end).into());
            (content, round_ms(w.confidence))
        }
        Piece::Punct {
            content,
            attaches_to,
            is_eos,
        } => {
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
    Value::Object(r)
}
