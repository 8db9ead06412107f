//! Deterministic generator of realistic transcripts for the property tests: words `w<index>`
//! (so every rendered token can be traced back to its word), glued and standalone punctuation,
//! words longer than a subtitle line, pauses of every length, overlapping words, speaker turns
//! and interleaved channels.

use transcript::{Transcript, Word};

/// SplitMix64: a few lines, no dependency, and the same sequence on every platform and version
/// (rand's StdRng makes no such promise across releases).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub words: usize,
    /// 0: no speaker labels.
    pub speakers: usize,
    /// 0: no channel labels.
    pub channels: usize,
}

pub struct Generated {
    pub transcript: Transcript,
    /// All words joined naturally: what the renderers must give back, in order.
    pub text: String,
    /// Speaker and channel of word `w<i>`, by index.
    pub owners: Vec<(Option<String>, Option<String>)>,
    /// Start and end of word `w<i>`, by index.
    pub times: Vec<(f64, f64)>,
}

const TRAILING: &[&str] = &[",", ".", "?", "!", "...", ".\"", ";", ":"];
const STANDALONE_TRAILING: &[&str] = &[",", ".", "—", "?"];

pub fn generate(seed: u64, spec: Spec) -> Generated {
    let mut rng = Rng::new(seed);
    let mut words = Vec::new();
    let mut text = String::new();
    let mut owners = Vec::new();
    let mut times = Vec::new();
    let mut t = rng.range(0.0, 1.0);
    let mut speaker = 0;
    let mut channel = 0;
    let mut last_end: f64 = 0.0;
    let mut no_overlap_next = false;
    for i in 0..spec.words {
        if spec.speakers > 1 && rng.chance(0.04) {
            speaker = (speaker + 1 + rng.below(spec.speakers - 1)) % spec.speakers;
        }
        if spec.channels > 1 && rng.chance(0.08) {
            channel = (channel + 1 + rng.below(spec.channels - 1)) % spec.channels;
        }
        let speaker_label = (spec.speakers > 0).then(|| format!("S{}", speaker + 1));
        let channel_label = (spec.channels > 0).then(|| format!("channel_{}", channel + 1));

        // Gap before this word: mostly fluent speech, some hesitations, some long silences.
        let r = rng.unit();
        let gap = if r < 0.70 {
            rng.range(0.0, 0.25)
        } else if r < 0.85 {
            rng.range(0.3, 0.79)
        } else if r < 0.93 {
            rng.range(0.8, 1.9)
        } else {
            rng.range(2.0, 5.0)
        };
        let mut start = t + gap;
        if i > 0 && !no_overlap_next && rng.chance(0.05) {
            // Recognisers' word boundaries overlap a little now and then.
            start = (last_end - 0.1).max(times.last().map_or(0.0, |&(s, _): &(f64, f64)| s));
        }
        no_overlap_next = false;
        let end = start + rng.range(0.15, 0.8);

        let mut core = format!("w{i}");
        if rng.chance(0.03) {
            // Longer than any line of the tested options except the widest.
            let extra = 30 + rng.below(40);
            core.push_str(&"x".repeat(extra));
        }
        let mut word_text = core;
        let mut display_prefix = String::new();
        if rng.chance(0.04) {
            word_text = format!("\"{word_text}");
        }
        if rng.chance(0.02) {
            // A standalone opening quote before the word.
            words.push(Word {
                text: "“".into(),
                start,
                end: start,
                confidence: 1.0,
                speaker: speaker_label.clone(),
                channel: channel_label.clone(),
            });
            display_prefix.push('“');
        }
        if rng.chance(0.18) {
            word_text.push_str(TRAILING[rng.below(TRAILING.len())]);
        }
        // Engines often keep a leading space on words.
        let raw = if rng.chance(0.5) {
            format!(" {word_text}")
        } else {
            word_text.clone()
        };
        words.push(Word {
            text: raw,
            start,
            end,
            confidence: rng.range(0.3, 1.0) as f32,
            speaker: speaker_label.clone(),
            channel: channel_label.clone(),
        });
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&display_prefix);
        text.push_str(&word_text);
        owners.push((speaker_label.clone(), channel_label.clone()));
        times.push((start, end));

        if rng.chance(0.04) {
            let p = STANDALONE_TRAILING[rng.below(STANDALONE_TRAILING.len())];
            words.push(Word {
                text: p.into(),
                start: end,
                end,
                confidence: 1.0,
                speaker: speaker_label,
                channel: channel_label,
            });
            text.push_str(p);
            no_overlap_next = true;
        }
        last_end = end;
        t = end;
    }
    let duration = last_end + 1.0;
    Generated {
        transcript: Transcript {
            language: "en".into(),
            duration,
            words,
        },
        text,
        owners,
        times,
    }
}

/// The word index a rendered token carries (`"“w12,"` → 12), if any.
pub fn index_of(token: &str) -> Option<usize> {
    let at = token.find('w')?;
    let digits: String = token[at + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Does this rendered token end a sentence (ignoring closing quotes after the mark)?
pub fn ends_sentence(token: &str) -> bool {
    token
        .trim_end_matches(['"', '”', '’', ')'])
        .ends_with(['.', '?', '!', '…'])
}

pub fn ends_clause(token: &str) -> bool {
    !ends_sentence(token) && token.ends_with([',', ';', ':', '—'])
}
