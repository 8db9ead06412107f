//! The speaker encoder: 3D-Speaker's CAM++ (trained on 200k+ Chinese and English speakers),
//! run on ONNX Runtime from the graph scripts/campplus-to-onnx.py builds out of its weights.
//! 80 mean-normalised fbank bins per frame in, one 192-d embedding per window out.
//!
//! Why ONNX Runtime rather than ndarray loops (as the previous, LSTM encoder was): CAM++ is ~60
//! convolution layers, and speed is a requirement (diarization may add at most 15 % to the
//! recognition time); ONNX Runtime's fused, vectorised kernels run it at a fraction of what
//! im2col on matrixmultiply would, and the project already ships the runtime for crates/vad.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use ndarray::Array2;
use ort::session::builder::{GraphOptimizationLevel, PrepackedWeights};
use ort::session::Session;
use ort::value::TensorRef;

use crate::fbank::N_MELS;
use crate::DiarizeError;

/// Size of an embedding.
pub const EMBEDDING: usize = 192;

pub struct SpeakerEncoder {
    /// Single-threaded sessions, one per CPU thread; a batch of windows is shared out between
    /// them. Why not one session on `threads` intra-op threads: CAM++'s ~500 small operators
    /// each split across the threads, which hand the work back and forth (and sleep and wake
    /// between operators): on 2 threads that cost about 20 % more CPU for the same windows than
    /// one thread does. Whole windows per thread share nothing.
    first: Mutex<Session>,
    /// The other `threads - 1` sessions, opened after the first `ONE_SESSION_RUNS` runs: each
    /// costs about 0.13 CPU s and 35 MB to open, more than a short recording's few runs would
    /// gain (a CLI run loads the model for one recording). Empty if they could not be opened.
    others: OnceLock<Vec<Mutex<Session>>>,
    runs: AtomicUsize,
    threads: usize,
    model: PathBuf,
    /// The weights ONNX Runtime packs for its kernels, shared by the sessions.
    packed: PrepackedWeights,
}

/// Model runs on the first session alone: 8 runs of 8 windows are 96 s of speech embedded.
const ONE_SESSION_RUNS: usize = 8;

