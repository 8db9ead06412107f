//! Property tests of the subtitle cues over many generated transcripts: every rule of the
//! renderer is checked on every cue, for several line settings.

use crate::common::{ends_clause, ends_sentence, generate, index_of, Generated, Spec};
use transcript::{cues, to_srt, to_vtt, Cue, CueOptions, Transcript, Word};

const OPTIONS: &[(usize, usize)] = &[
    (37, 2),
    (42, 2),
    (20, 1),
    (32, 3),
    (10, 2),
    (80, 2),
    (1, 1),
    (0, 0),
];

fn tokens(c: &Cue) -> Vec<&str> {
    c.lines.iter().flat_map(|l| l.split(' ')).collect()
}

fn greedy_lines(tokens: &[&str], max_len: usize) -> usize {
    let mut lines = 0;
    let mut cur: Option<usize> = None;
    for t in tokens {
        let l = t.chars().count();
        cur = match cur {
            Some(c) if c + 1 + l <= max_len => Some(c + 1 + l),
            _ => {
                lines += 1;
                Some(l)
            }
        };
    }
    lines
}

/// Checks every cue rule; returns how many cues there were.
fn check(g: &Generated, opts: CueOptions, what: &str) -> usize {
    let max_len = opts.max_line_length.max(1);
    let max_lines = opts.max_lines.max(1);
    let cs = cues(&g.transcript, &opts);
    let idx = |t: &str| index_of(t).unwrap_or_else(|| panic!("{what}: token {t:?} names no word"));

    // Word order preserved, nothing lost or repeated.
    let all: Vec<&str> = cs.iter().flat_map(tokens).collect();
    assert_eq!(
        all.join(" "),
        g.text,
        "{what}: cue text differs from the transcript"
    );
    let order: Vec<usize> = all.iter().map(|t| idx(t)).collect();
    assert_eq!(
        order,
        (0..g.owners.len()).collect::<Vec<_>>(),
        "{what}: word order"
    );

    let duration_ms = (g.transcript.duration * 1000.0).round() as u64;
    for (i, c) in cs.iter().enumerate() {
        let ctx = format!("{what}, cue {i} {c:?}");
        // Shape.
        assert!(
            !c.lines.is_empty() && c.lines.len() <= max_lines,
            "{ctx}: line count"
        );
        for line in &c.lines {
            assert!(
                !line.is_empty() && !line.starts_with(' ') && !line.ends_with(' '),
                "{ctx}: line {line:?}"
            );
            assert!(
                line.chars().count() <= max_len || !line.contains(' '),
                "{ctx}: line {line:?} longer than {max_len} and not a single word"
            );
        }
        let toks = tokens(c);
        assert_eq!(
            c.lines.len(),
            greedy_lines(&toks, max_len),
            "{ctx}: more lines than needed"
        );

        // Timing.
        assert!(c.start_ms < c.end_ms, "{ctx}: empty duration");
        if let Some(next) = cs.get(i + 1) {
            assert!(c.start_ms < next.start_ms, "{ctx}: out of order");
            assert!(c.end_ms <= next.start_ms, "{ctx}: overlaps the next cue");
            assert!(
                c.end_ms - c.start_ms >= 700 || c.end_ms == next.start_ms,
                "{ctx}: too short with room to grow"
            );
        } else {
            assert!(
                c.end_ms <= duration_ms.max(c.start_ms + 700),
                "{ctx}: runs past the audio"
            );
            assert!(c.end_ms - c.start_ms >= 700, "{ctx}: last cue too short");
        }
        let first = idx(toks[0]);
        let last = idx(toks[toks.len() - 1]);
        let start_ms = (g.times[first].0 * 1000.0).round() as u64;
        assert!(
            c.start_ms >= start_ms,
            "{ctx}: starts before its first word"
        );

        // Never mixes speakers or channels, and says whose it is.
        for t in &toks {
            assert_eq!(
                g.owners[idx(t)],
                (c.speaker.clone(), c.channel.clone()),
                "{ctx}: token {t} of someone else"
            );
        }
        // Never spans a long pause.
        for k in first..last {
            let gap = g.times[k + 1].0 - g.times[k].1;
            assert!(gap < 0.8, "{ctx}: spans a pause of {gap:.2} s after w{k}");
        }

        // A cue that ends mid-sentence while the next words continue the same stretch of speech
        // ended because it was full, and only after the last sentence end it held.
        if let Some(next) = cs.get(i + 1) {
            let next_first = idx(tokens(next)[0]);
            let same_stretch = g.owners[next_first] == g.owners[last]
                && g.times[next_first].0 - g.times[last].1 < 0.8;
            let last_tok = toks[toks.len() - 1];
            if same_stretch && !ends_sentence(last_tok) {
                assert!(
                    !toks[..toks.len() - 1].iter().any(|t| ends_sentence(t)),
                    "{ctx}: broke mid-sentence though a sentence ended inside"
                );
                if !ends_clause(last_tok) {
                    let mut more = toks.clone();
                    more.push(tokens(next)[0]);
                    assert!(
                        greedy_lines(&more, max_len) > max_lines,
                        "{ctx}: broke mid-sentence with room left"
                    );
                }
            }
        }
    }
    cs.len()
}

