//! The speaker encoder: 3D-Speaker's CAM++ (trained on 200k+ Chinese and English speakers),
//! run on ONNX Runtime from the graph scripts/campplus-to-onnx.py builds out of its weights.
//! 80 mean-normalised fbank bins per frame in, one 192-d embedding per window out.
//!
//! Why ONNX Runtime rather than ndarray loops (as the previous, LSTM encoder was): CAM++ is ~60
//! convolution layers, and speed is a requirement (diarization may add at most 15 % to the
//! recognition time); ONNX Runtime's fused, vectorised kernels run it at a fraction of what
//! im2col on matrixmultiply would, and the project already ships the runtime for crates/vad.

use std::path::Path;
use std::sync::Mutex;

use ndarray::Array2;
use ort::session::builder::{GraphOptimizationLevel, PrepackedWeights};
use ort::session::Session;
use ort::value::TensorRef;

use crate::fbank::N_MELS;
use crate::DiarizeError;

/// Size of an embedding.
pub const EMBEDDING: usize = 192;

pub struct SpeakerEncoder {
    /// One single-threaded session per CPU thread; a batch of windows is split between them.
    /// Why not one session on `threads` intra-op threads: CAM++'s ~500 small operators each
    /// split across the threads, which hand the work back and forth (and sleep and wake between
    /// operators, see `load`): on 2 threads that cost 20 % more CPU than the same windows on one
    /// (bench/diarization.sh on en_long). Whole windows per thread share nothing.
    sessions: Vec<Mutex<Session>>,
}

impl SpeakerEncoder {
    /// Loads the graph to run on `threads` CPU threads (0: all cores), opening ONNX Runtime on
    /// first use.
    pub fn load(model: &Path, threads: usize) -> Result<Self, DiarizeError> {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let bad = |why: String| DiarizeError::Model {
            path: model.display().to_string(),
            why,
        };
        if !model.is_file() {
            return Err(bad("not found".into()));
        }
        let environment = vad::onnx_environment().map_err(|e| bad(e.to_string()))?;
        // The sessions share the weights ONNX Runtime packs for its kernels.
        let packed = PrepackedWeights::new();
        let mut sessions = Vec::with_capacity(threads);
        for _ in 0..threads {
            let session = Session::builder(&environment)
                // One thread each: no pool, so nothing spins or sleeps between operators.
                .and_then(|b| Ok(b.with_intra_threads(1)?))
                .and_then(|b| Ok(b.with_inter_threads(1)?))
                .and_then(|b| Ok(b.with_prepacked_weights(&packed)?))
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
            sessions.push(Mutex::new(session));
        }
        Ok(Self { sessions })
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
        let parts = self.sessions.len().min(batch).max(1);
        let per = batch.div_ceil(parts).max(1) * frames * N_MELS;
        let mut values = Vec::with_capacity(batch * EMBEDDING);
        if parts == 1 {
            values = run(&self.sessions[0], fbank, frames)?;
        } else {
            let results: Vec<Result<Vec<f32>, DiarizeError>> = std::thread::scope(|scope| {
                let handles: Vec<_> = fbank
                    .chunks(per)
                    .zip(&self.sessions)
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
