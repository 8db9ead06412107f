//! Speaker diarization for `diarization: "speaker"`: who speaks when, written onto transcript words
//! as `speaker: "S1"`, `"S2"`… in order of first appearance.
//!
//! Pipeline: the speech regions (from the words' times, so silence is never embedded) are joined,
//! cut into 1.6 s sliding windows, each embedded by resemblyzer's voice encoder (d-vectors, see
//! [`encoder`]), the windows clustered by average-linkage agglomerative clustering on cosine
//! distance cut at a fixed distance (so the number of speakers is found, not given), tiny
//! clusters folded into their nearest big one, and each word takes the label the windows over it
//! vote for, weighted by overlap. Everything is deterministic.

mod cluster;
mod encoder;
mod mel;

use std::path::{Path, PathBuf};

use ndarray::Array2;
use transcript::Word;

pub use encoder::EMBEDDING;
/// The encoder's mel front-end (exposed for the parity check against librosa, examples/speaker_mel.rs).
pub use mel::mel_spectrogram;

/// Why diarization could not run. Messages name no internals beyond the model path.
#[derive(Debug, thiserror::Error)]
pub enum DiarizeError {
    #[error("speaker model {path}: {why}")]
    Model { path: String, why: String },
    #[error("word {index} has invalid times ({start}..{end})")]
    WordTimes { index: usize, start: f64, end: f64 },
}

/// Where `scripts/install-speaker-model.sh` puts the model under a models folder.
pub fn model_path(models_dir: &Path) -> PathBuf {
    models_dir.join("resemblyzer").join("encoder.safetensors")
}

/// Mel frames per embedded window: the encoder's training partial length (1.6 s).
const WINDOW_FRAMES: usize = 160;
/// Window hop: a quarter window, so every word is seen by about four windows.
const HOP_FRAMES: usize = 40;
/// Above this many windows the hop grows, keeping clustering's O(n²) distance matrix bounded
/// (about 32 MB) on long recordings.
const MAX_WINDOWS: usize = 4000;
/// Windows embedded per batched forward pass (bounds the pre-activation buffers to ~25 MB).
const BATCH: usize = 24;
/// Words closer than this (seconds) belong to one speech region.
const REGION_GAP: f64 = 0.3;
/// Padding kept around each speech region (seconds): word times are ±a few frames.
const REGION_PAD: f64 = 0.1;
/// Cosine distance between two clusters' mean embeddings above which they are different
/// speakers. Measured on the fixtures (tests/diarize/main.rs; the distances are logged at debug
/// level, e.g. `RUST_LOG=diarize=debug verbatim serve`): one voice's clusters come within
/// 0.12–0.29 of each other (0.29: one speaker's two recording sessions), different readers stay
/// 0.32–0.34 apart. The margin is thin: resemblyzer's d-vectors carry the recording channel as
/// well as the voice.
pub const DEFAULT_THRESHOLD: f32 = 0.30;
/// Average-linkage cut between single windows for the first, over-segmenting pass: below it
/// two windows' groups are surely one voice.
const WINDOW_THRESHOLD: f32 = 0.3;
/// A cluster covering less speech than this (seconds of window hops) is folded into the nearest
/// big one: windows straddling a turn change form such small clusters, whose mean embedding is
/// too noisy to compare (a 2 s cluster of one reader measured 0.42 from the rest of his voice).
/// The cost: a speaker with less than about 3 s of speech in the whole recording is not found.
const MIN_CLUSTER_SECONDS: f64 = 3.0;

/// resemblyzer's `normalize_volume(wav, -30, increase_only=True)`.
const TARGET_DBFS: f64 = -30.0;

pub struct SpeakerDiarizer {
    encoder: encoder::VoiceEncoder,
    threshold: f32,
}

impl SpeakerDiarizer {
    /// Loads the voice encoder: `path` is the `encoder.safetensors` file, or a folder holding it
    /// (`<models>/resemblyzer`).
    pub fn load(path: &Path) -> Result<Self, DiarizeError> {
        let file = if path.is_dir() {
            path.join("encoder.safetensors")
        } else {
            path.to_path_buf()
        };
        Ok(Self {
            encoder: encoder::VoiceEncoder::load(&file)?,
            threshold: DEFAULT_THRESHOLD,
        })
    }