fn run(spec: Spec, seeds: std::ops::Range<u64>) -> usize {
    let mut total = 0;
    for seed in seeds {
        let g = generate(seed, spec);
        for &(max_line_length, max_lines) in OPTIONS {
            let what = format!("seed {seed} {spec:?} {max_line_length}x{max_lines}");
            total += check(
                &g,
                CueOptions {
                    max_line_length,
                    max_lines,
                },
                &what,
            );
        }
    }
    total
}

#[test]
fn long_single_speaker_transcripts() {
    let n = run(
        Spec {
            words: 1500,
            speakers: 0,
            channels: 0,
        },
        0..12,
    );
    assert!(n > 1000, "only {n} cues: generator too tame");
}

#[test]
fn long_diarized_transcripts() {
    run(
        Spec {
            words: 1200,
            speakers: 3,
            channels: 0,
        },
        100..110,
    );
}

#[test]
fn long_multichannel_transcripts() {
    run(
        Spec {
            words: 1200,
            speakers: 0,
            channels: 2,
        },
        200..210,
    );
    run(
        Spec {
            words: 800,
            speakers: 2,
            channels: 3,
        },
        300..305,
    );
}

#[test]
fn many_short_transcripts() {
    for words in 1..30 {
        run(
            Spec {
                words,
                speakers: words % 3,
                channels: words % 2 * 2,
            },
            (words as u64 * 1000)..(words as u64 * 1000 + 8),
        );
    }
}

fn word(text: &str, start: f64, end: f64) -> Word {
    Word {
        text: text.into(),
        start,
        end,
        confidence: 0.9,
        speaker: None,
        channel: None,
    }
}

fn t(words: Vec<Word>) -> Transcript {
    Transcript {
        language: "en".into(),
        duration: 60.0,
        words,
    }
}

/// Words one after another, 0.3 s each, no pauses.
fn fluent(text: &str) -> Vec<Word> {
    text.split(' ')
        .enumerate()
        .map(|(i, w)| word(w, i as f64 * 0.3, i as f64 * 0.3 + 0.3))
        .collect()
}

#[test]
fn breaks_after_the_sentence_rather_than_mid_sentence() {
    let text =
        "I went home. Then I cooked a very large dinner for all of my many friends and family";
    let cs = cues(&t(fluent(text)), &CueOptions::default());
    assert_eq!(cs[0].lines, vec!["I went home."]);
    // 33 + 37 and 37 + 33 are equally even; the shorter line goes on top.
    assert_eq!(
        cs[1].lines,
        vec![
            "Then I cooked a very large dinner",
            "for all of my many friends and family"
        ]
    );
}

#[test]
fn lines_are_balanced() {
    let cs = cues(
        &t(fluent(
            "one two three four five six seven eight nine ten eleven",
        )),
        &CueOptions::default(),
    );
    assert_eq!(cs.len(), 1);
    assert_eq!(
        cs[0].lines,
        vec!["one two three four five six", "seven eight nine ten eleven"]
    );
}

#[test]
fn a_long_word_gets_its_own_line() {
    let long = "Pneumonoultramicroscopicsilicovolcanoconiosis";
    let cs = cues(&t(fluent(&format!("a {long} b"))), &CueOptions::default());
    let lines: Vec<&str> = cs
        .iter()
        .flat_map(|c| c.lines.iter().map(String::as_str))
        .collect();
    assert!(lines.contains(&long), "{lines:?}");
    assert_eq!(lines.join(" "), format!("a {long} b"));
}

#[test]
fn pause_ends_a_cue_and_short_cues_are_stretched() {
    let words = vec![
        word("Hi.", 1.0, 1.2),
        word("Yes", 1.3, 1.5),
        word("indeed.", 3.0, 3.1),
    ];
    let cs = cues(&t(words), &CueOptions::default());
    assert_eq!(cs.len(), 2);
    assert_eq!(cs[0].lines, vec!["Hi. Yes"]);
    assert_eq!((cs[0].start_ms, cs[0].end_ms), (1000, 1700));
    assert_eq!((cs[1].start_ms, cs[1].end_ms), (3000, 3700));
}

