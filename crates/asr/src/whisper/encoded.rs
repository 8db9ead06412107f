//! Encoder outputs held in memory of our own, so windows encoded a few at a time can go through
//! the beam search and the aligner as one batch.
//!
//! Why: CTranslate2 encodes a batch with the attention matrices of all its windows alive at
//! once, about 55 MB per 30 s window with tiny.en (measured: peak RSS 303 MB decoding one window
//! at a time, 394 MB two, 524 MB four), while the beam search is what gains from a batch. So the
//! encoder takes `ENCODE_BATCH` windows at a time and the outputs (a few MB per window) are copied
//! side by side. ct2rs offers no access to a `StorageView`'s values, so they are read through
//! CTranslate2's own exported accessor, `const float* StorageView::data<float>() const`.

use std::ffi::c_void;
use std::ops::Range;

use ct2rs::sys::{Device, StorageView};

use super::mel::WINDOW_FRAMES;
use crate::AsrError;

/// Windows encoded per encoder call.
pub const ENCODE_BATCH: usize = 1;
/// Windows aligned per aligner call: CTranslate2's aligner keeps every window's cross-attention
/// too (measured on en_long with tiny.en: +160 MB for 8 windows), and gains little from a batch.
pub const ALIGN_BATCH: usize = 2;
/// Encoder output frames of one window (its convolutions halve the mel frames).
const OUTPUT_FRAMES: usize = WINDOW_FRAMES / 2;

extern "C" {
    // A const member function taking no argument: under the Itanium C++ ABI (x86_64 Linux, the
    // only target CTranslate2 is installed for here) `this` is its one argument. It throws if
    // the values are not float32, so it is only called for compute types whose activations are
    // float32 on the CPU (`float_activations`).
    #[link_name = "_ZNK11ctranslate211StorageView4dataIfEEPKT_v"]
    fn ctranslate2_storage_view_data_f32(view: *const c_void) -> *const f32;
}

/// Whether the encoder outputs of `compute_type` are float32 on the CPU, so they can be copied.
pub fn float_activations(compute_type: &str) -> bool {
    matches!(
        compute_type.trim().to_ascii_lowercase().as_str(),
        "" | "default" | "int8" | "int8_float32" | "int16" | "float32"
    )
}

/// The encoder outputs of several windows.
pub enum Encoded {
    /// Copied side by side from encoder calls of a few windows: `[windows, OUTPUT_FRAMES, width]`.
    Copied {
        values: Vec<f32>,
        windows: usize,
        /// Windows to come in all (memory is reserved for them at the first).
        expected: usize,
    },
    /// One encoder call's own output over `windows` windows, for compute types whose outputs
    /// cannot be copied.
    Whole {
        view: StorageView<'static>,
        windows: usize,
    },
}

impl Encoded {
    /// Outputs to be copied, `windows` of them in all.
    pub fn copied(windows: usize) -> Self {
        Encoded::Copied {
            values: Vec::new(),
            windows: 0,
            expected: windows,
        }
    }

    /// Appends the outputs of one encoder call over `n` windows (float32 values on the CPU).
    pub fn push(&mut self, output: &StorageView, n: usize) -> Result<(), AsrError> {
        let Encoded::Copied {
            values,
            windows,
            expected,
        } = self
        else {
            return Err(AsrError::Engine(
                "encoder outputs pushed to a whole batch".into(),
            ));
        };
        let size = usize::try_from(output.size()).unwrap_or(0);
        if n == 0 || size == 0 || size % (n * OUTPUT_FRAMES) != 0 {
            return Err(AsrError::Engine(format!(
                "encoder output of {size} values for {n} windows"
            )));
        }
        // The C++ object itself (ct2rs's StorageView dereferences to it).
        let this = &**output as *const _ as *const c_void;
        // SAFETY: `this` is a live CTranslate2 StorageView of `size` float32 values on the CPU
        // (the caller checked the compute type), read before `output` can be dropped.
        let output = unsafe {
            let data = ctranslate2_storage_view_data_f32(this);
            std::slice::from_raw_parts(data, size)
        };
        if values.is_empty() {
            values.reserve_exact(size / n * (*expected).max(n));
        }
        values.extend_from_slice(output);
        *windows += n;
        Ok(())
    }

    /// The outputs of window `i` alone, when they were copied (a whole batch cannot be cut).
    pub fn window(&self, i: usize) -> Option<Encoded> {
        let Encoded::Copied {
            values, windows, ..
        } = self
        else {
            return None;
        };
        let per_window = values.len() / (*windows).max(1);
        let values = values.get(i * per_window..(i + 1) * per_window)?.to_vec();
        Some(Encoded::Copied {
            values,
            windows: 1,
            expected: 1,
        })
    }

    /// Runs `f` on a view of the outputs, for CTranslate2's `generate`, `align` and
    /// `detect_language`.
    pub fn with_view<T>(
        &mut self,
        f: impl FnOnce(&StorageView) -> Result<T, AsrError>,
    ) -> Result<T, AsrError> {
        match self {
            Encoded::Whole { view, .. } => f(view),
            Encoded::Copied {
                values, windows, ..
            } => {
                let width = values.len() / (*windows * OUTPUT_FRAMES).max(1);
                let view = StorageView::new(&[*windows, OUTPUT_FRAMES, width], values, Device::CPU)
                    .map_err(|e| AsrError::Engine(format!("encoder output: {e:#}")))?;
                f(&view)
            }
        }
    }

    /// Runs `f` on views of `group` windows at a time (all at once for a whole batch) and
    /// gathers what it returns per window, in order.
    pub fn in_groups<T>(
        &mut self,
        group: usize,
        mut f: impl FnMut(Range<usize>, &StorageView) -> Result<Vec<T>, AsrError>,
    ) -> Result<Vec<T>, AsrError> {
        match self {
            Encoded::Whole { view, windows } => f(0..*windows, view),
            Encoded::Copied {
                values, windows, ..
            } => {
                let per_window = values.len() / (*windows).max(1);
                let width = per_window / OUTPUT_FRAMES;
                let mut out = Vec::with_capacity(*windows);
                for start in (0..*windows).step_by(group.max(1)) {
                    let end = (start + group.max(1)).min(*windows);
                    let part = &mut values[start * per_window..end * per_window];
                    let view =
                        StorageView::new(&[end - start, OUTPUT_FRAMES, width], part, Device::CPU)
                            .map_err(|e| AsrError::Engine(format!("encoder output: {e:#}")))?;
                    out.extend(f(start..end, &view)?);
                }
                Ok(out)
            }
        }
    }
}
