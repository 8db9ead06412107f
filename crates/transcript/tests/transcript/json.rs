//! The json-v2 output: exact shape on a small transcript, punctuation rules on hand-picked
//! words, and invariants over long generated transcripts.

use crate::common::{generate, Spec};
use serde_json::{json, Value};
use transcript::{render, to_json, word_results, CueOptions, Format, JsonMeta, Transcript, Word};

fn word(text: &str, start: f64, end: f64, confidence: f32) -> Word {
    Word {
        text: text.into(),
        start,
        end,
        confidence,
        speaker: None,
        channel: None,
    }
}

fn meta() -> JsonMeta {
    JsonMeta::new(
        "job1",
        "2026-11-29T10:00:00Z",
        "call.wav",
        json!({"language": "en", "diarization": "none"}),
    )
}

fn results(t: &Transcript) -> Vec<Value> {
    to_json(t, &meta())["results"].as_array().unwrap().clone()
}

#[test]
fn exact_document() {
    let words = vec![
        word(" \"Hello,", 0.5, 0.9, 0.93),
        word("world.\"", 1.0, 1.23, 0.8),
    ];
    let t = Transcript::new("en", 3.6, words);
    let m = meta();
    let expected = json!({
        "format": "2.9",
        "job": {"id": "job1", "created_at": "2026-11-29T10:00:00Z", "data_name": "call.wav", "duration": 4},
        "metadata": {
            "created_at": "2026-11-29T10:00:00Z",
            "type": "transcription",
            "transcription_config": {"language": "en", "diarization": "none"},
            "language_pack_info": {
                "language_description": "English", "word_delimiter": " ",
                "writing_direction": "left-to-right", "itn": true, "adapted": false
            }
        },
        "results": [
            {"type": "punctuation", "start_time": 0.5, "end_time": 0.5, "attaches_to": "next", "is_eos": false,
             "alternatives": [{"content": "\"", "confidence": 1.0, "language": "en", "speaker": "UU"}]},
            {"type": "word", "start_time": 0.5, "end_time": 0.9,
             "alternatives": [{"content": "Hello", "confidence": 0.93, "language": "en", "speaker": "UU"}]},
            {"type": "punctuation", "start_time": 0.9, "end_time": 0.9, "attaches_to": "previous", "is_eos": false,
             "alternatives": [{"content": ",", "confidence": 1.0, "language": "en", "speaker": "UU"}]},
            {"type": "word", "start_time": 1.0, "end_time": 1.23,
             "alternatives": [{"content": "world", "confidence": 0.8, "language": "en", "speaker": "UU"}]},
            {"type": "punctuation", "start_time": 1.23, "end_time": 1.23, "attaches_to": "previous", "is_eos": true,
             "alternatives": [{"content": ".", "confidence": 1.0, "language": "en", "speaker": "UU"}]},
            {"type": "punctuation", "start_time": 1.23, "end_time": 1.23, "attaches_to": "previous", "is_eos": false,
             "alternatives": [{"content": "\"", "confidence": 1.0, "language": "en", "speaker": "UU"}]}
        ]
    });
    assert_eq!(to_json(&t, &m), expected);
    // The rendered file is that document, pretty-printed, with the float times written short.
    let text = render(&t, Format::Json, &m, &CueOptions::default());
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), expected);
    assert!(
        text.contains("\"end_time\": 1.23,") && text.ends_with("}\n"),
        "{text}"
    );
}

