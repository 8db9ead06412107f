//! Subtitle cues shared by srt and vtt: which words go together on screen, how they wrap into
//! lines, and when each cue shows.
//!
//! Rules, in order of strength:
//! - a cue never spans a speaker change, a change of channel, or a pause of `CUE_PAUSE_S`;
//! - a cue has at most `max_lines` lines of at most `max_line_length` characters; a word longer
//!   than a line gets a line of its own and is never split;
//! - when words must be broken into several cues, the break goes after the last sentence end
//!   that fits, else after a clause mark in the second half of the cue, else where it overflows;
//! - lines inside a cue are balanced (fewest lines, then most even lengths);
//! - cues are in order and never overlap; each lasts at least `MIN_CUE_MS` when the gap to the
//!   next cue (or the end of the audio) allows.

use std::ops::Range;

use crate::clean::{clean_words, duration, pause_at_least};
use crate::language::word_delimiter;
use crate::model::Transcript;
use crate::units::{join, units, Unit};

/// A silence at least this long (seconds) always ends a cue.
pub const CUE_PAUSE_S: f64 = 0.8;
/// The shortest a cue is shown (milliseconds), room permitting.
pub const MIN_CUE_MS: u64 = 700;

/// `output_config.srt_overrides`. Zero values are treated as 1 rather than rejected, so a
/// renderer never fails; the API validates what users send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CueOptions {
    pub max_line_length: usize,
    pub max_lines: usize,
}