#[test]
fn stretching_stops_at_the_next_cue() {
    let mut b = word("B", 1.0, 1.5);
    b.speaker = Some("S2".into());
    let mut a = word("A", 0.5, 0.6);
    a.speaker = Some("S1".into());
    let cs = cues(&t(vec![a, b]), &CueOptions::default());
    assert_eq!((cs[0].start_ms, cs[0].end_ms), (500, 1000));
    assert_eq!(cs[0].speaker.as_deref(), Some("S1"));
    assert_eq!((cs[1].start_ms, cs[1].end_ms), (1000, 1700));
}

#[test]
fn overlapping_channels_never_overlap_on_screen() {
    let mut words = Vec::new();
    for i in 0..10 {
        let mut l = word(&format!("left{i}"), i as f64 * 0.5, i as f64 * 0.5 + 0.4);
        l.channel = Some("channel_1".into());
        let mut r = word(
            &format!("right{i}"),
            i as f64 * 0.5 + 0.1,
            i as f64 * 0.5 + 0.45,
        );
        r.channel = Some("channel_2".into());
        words.push(l);
        words.push(r);
    }
    let cs = cues(&t(words), &CueOptions::default());
    assert_eq!(cs.len(), 20);
    for pair in cs.windows(2) {
        assert!(pair[0].end_ms <= pair[1].start_ms && pair[0].start_ms < pair[1].start_ms);
        assert_ne!(pair[0].channel, pair[1].channel);
    }
}

#[test]
fn empty_and_degenerate_input() {
    let opts = CueOptions::default();
    assert!(cues(&t(vec![]), &opts).is_empty());
    assert_eq!(to_srt(&t(vec![]), &opts), "");
    assert_eq!(to_vtt(&t(vec![]), &opts), "WEBVTT\n");
    let weird = t(vec![
        word("a", f64::NAN, f64::NAN),
        word(" ", 1.0, 2.0),
        word("b", -5.0, f64::INFINITY),
        word("c", 1e12, 1e13),
    ]);
    let cs = cues(
        &weird,
        &CueOptions {
            max_line_length: 0,
            max_lines: 0,
        },
    );
    assert_eq!(
        cs.iter().flat_map(|c| c.lines.clone()).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    for pair in cs.windows(2) {
        assert!(pair[0].end_ms <= pair[1].start_ms);
    }
}

#[test]
fn languages_without_spaces() {
    let mut tr = t(fluent("今日は 良い 天気 です。"));
    tr.language = "ja".into();
    let cs = cues(&tr, &CueOptions::default());
    assert_eq!(cs[0].lines, vec!["今日は良い天気です。"]);
}

/// Parses srt back and compares with the cues it came from; each cue's text starts with its
/// speaker's label (`[S1] ` in srt, a `<v S1>` voice span in vtt).
#[test]
fn srt_and_vtt_follow_the_cues() {
    let g = generate(
        7,
        Spec {
            words: 400,
            speakers: 2,
            channels: 0,
        },
    );
    let opts = CueOptions::default();
    let cs = cues(&g.transcript, &opts);
    let fmt = |ms: u64, sep: char| {
        format!(
            "{:02}:{:02}:{:02}{sep}{:03}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    };

    let srt = to_srt(&g.transcript, &opts);
    let blocks: Vec<&str> = srt.trim_end_matches('\n').split("\n\n").collect();
    assert_eq!(blocks.len(), cs.len());
    for (i, (block, c)) in blocks.iter().zip(&cs).enumerate() {
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines[0], (i + 1).to_string());
        assert_eq!(
            lines[1],
            format!("{} --> {}", fmt(c.start_ms, ','), fmt(c.end_ms, ','))
        );
        let speaker = c.speaker.as_deref().expect("a diarized transcript");
        let mut expected = c.lines.clone();
        expected[0] = format!("[{speaker}] {}", expected[0]);
        assert_eq!(lines[2..].to_vec(), expected);
    }

    let vtt = to_vtt(&g.transcript, &opts);
    let body = vtt.strip_prefix("WEBVTT\n\n").expect("vtt header");
    let blocks: Vec<&str> = body.trim_end_matches('\n').split("\n\n").collect();
    assert_eq!(blocks.len(), cs.len());
    for (block, c) in blocks.iter().zip(&cs) {
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(
            lines[0],
            format!("{} --> {}", fmt(c.start_ms, '.'), fmt(c.end_ms, '.'))
        );
        let speaker = c.speaker.as_deref().expect("a diarized transcript");
        let mut expected = c.lines.clone();
        expected[0] = format!("<v {speaker}>{}", expected[0]);
        assert_eq!(lines[1..].to_vec(), expected);
    }
}