fn contents(rs: &[Value]) -> Vec<(String, String)> {
    rs.iter()
        .map(|r| {
            (
                r["type"].as_str().unwrap().to_string(),
                r["alternatives"][0]["content"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

/// What a client reads back: every word, without its punctuation, with its times, confidence,
/// speaker (`UU` when none) and channel.
#[test]
fn word_results_read_back_the_words() {
    let mut words = vec![
        word("Hello,", 0.5, 0.9, 0.93),
        word("world.", 1.0, 1.23, 0.8),
    ];
    words[1].speaker = Some("S2".into());
    words[1].channel = Some("channel_2".into());
    let t = Transcript::new("en", 2.0, words);
    let read = word_results(&to_json(&t, &meta()));
    let mut expected = vec![word("Hello", 0.5, 0.9, 0.93), word("world", 1.0, 1.23, 0.8)];
    expected[0].speaker = Some("UU".into());
    expected[1].speaker = Some("S2".into());
    expected[1].channel = Some("channel_2".into());
    assert_eq!(read, expected);
    assert!(word_results(&json!({})).is_empty());
}

#[test]
fn words_keep_inner_punctuation() {
    let words = [
        "don't",
        "well-known",
        "3.5",
        "U.S.",
        "e.g.",
        "$20",
        "'90s",
        "Dr.",
    ];
    let t = Transcript::new(
        "en",
        9.0,
        words
            .iter()
            .enumerate()
            .map(|(i, w)| word(w, i as f64, i as f64 + 0.5, 0.9))
            .collect(),
    );
    let got = contents(&results(&t));
    let expected: Vec<(String, String)> = words
        .iter()
        .map(|w| ("word".to_string(), w.to_string()))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn punctuation_is_split_with_its_attachment_and_eos() {
    let words = vec![
        word("(Really?!", 0.0, 0.4, 0.9),
        word("Yes…", 0.5, 0.8, 0.9),
        word(",", 0.8, 0.8, 0.9),
        word("3.5.", 1.0, 1.5, 0.9),
        word("“", 2.0, 2.0, 0.9),
        word("ok", 2.0, 2.2, 0.9),
    ];
    let t = Transcript::new("en", 9.0, words);
    let rs = results(&t);
    let summary: Vec<(String, Value, Value, f64, f64)> = rs
        .iter()
        .map(|r| {
            (
                r["alternatives"][0]["content"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["attaches_to"].clone(),
                r["is_eos"].clone(),
                r["start_time"].as_f64().unwrap(),
                r["end_time"].as_f64().unwrap(),
            )
        })
        .collect();
    let n = Value::Null;
    let expected = vec![
        ("(".into(), json!("next"), json!(false), 0.0, 0.0),
        ("Really".into(), n.clone(), n.clone(), 0.0, 0.4),
        ("?".into(), json!("previous"), json!(true), 0.4, 0.4),
        ("!".into(), json!("previous"), json!(true), 0.4, 0.4),
        ("Yes".into(), n.clone(), n.clone(), 0.5, 0.8),
        ("…".into(), json!("previous"), json!(true), 0.8, 0.8),
        (",".into(), json!("previous"), json!(false), 0.8, 0.8),
        ("3.5".into(), n.clone(), n.clone(), 1.0, 1.5),
        (".".into(), json!("previous"), json!(true), 1.5, 1.5),
        ("“".into(), json!("next"), json!(false), 2.0, 2.0),
        ("ok".into(), n.clone(), n, 2.0, 2.2),
    ];
    assert_eq!(summary, expected);
}

#[test]
fn speakers_channels_and_languages() {
    let mut a = word("hola", 0.0, 0.5, 0.5);
    a.speaker = Some("S2".into());
    a.channel = Some("channel_2".into());
    let t = Transcript::new("es", 1.0, vec![a, word("adiós", 0.6, 0.9, 0.5)]);
    let doc = to_json(
        &t,
        &JsonMeta::new("j", "2026-01-01T00:00:00Z", "x.mp3", Value::Null),
    );
    let rs = doc["results"].as_array().unwrap();
    assert_eq!(rs[0]["channel"], "channel_2");
    assert_eq!(rs[0]["alternatives"][0]["speaker"], "S2");
    assert_eq!(rs[0]["alternatives"][0]["language"], "es");
    assert!(rs[1].get("channel").is_none());
    assert_eq!(rs[1]["alternatives"][0]["speaker"], "UU");
    assert_eq!(
        doc["metadata"]["language_pack_info"]["language_description"],
        "Spanish"
    );
    // No config given: the header still says which language was transcribed.
    assert_eq!(
        doc["metadata"]["transcription_config"],
        json!({"language": "es"})
    );
    assert_eq!(doc["metadata"]["created_at"], "2026-01-01T00:00:00Z");

    let arabic = Transcript::new("ar", 0.0, vec![]);
    let info = &to_json(&arabic, &meta())["metadata"]["language_pack_info"];
    assert_eq!(info["writing_direction"], "right-to-left");
    assert_eq!(info["language_description"], "Arabic");
}

#[test]
fn empty_transcript_has_empty_results() {
    let t = Transcript::new("en", 0.0, vec![]);
    let doc = to_json(&t, &meta());
    assert_eq!(doc["results"], json!([]));
    assert_eq!(doc["job"]["duration"], 0);
    assert_eq!(doc["format"], "2.9");
}

#[test]
fn invariants_over_generated_transcripts() {
    for seed in 0..10 {
        let g = generate(
            seed,
            Spec {
                words: 1500,
                speakers: (seed % 3) as usize,
                channels: if seed % 2 == 0 { 2 } else { 0 },
            },
        );
        let doc = to_json(&g.transcript, &meta());
        let rs = doc["results"].as_array().unwrap();
        let mut rebuilt = String::new();
        let mut glue_next = false;
        let mut last_word_start = 0.0;
        let mut words = 0;
        for r in rs {
            let start = r["start_time"].as_f64().unwrap();
            let end = r["end_time"].as_f64().unwrap();
            assert!(start <= end && start >= 0.0, "{r}");
            assert_eq!(
                (start * 1000.0).round() / 1000.0,
                start,
                "more than 3 decimals: {r}"
            );
            let alt = &r["alternatives"][0];
            let content = alt["content"].as_str().unwrap();
            assert!(!content.is_empty());
            let confidence = alt["confidence"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&confidence));
            assert_eq!(alt["language"], "en");
            let speaker = alt["speaker"].as_str().unwrap();
            assert!(speaker == "UU" || speaker.starts_with('S'));
            assert_eq!(r.get("channel").is_some(), seed % 2 == 0);
            match r["type"].as_str().unwrap() {
                "word" => {
                    assert!(r.get("attaches_to").is_none() && r.get("is_eos").is_none());
                    assert!(start >= last_word_start, "words out of order: {r}");
                    last_word_start = start;
                    words += 1;
                    if !rebuilt.is_empty() && !glue_next {
                        rebuilt.push(' ');
                    }
                    rebuilt.push_str(content);
                    glue_next = false;
                }
                "punctuation" => {
                    assert_eq!(start, end, "{r}");
                    assert_eq!(confidence, 1.0);
                    let eos = r["is_eos"].as_bool().unwrap();
                    assert_eq!(eos, content.starts_with(['.', '?', '!', '…']), "{r}");
                    match r["attaches_to"].as_str().unwrap() {
                        "previous" => rebuilt.push_str(content),
                        "next" => {
                            if !rebuilt.is_empty() && !glue_next {
                                rebuilt.push(' ');
                            }
                            rebuilt.push_str(content);
                            glue_next = true;
                        }
                        other => panic!("attaches_to {other}"),
                    }
                }
                other => panic!("type {other}"),
            }
        }
        assert_eq!(
            words,
            g.owners.len(),
            "seed {seed}: one word result per word"
        );
        assert_eq!(
            rebuilt, g.text,
            "seed {seed}: results do not give back the text"
        );
    }
}

/// `enable_entities`: an entity result replaces the words it covers, with both forms; without
/// the option the same words stay plain word results.
#[test]
fn entities_only_when_enabled() {
    let w = |text: &str, start: f64| transcript::Word {
        text: text.into(),
        start,
        end: start + 0.4,
        confidence: 0.9,
        speaker: None,
        channel: None,
    };
    let t = Transcript::new(
        "en",
        5.0,
        vec![
            w("Pay", 0.0),
            w("twenty", 0.5),
            w("five", 1.0),
            w("dollars", 1.5),
            w("by", 2.0),
            w("January", 2.5),
            w("5th.", 3.0),
        ],
    );
    let mut m = meta();
    m.transcription_config = serde_json::json!({"language": "en", "enable_entities": true});
    let v = transcript::to_json(&t, &m);
    let results = v["results"].as_array().unwrap();
    let entities: Vec<&serde_json::Value> =
        results.iter().filter(|r| r["type"] == "entity").collect();
    assert_eq!(entities.len(), 2, "{results:#?}");
    assert_eq!(entities[0]["entity_class"], "money");
    assert_eq!(entities[0]["alternatives"][0]["content"], "$25");
    assert_eq!(entities[0]["start_time"], 0.5);
    assert_eq!(entities[0]["end_time"], 1.9);
    let spoken: Vec<&str> = entities[0]["spoken_form"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["alternatives"][0]["content"].as_str().unwrap())
        .collect();
    assert_eq!(spoken, ["twenty", "five", "dollars"]);
    assert_eq!(
        entities[0]["written_form"][0]["alternatives"][0]["content"],
        "$25"
    );
    assert_eq!(entities[1]["entity_class"], "date");
    assert_eq!(entities[1]["alternatives"][0]["content"], "January 5");
    // The full stop after "5th" stays a punctuation result after the entity.
    assert_eq!(results.last().unwrap()["type"], "punctuation");
    assert!(!results
        .iter()
        .any(|r| r["alternatives"][0]["content"] == "twenty"));

    m.transcription_config = serde_json::json!({"language": "en", "enable_entities": false});
    let v = transcript::to_json(&t, &m);
    assert!(!v["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["type"] == "entity"));
}
