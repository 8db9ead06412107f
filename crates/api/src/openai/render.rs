//! OpenAI's response formats, rendered from the job's stored json-v2 transcript
//! (`outputs/<job_id>.json`): the words with their punctuation glued back on, in the decoder's
//! own segments (kept in the outputs' source), or grouped the way Whisper's are (a sentence, a
//! pause, a speaker turn, at most 30 s) where speaker turns matter or the source has none.

use std::io::Write;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use flate2::write::ZlibEncoder;
use serde_json::{json, Value};
use transcript::DecodedSegment;

use super::request::{Granularities, ResponseFormat, Task};
use super::wait::Finished;

/// A word as heard, with the punctuation written around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    /// Without punctuation: what `words[].word` carries.
    pub bare: String,
    pub start: f64,
    pub end: f64,
    pub confidence: f64,
    pub speaker: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub speaker: Option<String>,
    /// The mean log confidence of its words, standing in for Whisper's token log-probability
    /// where the decoder's segment is not known.
    pub avg_logprob: f64,
    /// The decoder's segment it is, when known.
    pub decoded: Option<DecodedSegment>,
}

/// A pause this long ends a segment.
const SEGMENT_PAUSE: f64 = 1.0;
/// Whisper decodes 30 s windows; no segment is longer.
const SEGMENT_MAX: f64 = 30.0;

/// The `word` and `punctuation` results of a json-v2 transcript, the marks attached to the word
/// before (or, for `attaches_to: "next"`, after) them.
pub fn words(doc: &Value) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut pending = String::new();
    let results = doc["results"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for r in results {
        let alternative = &r["alternatives"][0];
        let content = alternative["content"].as_str().unwrap_or_default();
        match r["type"].as_str() {
            Some("word") => {
                out.push(Word {
                    text: format!("{}{content}", std::mem::take(&mut pending)),
                    bare: content.to_string(),
                    start: r["start_time"].as_f64().unwrap_or_default(),
                    end: r["end_time"].as_f64().unwrap_or_default(),
                    confidence: alternative["confidence"].as_f64().unwrap_or(1.0),
                    speaker: alternative["speaker"].as_str().map(String::from),
                });
            }
            Some("punctuation") => match (r["attaches_to"].as_str(), out.last_mut()) {
                (Some("next"), _) | (_, None) => pending.push_str(content),
                (_, Some(last)) => last.text.push_str(content),
            },
            _ => {}
        }
    }
    out
}

/// Whisper-like segments of `words`, joined by `delimiter`.
pub fn segments(words: &[Word], delimiter: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..words.len() {
        let w = &words[i];
        let next = words.get(i + 1);
        let ends = match next {
            None => true,
            Some(n) => {
                w.text.ends_with(['.', '?', '!', '…', '。', '？', '！'])
                    || n.start - w.end >= SEGMENT_PAUSE
                    || n.speaker != w.speaker
                    || n.end - words[start].start > SEGMENT_MAX
            }
        };
        if ends {
            let group = &words[start..=i];
            let logprob = group
                .iter()
                .map(|w| w.confidence.clamp(1e-6, 1.0).ln())
                .sum::<f64>()
                / group.len() as f64;
            out.push(Segment {
                start: group[0].start,
                end: w.end,
                text: join(group.iter().map(|w| w.text.as_str()), delimiter),
                speaker: group[0].speaker.clone(),
                avg_logprob: logprob,
                decoded: None,
            });
            start = i + 1;
        }
    }
    out
}

/// `words` in the decoder's `decoded` segments (in time order): each word goes to the segment
/// its middle falls in, or the nearest, never to one before its predecessor's; segments left
/// without words are left out. A segment spans its words too (their times were fitted after
/// decoding).
pub fn decoded_segments(
    words: &[Word],
    decoded: &[DecodedSegment],
    delimiter: &str,
) -> Vec<Segment> {
    let mut groups: Vec<(usize, Vec<&Word>)> = Vec::new();
    let mut floor = 0;
    for w in words {
        let middle = (w.start + w.end) / 2.0;
        // The last segment starting at or before the middle, or the next if that is nearer.
        let mut j = decoded
            .partition_point(|d| d.start <= middle)
            .saturating_sub(1);
        if let (Some(here), Some(next)) = (decoded.get(j), decoded.get(j + 1)) {
            if middle > here.end && next.start - middle < middle - here.end {
                j += 1;
            }
        }
        let j = j.max(floor);
        floor = j;
        match groups.last_mut() {
            Some((last, group)) if *last == j => group.push(w),
            _ => groups.push((j, vec![w])),
        }
    }
    groups
        .into_iter()
        .filter_map(|(j, group)| {
            let d = decoded.get(j)?;
            let (first, last) = (group.first()?, group.last()?);
            Some(Segment {
                start: d.start.min(first.start),
                end: d.end.max(last.end),
                text: join(group.iter().map(|w| w.text.as_str()), delimiter),
                speaker: first.speaker.clone(),
                avg_logprob: f64::from(d.avg_logprob),
                decoded: Some(d.clone()),
            })
        })
        .collect()
}

