//! The recordings the diarization tests score: the project's two-speaker fixture, and real
//! clips of different readers (tests/fixtures/cache/clips) joined into turns. Their words are
//! tiles over each turn's true bounds, never carrying a speaker: the diarizer must find the
//! speakers from the sound.

use testkit::der::Turn;
use transcript::Word;

pub const SR: f64 = 16_000.0;

pub struct Recording {
    pub name: &'static str,
    pub samples: Vec<f32>,
    pub reference: Vec<Turn>,
    pub words: Vec<Word>,
}

pub fn clip(rel: &str) -> Vec<f32> {
    audio::decode(&testkit::fixture(rel), audio::ChannelMode::Mix)
        .expect("decode")
        .channels
        .remove(0)
}

/// Words spread evenly over a stretch.
pub fn spread(text: &str, start: f64, end: f64) -> Vec<Word> {
    let toks: Vec<&str> = text.split_whitespace().collect();
    let step = (end - start) / toks.len() as f64;
    toks.iter()
        .enumerate()
        .map(|(i, t)| Word {
            text: t.to_string(),
            start: start + i as f64 * step,
            end: start + (i + 1) as f64 * step,
            confidence: 1.0,
            speaker: None,
            channel: None,
        })
        .collect()
}

/// `two_speakers.turns.tsv`: (start, end, speaker, text).
pub fn two_speaker_turns() -> Vec<(Turn, String)> {
    std::fs::read_to_string(testkit::fixture("speakers/two_speakers.turns.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let turn = Turn {
                start: f[0].parse().unwrap(),
                end: f[1].parse().unwrap(),
                speaker: f[2].into(),
            };
            (turn, f[3].to_string())
        })
        .collect()
}

/// The project's two-speaker fixture (A: the MFA corpus author, in two recording sessions;
/// B: a LibriVox reader), words from the reference text spread over each turn.
pub fn two_speakers() -> Recording {
    let turns = two_speaker_turns();
    Recording {
        name: "two_speakers_turns",
        samples: clip("speakers/two_speakers_turns.wav"),
        words: turns
            .iter()
            .flat_map(|(t, text)| spread(text, t.start, t.end))
            .collect(),
        reference: turns.into_iter().map(|(t, _)| t).collect(),
    }
}

/// Parts of clips joined with `pause` seconds of silence between them; the words are 0.4 s
/// tiles over each part.
fn joined(name: &'static str, parts: &[(&str, &[f32])], pause: f64) -> Recording {
    let mut samples = Vec::new();
    let mut reference = Vec::new();
    for (who, part) in parts {
        let start = samples.len() as f64 / SR;
        samples.extend_from_slice(part);
        let end = samples.len() as f64 / SR;
        reference.push(Turn {
            start,
            end,
            speaker: who.to_string(),
        });
        samples.extend(std::iter::repeat_n(0.0, (pause * SR) as usize));
    }
    let words = reference
        .iter()
        .flat_map(|t| {
            let n = ((t.end - t.start) / 0.4).round().max(1.0) as usize;
            spread(&vec!["w"; n].join(" "), t.start, t.end)
        })
        .collect();
    Recording {
        name,
        samples,
        reference,
        words,
    }
}

fn sec(s: f64) -> usize {
    (s * SR) as usize
}

/// Three LibriVox readers (B: Sense and Sensibility, T: A Tale of Two Cities, S: a sonnet) in
/// nine alternating turns of 5–9 s, 0.6 s apart.
pub fn three_readers() -> Recording {
    let (b1, b2, b3) = (
        clip("clips/en_sense_and_sensibility_0870.wav"),
        clip("clips/en_sense_and_sensibility_0890.wav"),
        clip("clips/en_sense_and_sensibility_0920.wav"),
    );
    let (tc, so) = (
        clip("clips/en_two_cities.wav"),
        clip("clips/en_sonnet_001.wav"),
    );
    joined(
        "three_readers",
        &[
            ("B", &b1),
            ("T", &tc[sec(0.0)..sec(9.0)]),
            ("S", &so[sec(0.0)..sec(8.0)]),
            ("B", &b2),
            ("S", &so[sec(8.0)..sec(14.0)]),
            ("T", &tc[sec(9.0)..sec(16.0)]),
            ("B", &b3),
            ("T", &tc[sec(16.0)..sec(22.0)]),
            ("S", &so[sec(14.0)..sec(22.0)]),
        ],
        0.6,
    )
}

/// The four English voices of the fixtures: A, the MFA corpus author (spontaneous speech); B, the
/// Sense and Sensibility reader (three clips joined); T, A Tale of Two Cities; S, a sonnet.
fn english_voices() -> [Vec<f32>; 4] {
    [
        clip("clips/en_mfa_acoustic_corpus.wav"),
        [
            clip("clips/en_sense_and_sensibility_0870.wav"),
            clip("clips/en_sense_and_sensibility_0890.wav"),
            clip("clips/en_sense_and_sensibility_0920.wav"),
        ]
        .concat(),
        clip("clips/en_two_cities.wav"),
        clip("clips/en_sonnet_001.wav"),
    ]
}

