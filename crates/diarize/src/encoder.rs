//! resemblyzer's VoiceEncoder forward pass: 3-layer LSTM (40 → 256) over 160 mel frames, the last
//! layer's final hidden state through Linear(256, 256) + ReLU, L2-normalised.
//! Hand-written on ndarray (batched matrix products through matrixmultiply) because the weights
//! are six plain matrices; a tensor framework would add a large build for one LSTM.

use std::path::Path;

use ndarray::{Array1, Array2, ArrayView2, Axis};
use safetensors::SafeTensors;

use crate::mel::N_MELS;
use crate::DiarizeError;

pub const HIDDEN: usize = 256;
pub const EMBEDDING: usize = 256;
pub const LAYERS: usize = 3;

struct Layer {
    /// `[input, 4 * HIDDEN]` (transposed from PyTorch's `[4H, in]`), gate order i, f, g, o.
    w_ih_t: Array2<f32>,
    w_hh_t: Array2<f32>,
    /// `bias_ih + bias_hh`
    bias: Array1<f32>,
}

pub struct VoiceEncoder {
    layers: Vec<Layer>,
    linear_w_t: Array2<f32>,
    linear_b: Array1<f32>,
}

impl VoiceEncoder {
    pub fn load(path: &Path) -> Result<Self, DiarizeError> {
        let bad = |why: String| DiarizeError::Model {
            path: path.display().to_string(),
            why,
        };
        let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let st = SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
        let get = |name: &str, shape: &[usize]| -> Result<Vec<f32>, DiarizeError> {
            let t = st.tensor(name).map_err(|e| bad(format!("{name}: {e}")))?;
            if t.dtype() != safetensors::Dtype::F32 || t.shape() != shape {
                return Err(bad(format!(
                    "{name}: {:?} {:?}, expected F32 {shape:?}",
                    t.dtype(),
                    t.shape()
                )));
            }
            Ok(t.data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        };
        let mat_t = |name: &str, rows: usize, cols: usize| -> Result<Array2<f32>, DiarizeError> {
            let v = get(name, &[rows, cols])?;
            Ok(Array2::from_shape_vec((rows, cols), v)
                .expect("shape checked")
                .reversed_axes()
                .as_standard_layout()
                .to_owned())
        };
        let mut layers = Vec::with_capacity(LAYERS);
        for l in 0..LAYERS {
            let input = if l == 0 { N_MELS } else { HIDDEN };
            let b_ih = get(&format!("lstm.bias_ih_l{l}"), &[4 * HIDDEN])?;
            let b_hh = get(&format!("lstm.bias_hh_l{l}"), &[4 * HIDDEN])?;
            layers.push(Layer {
                w_ih_t: mat_t(&format!("lstm.weight_ih_l{l}"), 4 * HIDDEN, input)?,
                w_hh_t: mat_t(&format!("lstm.weight_hh_l{l}"), 4 * HIDDEN, HIDDEN)?,
                bias: Array1::from_iter(b_ih.iter().zip(&b_hh).map(|(a, b)| a + b)),
            });
        }
        Ok(Self {
            layers,
            linear_w_t: mat_t("linear.weight", EMBEDDING, HIDDEN)?,
            linear_b: Array1::from(get("linear.bias", &[EMBEDDING])?),
        })
    }

    /// Embeddings of `batch` partials of `frames` mel frames each; `mels` is
    /// `[batch * frames, N_MELS]`, partial-major. Returns `[batch, EMBEDDING]`, rows L2-normalised.
    pub fn embed(&self, mels: ArrayView2<f32>, batch: usize, frames: usize) -> Array2<f32> {
        assert_eq!(mels.nrows(), batch * frames);
        let mut input = mels.to_owned();
        let mut h = Array2::<f32>::zeros((batch, HIDDEN));
        for layer in &self.layers {
            // Input projections for every frame at once; rows are (partial, frame).
            let mut pre = input.dot(&layer.w_ih_t);
            pre += &layer.bias;
            let mut out = Array2::<f32>::zeros((batch * frames, HIDDEN));
            h.fill(0.0);
            let mut c = Array2::<f32>::zeros((batch, HIDDEN));
            for t in 0..frames {
                let mut gates = h.dot(&layer.w_hh_t);
                for b in 0..batch {
                    let row = b * frames + t;
                    let mut g = gates.row_mut(b);
                    g += &pre.row(row);
                    for k in 0..HIDDEN {
                        let i = sigmoid(g[k]);
                        let f = sigmoid(g[HIDDEN + k]);
                        let gg = g[2 * HIDDEN + k].tanh();
                        let o = sigmoid(g[3 * HIDDEN + k]);
                        let cv = f * c[[b, k]] + i * gg;
                        c[[b, k]] = cv;
                        let hv = o * cv.tanh();
                        h[[b, k]] = hv;
                        out[[row, k]] = hv;
                    }
                }
            }
            input = out;
        }
        let mut emb = h.dot(&self.linear_w_t);
        emb += &self.linear_b;
        emb.mapv_inplace(|v| v.max(0.0));
        for mut row in emb.axis_iter_mut(Axis(0)) {
            let n = row.dot(&row).sqrt();
            if n > 0.0 {
                row /= n;
            }
        }
        emb
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}