impl Default for CueOptions {
    /// Speechmatics' defaults: 37 characters, 2 lines.
    fn default() -> Self {
        CueOptions {
            max_line_length: 37,
            max_lines: 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    /// One or more lines, none empty.
    pub lines: Vec<String>,
    pub speaker: Option<String>,
    pub channel: Option<String>,
}

fn ms(seconds: f64) -> u64 {
    // Inputs are cleaned (finite, >= 0); `as` saturates anything absurdly large.
    (seconds * 1000.0).round() as u64
}

/// The fewest lines `lens` can be laid on. Greedy filling is optimal here; a unit longer than a
/// line takes a line to itself.
fn line_count(lens: &[usize], max_len: usize, delim: usize) -> usize {
    let mut lines = 0;
    let mut current: Option<usize> = None;
    for &l in lens {
        current = match current {
            Some(c) if c + delim + l <= max_len => Some(c + delim + l),
            _ => {
                lines += 1;
                Some(l)
            }
        };
    }
    lines
}

/// Above this many (lines × units) a cue is laid out greedily: the balancing tables grow with
/// that product, and only absurd `srt_overrides` (thousands of lines per cue) get near it.
const BALANCE_LIMIT: usize = 100_000;

/// Line ends of greedy filling (as many units on each line as fit).
fn greedy_ends(lens: &[usize], max_len: usize, delim: usize) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut current: Option<usize> = None;
    for (i, &l) in lens.iter().enumerate() {
        current = match current {
            Some(c) if c + delim + l <= max_len => Some(c + delim + l),
            Some(_) => {
                ends.push(i);
                Some(l)
            }
            None => Some(l),
        };
    }
    if !lens.is_empty() {
        ends.push(lens.len());
    }
    ends
}

/// Splits `lens` into exactly `lines` lines (the fewest possible) minimising the sum of squared
/// line widths, which evens them out, less a bonus for ending a line where `good_break` says a
/// clause or sentence ends: worth a moderate imbalance, not a one-word line. Returns the index
/// after each line's last unit.
fn balance(
    lens: &[usize],
    good_break: &[bool],
    lines: usize,
    max_len: usize,
    delim: usize,
) -> Vec<usize> {
    let n = lens.len();
    if lines.saturating_mul(n) > BALANCE_LIMIT {
        return greedy_ends(lens, max_len, delim);
    }
    let mut prefix = vec![0usize; n + 1];
    for (i, l) in lens.iter().enumerate() {
        prefix[i + 1] = prefix[i] + l;
    }
    let width = |a: usize, b: usize| prefix[b] - prefix[a] + delim * (b - a - 1);
    let bonus = (max_len.min(1000) * max_len.min(1000) / 8) as i64;
    // cost[k][i]: best cost of laying the first i units on k lines.
    let mut cost = vec![vec![i64::MAX; n + 1]; lines + 1];
    let mut cut = vec![vec![0usize; n + 1]; lines + 1];
    cost[0][0] = 0;
    for k in 1..=lines {
        for i in 1..=n {
            // Last line a..i: one unit always fits; more only while within max_len, so the
            // search stops at the first start that makes it too wide.
            for a in (0..i).rev() {
                let w = width(a, i);
                if i - a > 1 && w > max_len {
                    break;
                }
                if cost[k - 1][a] == i64::MAX {
                    continue;
                }
                let w = w.min(1_000_000) as i64;
                let natural = i < n && good_break[i - 1];
                let c = cost[k - 1][a] + w * w - if natural { bonus } else { 0 };
                if c <= cost[k][i] {
                    cost[k][i] = c;
                    cut[k][i] = a;
                }
            }
        }
    }
    if cost[lines][n] == i64::MAX {
        // Unreachable when `lines` comes from `line_count`; fall back to one unit per line
        // rather than panic.
        return (1..=n).collect();
    }
    let mut ends = Vec::with_capacity(lines);
    let mut i = n;
    for k in (1..=lines).rev() {
        ends.push(i);
        i = cut[k][i];
    }
    ends.reverse();
    ends
}

/// Chooses where the cue starting at `from` ends, given that `from..overflow` fits and
/// `from..=overflow` does not.
fn break_point(units: &[Unit<'_>], lens: &[usize], from: usize, overflow: usize) -> usize {
    if let Some(k) = (from + 1..=overflow).rev().find(|&k| units[k - 1].eos) {
        return k;
    }
    let total: usize = lens[from..overflow].iter().sum();
    if let Some(k) = (from + 1..=overflow)
        .rev()
        .find(|&k| units[k - 1].clause && 2 * lens[from..k].iter().sum::<usize>() >= total)
    {
        return k;
    }
    overflow
}

/// Cue ranges (of units) within one stretch that must not be mixed with its neighbours.
fn split_segment(
    units: &[Unit<'_>],
    lens: &[usize],
    seg: Range<usize>,
    opts: (usize, usize),
    delim: usize,
    out: &mut Vec<Range<usize>>,
) {
    let (max_len, max_lines) = opts;
    let mut from = seg.start;
    while from < seg.end {
        // Greedy filling, extended one unit at a time: the state after `to` units is that of
        // `to - 1` plus one step, so a long segment costs linear time, whatever the options.
        let mut lines = 1;
        let mut current = lens[from];
        let mut to = from + 1;
        while to < seg.end {
            let l = lens[to];
            let (next_lines, next_current) = if current + delim + l <= max_len {
                (lines, current + delim + l)
            } else {
                (lines + 1, l)
            };
            if next_lines > max_lines {
                break;
            }
            (lines, current) = (next_lines, next_current);
            to += 1;
        }
        let end = if to == seg.end {
            to
        } else {
            break_point(units, lens, from, to)
        };
        out.push(from..end);
        from = end;
    }
}

fn hard_break(a: &Unit<'_>, b: &Unit<'_>) -> bool {
    a.speaker != b.speaker || a.channel != b.channel || pause_at_least(a.end, b.start, CUE_PAUSE_S)
}

/// The transcript's subtitle cues, in order.
pub fn cues(t: &Transcript, opts: &CueOptions) -> Vec<Cue> {
    let max_len = opts.max_line_length.max(1);
    let max_lines = opts.max_lines.max(1);
    let words = clean_words(t);
    let units = units(&words);
    let delimiter = word_delimiter(&t.language);
    let delim = delimiter.chars().count();
    let lens: Vec<usize> = units.iter().map(Unit::chars).collect();

    let mut ranges = Vec::new();
    let mut seg_start = 0;
    for i in 1..=units.len() {
        if i == units.len() || hard_break(&units[i - 1], &units[i]) {
            split_segment(
                &units,
                &lens,
                seg_start..i,
                (max_len, max_lines),
                delim,
                &mut ranges,
            );
            seg_start = i;
        }
    }

    let mut cues: Vec<Cue> = ranges
        .into_iter()
        .map(|r| {
            let us = &units[r.clone()];
            let ls = &lens[r];
            let n_lines = line_count(ls, max_len, delim);
            let mut lines = Vec::with_capacity(n_lines);
            let mut a = 0;
            let good_break: Vec<bool> = us.iter().map(|u| u.eos || u.clause).collect();
            for b in balance(ls, &good_break, n_lines, max_len, delim) {
                lines.push(join(&us[a..b], delimiter));
                a = b;
            }
            let end = us.iter().map(|u| u.end).fold(0.0, f64::max);
            Cue {
                start_ms: ms(us[0].start),
                end_ms: ms(end),
                lines,
                speaker: us[0].speaker.map(str::to_string),
                channel: us[0].channel.map(str::to_string),
            }
        })
        .collect();
    fix_timing(&mut cues, ms(duration(t)));
    cues
}

/// Makes cues strictly ordered, non-overlapping and at least `MIN_CUE_MS` long where room allows.
/// Words of different channels may overlap in time; the earlier cue then yields to the later.
fn fix_timing(cues: &mut [Cue], duration_ms: u64) {
    for i in 1..cues.len() {
        let earliest = cues[i - 1].start_ms + 1;
        if cues[i].start_ms < earliest {
            cues[i].start_ms = earliest;
        }
    }
    let n = cues.len();
    for i in 0..n {
        let c = &cues[i];
        let mut end = c.end_ms.max(c.start_ms + 1);
        let limit = match cues.get(i + 1) {
            Some(next) => next.start_ms,
            None if duration_ms > 0 => duration_ms.max(end),
            None => u64::MAX,
        };
        end = end.max((c.start_ms + MIN_CUE_MS).min(limit)).min(limit);
        cues[i].end_ms = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_line_count() {
        assert_eq!(line_count(&[3, 3, 3], 7, 1), 2);
        assert_eq!(line_count(&[3, 3], 7, 1), 1);
        assert_eq!(line_count(&[50], 37, 1), 1);
        assert_eq!(line_count(&[2, 50, 2], 37, 1), 3);
        assert_eq!(line_count(&[], 37, 1), 0);
    }

    #[test]
    fn balanced_lines() {
        // Greedy filling gives widths 9 + 1; balanced gives 5 + 5.
        assert_eq!(line_count(&[1; 6], 9, 1), 2);
        assert_eq!(balance(&[1; 6], &[false; 6], 2, 9, 1), vec![3, 6]);
        assert_eq!(balance(&[40, 1], &[false; 2], 2, 37, 1), vec![1, 2]);
        assert_eq!(balance(&[5], &[false], 1, 37, 1), vec![1]);
        // "aaaa bbbb cccc, / dddd eeee" beats "aaaa bbbb / cccc, dddd eeee": 15/9 after a comma.
        let commas = [false, false, true, false, false];
        assert_eq!(balance(&[4, 4, 5, 4, 4], &commas, 2, 20, 1), vec![3, 5]);
        assert_eq!(balance(&[4, 4, 5, 4, 4], &[false; 5], 2, 20, 1), vec![2, 5]);
        // A comma after the first word is not worth a 1-word line.
        let early = [true, false, false, false, false, false];
        assert_eq!(balance(&[3, 5, 5, 5, 5, 5], &early, 2, 30, 1), vec![3, 6]);
    }

    #[test]
    fn greedy_fallback() {
        assert_eq!(greedy_ends(&[1; 6], 9, 1), vec![5, 6]);
        assert_eq!(greedy_ends(&[2, 50, 2], 37, 1), vec![1, 2, 3]);
        assert!(greedy_ends(&[], 9, 1).is_empty());
        let lens = vec![3; 200_000];
        assert_eq!(
            balance(&lens, &vec![false; 200_000], 200_000, 3, 1).len(),
            200_000
        );
    }

    #[test]
    fn timing_is_fixed() {
        let cue = |s, e| Cue {
            start_ms: s,
            end_ms: e,
            lines: vec!["x".into()],
            speaker: None,
            channel: None,
        };
        let mut cs = vec![cue(0, 100), cue(0, 50), cue(300, 2000), cue(1500, 1600)];
        fix_timing(&mut cs, 0);
        let t: Vec<(u64, u64)> = cs.iter().map(|c| (c.start_ms, c.end_ms)).collect();
        assert_eq!(t, [(0, 1), (1, 300), (300, 1500), (1500, 2200)]);
        let mut last = vec![cue(1000, 1100)];
        fix_timing(&mut last, 1500);
        assert_eq!((last[0].start_ms, last[0].end_ms), (1000, 1500));
    }
}
