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
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::TensorRef;

use crate::fbank::N_MELS;
use crate::DiarizeError;

/// Size of an embedding.
pub const EMBEDDING: usize = 192;

pub struct SpeakerEncoder {
    /// One session per process; runs are serialised (each already uses `threads` cores).
    session: Mutex<Session>,
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
        let session = Session::builder(&environment)
            .and_then(|b| Ok(b.with_intra_threads(threads)?))
            .and_then(|b| Ok(b.with_inter_threads(1)?))
            // Idle pool threads that spin for work burnt a third of diarization's CPU time
            // (en_long, tiny.en's words: 19.6 s against 12.9 s of CPU, 2 threads), time taken
            // from the other workers of the process; the model's runs are long enough that
            // waking a sleeping thread costs nothing measurable.
            .and_then(|b| Ok(b.with_intra_op_spinning(false)?))
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
        Ok(Self {
            session: Mutex::new(session),
        })
    }

    /// Embeddings of `batch` windows of `frames` fbank frames each (`fbank` is
    /// `[batch * frames * N_MELS]`, window-major, each window mean-normalised). Returns
    /// `[batch, EMBEDDING]`, rows L2-normalised (clustering compares them by cosine).
    pub fn embed(
        &self,
        fbank: &[f32],
        batch: usize,
        frames: usize,
    ) -> Result<Array2<f32>, DiarizeError> {
        assert_eq!(fbank.len(), batch * frames * N_MELS);
        let failed = |e: ort::Error| DiarizeError::Inference(e.to_string());
        let input = TensorRef::from_array_view(([batch, frames, N_MELS], fbank)).map_err(failed)?;
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
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
        let mut emb =
            Array2::from_shape_vec((batch, EMBEDDING), values.to_vec()).expect("length checked");
        for mut row in emb.rows_mut() {
            let n = row.dot(&row).sqrt();
            if n > 0.0 {
                row /= n;
            }
        }
        Ok(emb)
    }
}