    /// Same model, another clustering cut (cosine distance, 0..2); for tuning and tests.
    pub fn with_threshold(mut self, threshold: f32) -> Self {
        self.threshold = threshold;
        self
    }

    /// One embedding for a whole stretch of 16 kHz mono speech (resemblyzer's
    /// `embed_utterance`: the L2-normalised mean of its windows' embeddings).
    pub fn embed_utterance(&self, samples_16k_mono: &[f32]) -> Vec<f32> {
        let mut wav = samples_16k_mono.to_vec();
        normalize_volume(&mut wav);
        let windows = self.embed_windows(&wav).1;
        let mut mean = windows
            .mean_axis(ndarray::Axis(0))
            .unwrap_or_else(|| ndarray::Array1::zeros(EMBEDDING));
        let n = mean.dot(&mean).sqrt();
        if n > 0.0 {
            mean /= n;
        }
        mean.to_vec()
    }

    /// Sets `speaker` on every word (`"S1"`, `"S2"`… in order of first appearance) from the voices
    /// in `samples_16k_mono` at the words' times; returns how many speakers were found (0 when
    /// there are no words). Words outside the audio keep the label of the nearest window.
    pub fn assign_speakers(
        &self,
        samples_16k_mono: &[f32],
        words: &mut [Word],
    ) -> Result<usize, DiarizeError> {
        for (index, w) in words.iter().enumerate() {
            if !(w.start.is_finite() && w.end.is_finite() && w.start >= 0.0 && w.end >= w.start) {
                return Err(DiarizeError::WordTimes {
                    index,
                    start: w.start,
                    end: w.end,
                });
            }
        }
        if words.is_empty() {
            return Ok(0);
        }
        let sr = mel::SAMPLE_RATE as f64;
        let audio_end = samples_16k_mono.len() as f64 / sr;

        // Speech regions in the original timeline, then the joined speech they make.
        let mut order: Vec<usize> = (0..words.len()).collect();
        order.sort_by(|&a, &b| words[a].start.total_cmp(&words[b].start).then(a.cmp(&b)));
        let mut regions: Vec<(f64, f64)> = Vec::new();
        for &i in &order {
            let (s, e) = (
                (words[i].start - REGION_PAD).max(0.0),
                (words[i].end + REGION_PAD).min(audio_end),
            );
            match regions.last_mut() {
                Some(last) if s <= last.1 + REGION_GAP => last.1 = last.1.max(e),
                _ => regions.push((s, e.max(s))),
            }
        }
        // (joined start sample, original start sample, length)
        let mut segments = Vec::with_capacity(regions.len());
        let mut speech = Vec::new();
        for &(s, e) in &regions {
            let (a, b) = (
                (s * sr) as usize,
                ((e * sr) as usize).min(samples_16k_mono.len()),
            );
            if b > a {
                segments.push((speech.len(), a, b - a));
                speech.extend_from_slice(&samples_16k_mono[a..b]);
            }
        }
        if speech.is_empty() {
            // Every word lies past the end of the audio: nothing to hear, one anonymous voice.
            for w in words.iter_mut() {
                w.speaker = Some("S1".into());
            }
            return Ok(1);
        }
        normalize_volume(&mut speech);

        let (starts, emb) = self.embed_windows(&speech);
        let secs_per_window = starts.get(1).map_or(1.6, |s| *s as f64 / 100.0).max(0.01);
        let min_windows = (MIN_CLUSTER_SECONDS / secs_per_window).ceil() as usize;
        let labels = cluster::cluster(&emb, WINDOW_THRESHOLD, self.threshold, min_windows);

        // Each word: overlap-weighted vote of the windows over it, in joined-speech frames.
        let to_joined = |t: f64| -> f64 {
            let samp = (t * sr) as usize;
            let seg = match segments.binary_search_by(|&(_, o, _)| o.cmp(&samp)) {
                Ok(k) => k,
                Err(0) => 0,
                Err(k) => k - 1,
            };
            let (j, o, len) = segments[seg];
            (j + samp.saturating_sub(o).min(len)) as f64 / mel::HOP as f64
        };
        let n_clusters = labels.iter().copied().max().map_or(0, |m| m + 1);
        let mut word_cluster = vec![0usize; words.len()];
        for (wi, w) in words.iter().enumerate() {
            let (a, b) = (to_joined(w.start), to_joined(w.end));
            let mut votes = vec![0f64; n_clusters];
            for (k, &st) in starts.iter().enumerate() {
                let (ws, we) = (st as f64, (st + WINDOW_FRAMES) as f64);
                let ov = b.min(we) - a.max(ws);
                if ov > 0.0 {
                    votes[labels[k]] += ov;
                }
            }
            word_cluster[wi] = if votes.iter().any(|&v| v > 0.0) {
                (0..n_clusters)
                    .max_by(|&x, &y| votes[x].total_cmp(&votes[y]).then(y.cmp(&x)))
                    .unwrap_or(0)
            } else {
                // A zero-length word (or one clamped away): the window centred nearest it.
                let mid = (a + b) / 2.0;
                let k = (0..starts.len())
                    .min_by(|&x, &y| {
                        let dx = (starts[x] as f64 + WINDOW_FRAMES as f64 / 2.0 - mid).abs();
                        let dy = (starts[y] as f64 + WINDOW_FRAMES as f64 / 2.0 - mid).abs();
                        dx.total_cmp(&dy)
                    })
                    .unwrap_or(0);
                labels.get(k).copied().unwrap_or(0)
            };
        }

        // Names in order of first appearance in time.
        let mut names: Vec<Option<usize>> = vec![None; n_clusters.max(1)];
        let mut next = 0;
        for &i in &order {
            let c = word_cluster[i];
            if names[c].is_none() {
                next += 1;
                names[c] = Some(next);
            }
            words[i].speaker = Some(format!("S{}", names[c].expect("just set")));
        }
        Ok(next)
    }