/// Four voices in a conversation-like exchange: twenty turns of 1.5–6 s, 0.3 s apart (a pause
/// short enough that the turns' speech regions run together). A: the MFA corpus author
/// (spontaneous speech), B, T and S: the three LibriVox readers.
pub fn four_voices_short_turns() -> Recording {
    let [a, b, t, s] = english_voices();
    joined(
        "four_voices_short_turns",
        &[
            ("A", &a[sec(0.0)..sec(4.0)]),
            ("B", &b[sec(0.0)..sec(2.5)]),
            ("A", &a[sec(4.0)..sec(6.0)]),
            ("T", &t[sec(0.0)..sec(5.0)]),
            ("S", &s[sec(0.0)..sec(3.0)]),
            ("B", &b[sec(2.5)..sec(6.5)]),
            ("T", &t[sec(5.0)..sec(7.0)]),
            ("A", &a[sec(6.0)..sec(11.0)]),
            ("S", &s[sec(3.0)..sec(5.0)]),
            ("T", &t[sec(7.0)..sec(13.0)]),
            ("B", &b[sec(6.5)..sec(8.0)]),
            ("S", &s[sec(5.0)..sec(10.0)]),
            ("A", &a[sec(11.0)..sec(13.0)]),
            ("B", &b[sec(8.0)..sec(12.0)]),
            ("T", &t[sec(13.0)..sec(15.0)]),
            ("A", &a[sec(13.0)..sec(18.0)]),
            ("S", &s[sec(10.0)..sec(12.0)]),
            ("B", &b[sec(12.0)..sec(15.0)]),
            ("T", &t[sec(15.0)..sec(20.0)]),
            ("S", &s[sec(12.0)..sec(18.0)]),
        ],
        0.3,
    )
}

/// Seven voices, every one a different reader of the fixtures, in 19 turns of 2.5–5 s, 0.5 s apart: A, the
/// MFA corpus author; B, T and S, the three LibriVox readers; E, a Spanish MLS reader; W, a Swedish
/// NST speaker; L, a LibriSpeech reader, who says only 4.9 s in two turns.
pub fn seven_voices() -> Recording {
    let [a, b, t, s] = english_voices();
    let e = clip("clips/es_mls_13697_11991_000000.wav");
    let w: Vec<f32> = [
        clip("clips/sv_nst_u0016002.wav"),
        clip("clips/sv_nst_u0016003.wav"),
        clip("clips/sv_nst_u0016004.wav"),
    ]
    .concat();
    let l = clip("clips/en_librispeech_61-70968-0000.wav");
    joined(
        "seven_voices",
        &[
            ("A", &a[sec(0.0)..sec(5.0)]),
            ("E", &e[sec(0.0)..sec(4.5)]),
            ("T", &t[sec(0.0)..sec(5.0)]),
            ("W", &w[sec(0.0)..sec(4.5)]),
            ("B", &b[sec(0.0)..sec(4.0)]),
            ("S", &s[sec(0.0)..sec(5.0)]),
            ("L", &l[..sec(2.5)]),
            ("A", &a[sec(5.0)..sec(9.0)]),
            ("W", &w[sec(4.5)..sec(9.0)]),
            ("T", &t[sec(5.0)..sec(9.0)]),
            ("E", &e[sec(4.5)..sec(9.0)]),
            ("S", &s[sec(5.0)..sec(9.0)]),
            ("B", &b[sec(4.0)..sec(8.0)]),
            ("L", &l[sec(2.5)..]),
            ("W", &w[sec(9.0)..sec(13.0)]),
            ("A", &a[sec(9.0)..sec(13.0)]),
            ("E", &e[sec(9.0)..sec(13.5)]),
            ("T", &t[sec(9.0)..sec(13.0)]),
            ("B", &b[sec(8.0)..sec(12.0)]),
        ],
        0.5,
    )
}

/// Short replies inside another speaker's speech: A (the MFA corpus author) speaks on, with
/// B's 1.5 s and 2 s replies between (0.3 s pauses), as a back-channel or a quick answer.
pub fn short_replies() -> Recording {
    let a = clip("clips/en_mfa_acoustic_corpus.wav");
    let b = clip("clips/en_sense_and_sensibility_0870.wav");
    joined(
        "short_replies",
        &[
            ("A", &a[sec(0.0)..sec(8.0)]),
            ("B", &b[sec(0.0)..sec(1.5)]),
            ("A", &a[sec(8.0)..sec(16.0)]),
            ("B", &b[sec(2.0)..sec(4.0)]),
            ("A", &a[sec(16.0)..sec(24.0)]),
        ],
        0.3,
    )
}
