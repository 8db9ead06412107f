//! ONNX Runtime is opened at run time (`ort`'s `load-dynamic`), once per process.

use std::path::Path;
use std::sync::OnceLock;

use ort::environment::Environment;

use crate::VadError;

/// The library scripts/install-onnxruntime.sh installs beside CTranslate2's. A bare file name:
/// the dynamic loader finds it through the executable's RUNPATH (.cargo/config.toml), or the
/// system's library path in the container image.
pub const DEFAULT_LIBRARY: &str = "libonnxruntime.so.1.32.0";

/// The first initialisation's outcome (with the library it tried); later calls return it again.
static RUNTIME: OnceLock<(String, Result<Environment, String>)> = OnceLock::new();

/// ONNX Runtime's environment, opened from `library` (a path, or a file name the dynamic loader
/// searches for) by the first call in the process: it cannot be swapped once open.
pub(crate) fn environment(library: &Path) -> Result<Environment, VadError> {
    let (tried, outcome) = RUNTIME.get_or_init(|| {
        let outcome = ort::init_from(library)
            .map_err(|e| e.to_string())
            .and_then(|builder| {
                builder
                    .with_name("verbatim")
                    .build()
                    .map_err(|e| e.to_string())
            });
        if outcome.is_ok() {
            tracing::info!(library = %library.display(), "ONNX Runtime loaded");
        }
        (library.display().to_string(), outcome)
    });
    outcome.clone().map_err(|reason| VadError::Runtime {
        library: tried.clone(),
        reason,
    })
}

/// ONNX Runtime's environment from [`DEFAULT_LIBRARY`], for the other models run on it
/// (crates/diarize's speaker encoder): one process opens the library once.
pub fn onnx_environment() -> Result<Environment, VadError> {
    environment(Path::new(DEFAULT_LIBRARY))
}