    /// Window start frames and their embeddings `[n, EMBEDDING]` over already-normalised speech.
    fn embed_windows(&self, speech: &[f32]) -> (Vec<usize>, Array2<f32>) {
        let mut frames = mel::mel_spectrogram(speech);
        if frames.len() < WINDOW_FRAMES {
            // resemblyzer zero-pads a short utterance up to one partial.
            frames.resize(WINDOW_FRAMES, [0.0; mel::N_MELS]);
        }
        let n = frames.len();
        let hop = HOP_FRAMES.max((n - WINDOW_FRAMES).div_ceil(MAX_WINDOWS - 1));
        let mut starts: Vec<usize> = (0..=n - WINDOW_FRAMES).step_by(hop).collect();
        if *starts.last().expect("n >= WINDOW_FRAMES") + WINDOW_FRAMES < n {
            starts.push(n - WINDOW_FRAMES);
        }
        let mut emb = Array2::<f32>::zeros((starts.len(), EMBEDDING));
        for (c, chunk) in starts.chunks(BATCH).enumerate() {
            let mut mels = Array2::<f32>::zeros((chunk.len() * WINDOW_FRAMES, mel::N_MELS));
            for (b, &st) in chunk.iter().enumerate() {
                for t in 0..WINDOW_FRAMES {
                    for (m, v) in frames[st + t].iter().enumerate() {
                        mels[[b * WINDOW_FRAMES + t, m]] = *v;
                    }
                }
            }
            let e = self.encoder.embed(mels.view(), chunk.len(), WINDOW_FRAMES);
            emb.slice_mut(ndarray::s![c * BATCH..c * BATCH + chunk.len(), ..])
                .assign(&e);
        }
        (starts, emb)
    }
}

fn normalize_volume(wav: &mut [f32]) {
    let mean_sq =
        wav.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>() / wav.len().max(1) as f64;
    if mean_sq <= 0.0 {
        return;
    }
    let change = TARGET_DBFS - 10.0 * mean_sq.log10();
    if change > 0.0 {
        let gain = 10f64.powf(change / 20.0) as f32;
        wav.iter_mut().for_each(|x| *x *= gain);
    }
}
