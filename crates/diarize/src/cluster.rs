//! Clustering of window embeddings into speakers, in three steps:
//! 1. average-linkage agglomerative clustering on cosine distance (kodama, O(n²)), cut low so it
//!    over-segments: each cluster is surely one voice;
//! 2. clusters of fewer than `min_windows` windows (windows straddling a turn change, coughs)
//!    are folded into the nearest large cluster — their mean is too noisy to compare;
//! 3. the large clusters are merged by the cosine distance of their mean embeddings while the
//!    nearest pair is closer than `speaker_threshold`: a mean over many windows averages the
//!    per-window noise away, so this is where the number of speakers is decided; merging goes
//!    on past the threshold while there are more than `max_speakers` clusters.
//!
//! A single window of another speaker between two of one is kept: with 1.5 s windows (and one
//! over each gap where neighbours differ) it is a short turn (a reply, a back-channel), not noise.

use kodama::{linkage, Method};
use ndarray::{Array1, Array2};

use crate::DiarizeOptions;

/// Cosine distance between two clusters' mean embeddings above which they are different
/// speakers, at the default sensitivity (0.5). Measured on the fixtures
/// (tests/diarize/main.rs; the distances are logged at debug level, e.g.
/// `RUST_LOG=diarize=debug verbatim serve`): one voice's clusters come within 0.18–0.50 of each
/// other (0.47 and 0.50: one speaker's two recording sessions in the two-speaker fixture),
/// different readers stay 0.78–0.88 apart; the threshold sits in the middle of that gap.
pub const SPEAKER_THRESHOLD: f32 = 0.64;
/// How far `speaker_sensitivity` 0 and 1 move that threshold (half of this each way): 0.44 at
/// 1 splits the two sessions of one speaker, 0.84 at 0 merges the closest different readers.
const SENSITIVITY_SPAN: f32 = 0.4;
/// Average-linkage cut between single windows for the first, over-segmenting pass: below it
/// two windows' groups are surely one voice.
const WINDOW_THRESHOLD: f32 = 0.5;
/// A cluster covering less speech than this (seconds of window hops) is folded into the nearest
/// big one: windows straddling a turn change form such small clusters, whose mean embedding is
/// too noisy to compare. The cost: a speaker with less than about this much speech in the whole
/// recording is not found.
const MIN_CLUSTER_SECONDS: f64 = 4.5;

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub window_threshold: f32,
    pub speaker_threshold: f32,
    pub min_windows: usize,
    pub max_speakers: usize,
}

impl Settings {
    /// The settings for `options`, with windows `hop_seconds` apart.
    pub fn new(options: &DiarizeOptions, hop_seconds: f64) -> Self {
        let s = options.speaker_sensitivity.clamp(0.0, 1.0);
        let speaker_threshold = SPEAKER_THRESHOLD + (0.5 - s) * SENSITIVITY_SPAN;
        Settings {
            window_threshold: WINDOW_THRESHOLD.min(speaker_threshold),
            speaker_threshold,
            min_windows: (MIN_CLUSTER_SECONDS / hop_seconds.max(0.01)).ceil() as usize,
            max_speakers: options.max_speakers.unwrap_or(usize::MAX).max(1),
        }
    }
}