fn join<'a>(parts: impl Iterator<Item = &'a str>, delimiter: &str) -> String {
    parts.collect::<Vec<_>>().join(delimiter)
}

/// What a json-v2 transcript says, ready for every format.
pub struct Rendered {
    delimiter: String,
    pub task: &'static str,
    /// The full English name, lower case as OpenAI writes it ("english").
    pub language: String,
    pub duration: f64,
    pub text: String,
    pub words: Vec<Word>,
    pub segments: Vec<Segment>,
}

impl Rendered {
    pub fn new(finished: &Finished, task: Task) -> Rendered {
        let Finished { job, doc, .. } = finished;
        let pack = &doc["metadata"]["language_pack_info"];
        let delimiter = pack["word_delimiter"].as_str().unwrap_or(" ");
        let words = words(doc);
        let segments = if finished.segments.is_empty() {
            segments(&words, delimiter)
        } else {
            decoded_segments(&words, &finished.segments, delimiter)
        };
        let last_end = words.last().map(|w| w.end).unwrap_or_default();
        // A translation's text is English whatever was spoken, and OpenAI says so.
        let language = match task {
            Task::Translate => "english".to_string(),
            Task::Transcribe => pack["language_description"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase(),
        };
        Rendered {
            delimiter: delimiter.to_string(),
            task: task.as_str(),
            language,
            duration: job.input_metadata.duration_seconds.unwrap_or(last_end),
            text: join(segments.iter().map(|s| s.text.as_str()), delimiter),
            words,
            segments,
        }
    }

    pub fn response(&self, format: ResponseFormat, granularities: Granularities) -> Response {
        match format {
            ResponseFormat::Json => axum::Json(json!({"text": self.text})).into_response(),
            ResponseFormat::Text => text("text/plain; charset=utf-8", format!("{}\n", self.text)),
            ResponseFormat::Srt => text("application/x-subrip; charset=utf-8", self.srt()),
            ResponseFormat::Vtt => text("text/vtt; charset=utf-8", self.vtt()),
            ResponseFormat::VerboseJson => axum::Json(self.verbose(granularities)).into_response(),
            ResponseFormat::DiarizedJson => axum::Json(self.diarized()).into_response(),
        }
    }

    pub fn verbose(&self, granularities: Granularities) -> Value {
        let mut body = json!({
            "task": self.task,
            "language": self.language,
            "duration": self.duration,
            "text": self.text,
        });
        if granularities.segments {
            body["segments"] = self
                .segments
                .iter()
                .enumerate()
                .map(|(id, s)| match &s.decoded {
                    Some(d) => json!({
                        "id": id,
                        "seek": d.seek,
                        "start": s.start,
                        "end": s.end,
                        "text": s.text,
                        "tokens": d.tokens,
                        "temperature": d.temperature,
                        "avg_logprob": d.avg_logprob,
                        "compression_ratio": d.compression_ratio,
                        "no_speech_prob": d.no_speech_prob,
                    }),
                    // A job finished before the decoder's segments were kept.
                    None => json!({
                        "id": id,
                        // Whisper's window offset, in its 10 ms frames.
                        "seek": (s.start * 100.0).floor() as u64,
                        "start": s.start,
                        "end": s.end,
                        "text": s.text,
                        "tokens": [],
                        "temperature": 0.0,
                        "avg_logprob": s.avg_logprob,
                        "compression_ratio": compression_ratio(&s.text),
                        "no_speech_prob": 0.0,
                    }),
                })
                .collect();
        }
        if granularities.words {
            body["words"] = self
                .words
                .iter()
                .map(|w| json!({"word": w.bare, "start": w.start, "end": w.end}))
                .collect();
        }
        body
    }

    pub fn diarized(&self) -> Value {
        // Grouped from the words, so that a segment never holds two speakers.
        let segments: Vec<Value> = segments(&self.words, &self.delimiter)
            .iter()
            .enumerate()
            .map(|(i, s)| {
                json!({
                    "type": "transcript.text.segment",
                    "id": format!("seg_{i}"),
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "speaker": s.speaker.as_deref().unwrap_or("UU"),
                })
            })
            .collect();
        json!({
            "task": self.task,
            "duration": self.duration,
            "text": self.text,
            "segments": segments,
            "usage": {"type": "duration", "seconds": self.duration},
        })
    }

    pub fn srt(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.segments.iter().enumerate() {
            out += &format!(
                "{}\n{} --> {}\n{}\n\n",
                i + 1,
                timestamp(s.start, ','),
                timestamp(s.end, ','),
                s.text
            );
        }
        out
    }

    pub fn vtt(&self) -> String {
        let mut out = String::from("WEBVTT\n\n");
        for s in &self.segments {
            out += &format!(
                "{} --> {}\n{}\n\n",
                timestamp(s.start, '.'),
                timestamp(s.end, '.'),
                s.text
            );
        }
        out
    }
}

fn text(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `HH:MM:SS,mmm` (srt) or `HH:MM:SS.mmm` (vtt).
fn timestamp(seconds: f64, separator: char) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Whisper's repetition check: the text's size over its zlib-compressed size.
fn compression_ratio(text: &str) -> f64 {
    let mut encoder = ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(text.as_bytes());
    let compressed = encoder.finish().map(|v| v.len()).unwrap_or(1).max(1);
    text.len() as f64 / compressed as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, start: f64, end: f64, speaker: &str) -> Word {
        Word {
            text: text.into(),
            bare: text.trim_matches(['.', ',']).into(),
            start,
            end,
            confidence: 0.9,
            speaker: Some(speaker.into()),
        }
    }

    #[test]
    fn punctuation_attaches_to_its_word() {
        let doc = json!({"results": [
            {"type": "word", "start_time": 0.0, "end_time": 0.4,
             "alternatives": [{"content": "Hello", "confidence": 0.9}]},
            {"type": "punctuation", "attaches_to": "previous", "start_time": 0.4, "end_time": 0.4,
             "alternatives": [{"content": ","}]},
            {"type": "word", "start_time": 0.5, "end_time": 0.9,
             "alternatives": [{"content": "world", "confidence": 0.8}]},
        ]});
        let w = words(&doc);
        assert_eq!(w.len(), 2);
        assert_eq!(
            (w[0].text.as_str(), w[0].bare.as_str()),
            ("Hello,", "Hello")
        );
        assert_eq!(w[1].text, "world");
    }

    #[test]
    fn segments_end_at_sentences_pauses_and_turns() {
        let w = vec![
            word("One.", 0.0, 0.5, "S1"),
            word("two", 0.6, 0.9, "S1"),
            word("three", 2.5, 3.0, "S1"),
            word("four", 3.1, 3.5, "S2"),
        ];
        let texts: Vec<String> = segments(&w, " ").into_iter().map(|s| s.text).collect();
        assert_eq!(texts, ["One.", "two", "three", "four"]);
        let joined = segments(&w[1..2], " ");
        assert_eq!((joined[0].start, joined[0].end), (0.6, 0.9));
    }

    fn decoded(start: f64, end: f64, first_token: u32) -> DecodedSegment {
        DecodedSegment {
            start,
            end,
            seek: (start * 100.0) as u64,
            tokens: vec![first_token, 7, 50400],
            temperature: 0.2,
            avg_logprob: -0.3,
            compression_ratio: 1.4,
            no_speech_prob: 0.01,
        }
    }

    #[test]
    fn words_fall_in_the_decoders_segments() {
        let w = vec![
            word("Before", -0.4, 0.1, "S1"),
            word("One.", 0.0, 0.5, "S1"),
            word("two", 0.6, 0.9, "S1"),
            word("between", 1.2, 1.4, "S1"),
            word("three", 2.5, 3.0, "S1"),
            word("four", 3.1, 3.9, "S1"),
        ];
        let d = [
            decoded(0.0, 1.0, 1),
            decoded(2.4, 3.6, 2),
            decoded(8.0, 9.0, 3),
        ];
        let s = decoded_segments(&w, &d, " ");
        let texts: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
        // "between" is nearer the first segment; the third segment has no words.
        assert_eq!(texts, ["Before One. two between", "three four"]);
        assert_eq!((s[0].start, s[0].end), (-0.4, 1.4));
        assert_eq!((s[1].start, s[1].end), (2.4, 3.9));
        assert_eq!(s[1].decoded.as_ref().map(|d| d.tokens[0]), Some(2));
        assert_eq!(s[1].avg_logprob, f64::from(-0.3f32));
        // A word never goes back to an earlier segment than its predecessor's.
        let late = vec![word("late", 2.5, 2.6, "S1"), word("early", 0.1, 0.2, "S1")];
        let s = decoded_segments(&late, &d, " ");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].text, "late early");
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(3723.456, ','), "01:02:03,456");
        assert_eq!(timestamp(0.0, '.'), "00:00:00.000");
    }

    #[test]
    fn repetitive_text_compresses_better() {
        assert!(compression_ratio(&"la ".repeat(100)) > compression_ratio("a varied short line"));
    }
}
