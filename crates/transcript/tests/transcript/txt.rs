//! The plain-text transcript: paragraphs, labels, and the text itself.

use crate::common::{generate, Spec};
use transcript::{to_txt, Transcript, Word};

fn word(text: &str, start: f64, speaker: Option<&str>, channel: Option<&str>) -> Word {
    Word {
        text: text.into(),
        start,
        end: start + 0.3,
        confidence: 0.9,
        speaker: speaker.map(Into::into),
        channel: channel.map(Into::into),
    }
}

fn t(words: Vec<Word>) -> Transcript {
    Transcript {
        language: "en".into(),
        duration: 100.0,
        words,
    }
}

#[test]
fn running_text_with_natural_punctuation() {
    let words = vec![
        word(" Hello", 0.0, None, None),
        word(",", 0.3, None, None),
        word("“", 0.5, None, None),
        word("world", 0.5, None, None),
        word("”.", 0.8, None, None),
        word("Bye!", 1.2, None, None),
    ];
    assert_eq!(to_txt(&t(words)), "Hello, “world”. Bye!\n");
}

#[test]
fn long_pauses_start_paragraphs() {
    let words = vec![
        word("One.", 0.0, None, None),
        word("Two.", 1.9, None, None),   // 1.6 s gap: same paragraph
        word("Three.", 4.2, None, None), // 2.0 s gap: new paragraph
    ];
    assert_eq!(to_txt(&t(words)), "One. Two.\n\nThree.\n");
}

#[test]
fn speaker_turns_are_labelled() {
    let words = vec![
        word("Hi.", 0.0, Some("S1"), None),
        word("Hello.", 0.4, Some("S2"), None),
        word("How", 0.8, Some("S2"), None),
        word("are", 1.1, Some("S2"), None),
        word("you?", 1.4, Some("S2"), None),
        word("Fine.", 1.8, None, None),
        word("Good.", 5.0, None, None),
    ];
    assert_eq!(
        to_txt(&t(words)),
        "S1: Hi.\n\nS2: Hello. How are you?\n\nUU: Fine.\n\nUU: Good.\n"
    );
}

#[test]
fn channel_turns_in_time_order() {
    let words = vec![
        word("Hello", 0.0, None, Some("channel_1")),
        word("there.", 0.3, None, Some("channel_1")),
        word("Hi!", 0.5, None, Some("channel_2")),
        word("Yes.", 1.0, None, Some("channel_1")),
        word("Sure.", 1.2, None, Some("agent")),
    ];
    assert_eq!(
        to_txt(&t(words)),
        "Channel 1: Hello there.\n\nChannel 2: Hi!\n\nChannel 1: Yes.\n\nagent: Sure.\n"
    );
    let both = vec![word("Hey.", 0.0, Some("S1"), Some("channel_2"))];
    assert_eq!(to_txt(&t(both)), "Channel 2, S1: Hey.\n");
}

#[test]
fn empty_transcript_is_an_empty_file() {
    assert_eq!(to_txt(&t(vec![])), "");
    assert_eq!(to_txt(&t(vec![word("  ", 0.0, None, None)])), "");
}

#[test]
fn languages_without_spaces_join_without_them() {
    let mut tr = t(vec![
        word("你好", 0.0, None, None),
        word("世界。", 0.3, None, None),
    ]);
    tr.language = "zh".into();
    assert_eq!(to_txt(&tr), "你好世界。\n");
}

#[test]
fn generated_transcripts_keep_every_word_in_order() {
    for seed in 0..10 {
        let g = generate(
            seed,
            Spec {
                words: 1500,
                speakers: 0,
                channels: 0,
            },
        );
        let txt = to_txt(&g.transcript);
        assert!(txt.ends_with('\n') && !txt.ends_with("\n\n"));
        let paragraphs: Vec<&str> = txt.trim_end().split("\n\n").collect();
        assert!(paragraphs
            .iter()
            .all(|p| !p.is_empty() && !p.contains('\n')));
        assert_eq!(paragraphs.join(" "), g.text, "seed {seed}");
        // One paragraph per stretch between silences of 2 s or more.
        let mut expected = 1;
        for k in 1..g.times.len() {
            let prev_end = g.times[..k].iter().map(|t| t.1).fold(0.0, f64::max);
            if g.times[k].0 - prev_end >= 2.0 {
                expected += 1;
            }
        }
        assert_eq!(paragraphs.len(), expected, "seed {seed}");
    }
}