/// One label per row of `emb` (rows L2-normalised); labels are dense, in order of first appearance.
pub fn cluster(emb: &Array2<f32>, settings: &Settings) -> Vec<usize> {
    let Settings {
        window_threshold,
        speaker_threshold,
        min_windows,
        max_speakers,
    } = *settings;
    let n = emb.nrows();
    if n <= 1 {
        return vec![0; n];
    }
    // Step 1.
    let mut condensed = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n - 1 {
        for j in i + 1..n {
            condensed.push((1.0 - emb.row(i).dot(&emb.row(j))).max(0.0));
        }
    }
    let dendrogram = linkage(&mut condensed, n, Method::Average);
    // Replay the merges below the cut; kodama's step k creates cluster n + k.
    let mut parent: Vec<usize> = (0..2 * n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (k, step) in dendrogram.steps().iter().enumerate() {
        if step.dissimilarity > window_threshold {
            break; // average linkage is monotone: every later merge is farther
        }
        let (a, b) = (
            find(&mut parent, step.cluster1),
            find(&mut parent, step.cluster2),
        );
        parent[a] = n + k;
        parent[b] = n + k;
    }
    let roots: Vec<usize> = (0..n).map(|i| find(&mut parent, i)).collect();
    let mut labels = dense(&roots);

    // Step 2.
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    let mut big: Vec<usize> = (0..k).filter(|&c| sizes[c] >= min_windows).collect();
    if big.is_empty() {
        // Too little speech for any cluster to be trusted: keep the largest.
        big.push(
            (0..k)
                .max_by(|&a, &b| sizes[a].cmp(&sizes[b]).then(b.cmp(&a)))
                .expect("n > 1"),
        );
    }
    let mut sums: Vec<Array1<f32>> = vec![Array1::zeros(emb.ncols()); k];
    labels
        .iter()
        .enumerate()
        .for_each(|(i, &l)| sums[l] += &emb.row(i));
    let unit = |v: &Array1<f32>| v / v.dot(v).sqrt().max(f32::MIN_POSITIVE);
    let big_centroids: Vec<Array1<f32>> = big.iter().map(|&c| unit(&sums[c])).collect();
    for (i, label) in labels.iter_mut().enumerate() {
        if !big.contains(label) {
            let best = (0..big.len())
                .max_by(|&x, &y| {
                    emb.row(i)
                        .dot(&big_centroids[x])
                        .total_cmp(&emb.row(i).dot(&big_centroids[y]))
                        .then(y.cmp(&x))
                })
                .expect("big is not empty");
            *label = big[best];
        }
    }
    let mut labels_sums: Vec<Array1<f32>> = vec![Array1::zeros(emb.ncols()); k];
    labels
        .iter()
        .enumerate()
        .for_each(|(i, &l)| labels_sums[l] += &emb.row(i));

    // Step 3: naive closest-pair merging; there are few large clusters (each is ≥ 2 s of speech).
    let mut merged_into: Vec<usize> = (0..k).collect();
    let mut alive: Vec<bool> = (0..k).map(|c| big.contains(&c)).collect();
    loop {
        let mut best: Option<(f32, usize, usize)> = None;
        for a in 0..k {
            for b in a + 1..k {
                if alive[a] && alive[b] {
                    let d = 1.0 - unit(&labels_sums[a]).dot(&unit(&labels_sums[b]));
                    if best.is_none_or(|(bd, _, _)| d < bd) {
                        best = Some((d, a, b));
                    }
                }
            }
        }
        let Some((d, a, b)) = best else { break };
        tracing::debug!(
            "nearest speakers at cosine distance {d:.3} ({} + {} windows)",
            count(&labels, &merged_into, a),
            count(&labels, &merged_into, b)
        );
        if d > speaker_threshold && alive.iter().filter(|&&a| a).count() <= max_speakers {
            break;
        }
        let moved = labels_sums[b].clone();
        labels_sums[a] += &moved;
        alive[b] = false;
        merged_into.iter_mut().for_each(|m| {
            if *m == b {
                *m = a
            }
        });
    }
    labels = labels.iter().map(|&l| merged_into[l]).collect();
    dense(&labels)
}

fn count(labels: &[usize], merged_into: &[usize], c: usize) -> usize {
    labels.iter().filter(|&&l| merged_into[l] == c).count()
}

fn dense(ids: &[usize]) -> Vec<usize> {
    let mut map = std::collections::HashMap::new();
    ids.iter()
        .map(|id| {
            let next = map.len();
            *map.entry(*id).or_insert(next)
        })
        .collect()
}