impl SpeakerEncoder {
    /// Loads the graph to run on `threads` CPU threads (0: all cores), opening ONNX Runtime on
    /// first use.
    pub fn load(model: &Path, threads: usize) -> Result<Self, DiarizeError> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        if !model.is_file() {
            return Err(DiarizeError::Model {
                path: model.display().to_string(),
                why: "not found".into(),
            });
        }
        // ONNX Runtime opened first: the weights' container is made by its library.
        vad::onnx_environment().map_err(|e| DiarizeError::Model {
            path: model.display().to_string(),
            why: e.to_string(),
        })?;
        let packed = PrepackedWeights::new();
        let first = open(model, &packed)?;
        Ok(Self {
            first: Mutex::new(first),
            others: OnceLock::new(),
            runs: AtomicUsize::new(0),
            threads,
            model: model.to_path_buf(),
            packed,
        })
    }

    /// The sessions a run of `batch` windows is shared out between.
    fn sessions(&self, batch: usize) -> Vec<&Mutex<Session>> {
        let mut sessions = vec![&self.first];
        let runs = self.runs.fetch_add(1, Ordering::Relaxed);
        if batch > 1 && self.threads > 1 && runs >= ONE_SESSION_RUNS {
            let others = self.others.get_or_init(|| {
                (1..self.threads)
                    .map(|_| open(&self.model, &self.packed).map(Mutex::new))
                    .collect::<Result<Vec<_>, _>>()
                    .unwrap_or_else(|e| {
                        tracing::warn!(%e, "the speaker model runs on one thread");
                        Vec::new()
                    })
            });
            sessions.extend(others.iter().take(batch - 1));
        }
        sessions
    }

    /// Embeddings of `batch` windows of `frames` fbank frames each (`fbank` is
    /// `[batch * frames * N_MELS]`, window-major, each window mean-normalised). Returns
    /// `[batch, EMBEDDING]`, rows L2-normalised (clustering compares them by cosine). The
    /// windows are shared out between the sessions, which run at once.
    pub fn embed(
        &self,
        fbank: &[f32],
        batch: usize,
        frames: usize,
    ) -> Result<Array2<f32>, DiarizeError> {
        assert_eq!(fbank.len(), batch * frames * N_MELS);
        let sessions = self.sessions(batch);
        // Each run takes a thread's share of the batch, also while one session does them all:
        // ONNX Runtime keeps the buffers of a session's largest run.
        let per = batch.div_ceil(self.threads).max(1) * frames * N_MELS;
        let mut values = Vec::with_capacity(batch * EMBEDDING);
        if sessions.len() == 1 || batch <= 1 {
            for part in fbank.chunks(per) {
                values.extend(run(sessions[0], part, frames)?);
            }
        } else {
            let results: Vec<Result<Vec<f32>, DiarizeError>> = std::thread::scope(|scope| {
                let handles: Vec<_> = fbank
                    .chunks(per)
                    .zip(sessions)
                    .map(|(part, session)| scope.spawn(move || run(session, part, frames)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(DiarizeError::Inference("a model thread panicked".into()))
                        })
                    })
                    .collect()
            });
            for r in results {
                values.extend(r?);
            }
        }
        let mut emb =
            Array2::from_shape_vec((batch, EMBEDDING), values).expect("lengths checked by run");
        for mut row in emb.rows_mut() {
            let n = row.dot(&row).sqrt();
            if n > 0.0 {
                row /= n;
            }
        }
        Ok(emb)
    }
}

/// A single-threaded session of the graph, checked to be CAM++'s.
fn open(model: &Path, packed: &PrepackedWeights) -> Result<Session, DiarizeError> {
    let bad = |why: String| DiarizeError::Model {
        path: model.display().to_string(),
        why,
    };
    let environment = vad::onnx_environment().map_err(|e| bad(e.to_string()))?;
    let session = Session::builder(&environment)
        // One thread: no pool, so nothing spins or sleeps between operators.
        .and_then(|b| Ok(b.with_intra_threads(1)?))
        .and_then(|b| Ok(b.with_inter_threads(1)?))
        .and_then(|b| Ok(b.with_prepacked_weights(packed)?))
        .and_then(|b| Ok(b.with_optimization_level(GraphOptimizationLevel::Level3)?))
        .and_then(|mut b| b.commit_from_file(model))
        .map_err(|e| bad(e.to_string()))?;
    let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
    let outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    if inputs != ["fbank"] || outputs != ["embedding"] {
        return Err(bad(format!(
            "expected input fbank and output embedding (CAM++), found {inputs:?} -> {outputs:?}"
        )));
    }
    Ok(session)
}

/// One model run over the windows of `fbank` (`frames` frames each): their raw embeddings.
fn run(session: &Mutex<Session>, fbank: &[f32], frames: usize) -> Result<Vec<f32>, DiarizeError> {
    let batch = fbank.len() / (frames * N_MELS);
    let failed = |e: ort::Error| DiarizeError::Inference(e.to_string());
    let input = TensorRef::from_array_view(([batch, frames, N_MELS], fbank)).map_err(failed)?;
    let mut session = session.lock().unwrap_or_else(|p| p.into_inner());
    let outputs = session
        .run(ort::inputs!["fbank" => input])
        .map_err(failed)?;
    let (_, values) = outputs["embedding"]
        .try_extract_tensor::<f32>()
        .map_err(failed)?;
    if values.len() != batch * EMBEDDING {
        return Err(DiarizeError::Inference(format!(
            "the model gave {} values for {batch} windows",
            values.len()
        )));
    }
    Ok(values.to_vec())
}
