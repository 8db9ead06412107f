//! Whisper on CTranslate2: model loading ([`WhisperEngine::load`], or the process-wide
//! [`WhisperEngine::load_shared`]) and the [`Engine`](crate::Engine) implementation.

mod activity;
mod align;
mod blocks;
mod cache;
mod decode;
mod encoded;
mod language;
pub mod mel;
mod stream;
mod tokenizer;
mod tracks;
mod transcribe;

use std::path::{Path, PathBuf};

use ct2rs::sys::{ComputeType, Config, Device, Whisper};

use crate::{AsrError, AudioChunks, Engine, Options, Progress, Recognition};
use mel::MelExtractor;
use tokenizer::WhisperTokenizer;

/// How to run a model. Two engines with equal configs for the same folder are the same engine
/// as far as [`WhisperEngine::load_shared`] is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WhisperConfig {
    /// CPU threads for one recognition; 0 means all available cores. The default is 1 because
    /// the callers size it themselves: the worker pool splits the cores between its workers
    /// (`WorkerConfig::threads_per_worker`) and `verbatim transcribe` takes `--threads`.
    pub threads: usize,
    /// CTranslate2 compute type: `"default"` (as converted; float16 weights run as float32 on
    /// CPU), `"auto"`, `"int8"`, `"int8_float32"`, `"float32"`, `"int16"`…
    pub compute_type: String,
    /// Beam width of the first (temperature 0) decoding attempt; faster-whisper's default 5.
    pub beam_size: usize,
    /// Windows decoded together. Above 1, the recording is cut in pauses into tracks of about a
    /// minute of speech, decoded side by side, their windows going through the model this many
    /// at a time; 1 decodes the whole recording as one sequence of windows, as faster-whisper
    /// does.
    pub batch_size: usize,
    /// Lanes a batch's windows are split between, decoded side by side on a thread each, each
    /// lane holding a copy of the model; 0 (the default) is one per thread, up to four. 1 runs
    /// every call on all the threads, which takes less memory (one copy) and more time (see
    /// `lanes`).
    pub lanes: usize,
    /// Skip the stretches without speech (Silero VAD) instead of running the model on them.
    pub skip_silence: bool,
    /// The Silero VAD model file; `None`: `silero-vad/silero_vad_v6.onnx` in the models folder
    /// that holds the Whisper model's folder (where scripts/install-models.sh puts both).
    pub vad_model: Option<PathBuf>,
}

impl Default for WhisperConfig {
    fn default() -> Self {
        Self {
            threads: 1,
            compute_type: DEFAULT_COMPUTE_TYPE.to_string(),
            beam_size: 5,
            batch_size: DEFAULT_BATCH_SIZE,
            lanes: 0,
            skip_silence: true,
            vad_model: None,
        }
    }
}

/// Windows per batch; see [`WhisperConfig::batch_size`].
pub const DEFAULT_BATCH_SIZE: usize = 8;

/// int8 on CPU, for tiny.en. On en_long (`bench/operating_points.sh` figures in
/// docs/transcription-options.md) tiny.en int8 scored WER 9.57 % against 12.00 % at float32, and
/// runs faster. Not for base: int8 costs it its lead, so the enhanced point runs float32
/// (`worker::ENHANCED_COMPUTE_TYPE`).
pub const DEFAULT_COMPUTE_TYPE: &str = "int8";

pub struct WhisperEngine {
    name: String,
    path: PathBuf,
    config: WhisperConfig,
    /// Windows of one batch are split between this many lanes, decoded side by side (see
    /// [`lanes`]).
    lanes: usize,
    model: Whisper,
    tokenizer: WhisperTokenizer,
    mel: MelExtractor,
    vad: vad::SileroVad,
    suppress_tokens: Vec<i32>,
    /// Language codes the model knows, with their token ids.
    languages: Vec<(String, u32)>,
    multilingual: bool,
}

impl std::fmt::Debug for WhisperEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperEngine")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("config", &self.config)
            .field("multilingual", &self.multilingual)
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct ModelConfig {
    #[serde(default)]
    lang_ids: Vec<u32>,
}

impl WhisperEngine {
    /// Loads a CTranslate2 Whisper model folder (model.bin, config.json, tokenizer.json,
    /// vocabulary.txt). Each call loads a new copy; servers want [`Self::load_shared`].
    pub fn load(model_dir: &Path, config: &WhisperConfig) -> Result<Self, AsrError> {
        if !model_dir.is_dir() {
            return Err(AsrError::ModelNotFound(model_dir.display().to_string()));
        }
        if !crate::models::is_model_dir(model_dir) {
            return Err(AsrError::InvalidModel(format!(
                "{} lacks model.bin, config.json or tokenizer.json",
                model_dir.display()
            )));
        }
        let model_config: ModelConfig = std::fs::read_to_string(model_dir.join("config.json"))
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|e| AsrError::InvalidModel(format!("config.json: {e}")))?;
        let tokenizer = WhisperTokenizer::load(model_dir)?;
        let threads = if config.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            config.threads
        };
        let lanes = lanes(config.lanes, threads);
        let ct2_config = Config {
            device: Device::CPU,
            compute_type: parse_compute_type(&config.compute_type)?,
            // One replica per lane, so that the lanes' calls run side by side.
            device_indices: vec![0; lanes],
            num_threads_per_replica: threads / lanes,
            ..Config::default()
        };
        let model = Whisper::new(model_dir, ct2_config)
            .map_err(|e| AsrError::InvalidModel(format!("{}: {e:#}", model_dir.display())))?;
        let multilingual = model.is_multilingual();
        let languages = if multilingual {
            let ids: Vec<u32> = if model_config.lang_ids.is_empty() {
                Vec::new()
            } else {
                model_config.lang_ids.clone()
            };
            let strings = tokenizer.token_strings(&ids)?;
            strings
                .into_iter()
                .zip(ids)
                .filter_map(|(s, id)| {
                    let code = s.strip_prefix("<|")?.strip_suffix("|>")?;
                    Some((code.to_string(), id))
                })
                .collect()
        } else {
            vec![("en".to_string(), u32::MAX)]
        };
        if multilingual && languages.is_empty() {
            return Err(AsrError::InvalidModel(
                "multilingual model without lang_ids in config.json".into(),
            ));
        }
        // The VAD reads ahead of the lanes on a thread of its own: it gets the threads they
        // leave, at least one (measured on en_long, 2 cores: 24.9 s with one, 24.3–26.4 s and 40 MB
        // more peak RSS with two).
        let vad = load_vad(model_dir, config, (threads % lanes).max(1))?;
        let suppress_tokens = tokenizer.suppressed_tokens();
        Ok(Self {
            name: crate::models::model_name(model_dir),
            path: model_dir.to_path_buf(),
            config: config.clone(),
            lanes,
            mel: MelExtractor::new(model.n_mels()),
            model,
            tokenizer,
            vad,
            suppress_tokens,
            languages,
            multilingual,
        })
    }

    /// Loads the model once per process: later calls with the same folder and config get the
    /// same engine.
    pub fn load_shared(
        model_dir: &Path,
        config: &WhisperConfig,
    ) -> Result<std::sync::Arc<Self>, AsrError> {
        cache::load_shared(model_dir, config)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn config(&self) -> &WhisperConfig {
        &self.config
    }

    /// ISO 639-1 codes the model can recognise (`["en"]` for English-only models).
    pub fn languages(&self) -> Vec<&str> {
        self.languages.iter().map(|(c, _)| c.as_str()).collect()
    }
}

/// Most lanes a recognition runs: each holds a copy of the model (about 90 MB more peak RSS for
/// tiny.en int8, 300 MB for base float32) and takes a share of a batch's windows, so more would
/// mean smaller beam-search batches for little gain.
const MAX_LANES: usize = 4;

/// How many lanes `threads` CPU threads run as, one thread each. Why lanes rather than
/// CTranslate2's own threads: its threads split each matrix product of one call, which for
/// Whisper's small matrices spends much of their time waiting on each other, while lanes keep
/// every thread on a call of its own. Measured on en_long (tiny.en int8, 2 cores, beam 5):
/// two lanes of one thread took 21.9 s wall, 39 s CPU; one call on two threads 29.8 s wall, 47 s
/// CPU, the same words. Even a 45 s clip (one track, so one lane busy at a time while the VAD
/// runs on the other core) took 2.9 s against 3.3 s.
///
/// `asked` lanes (0: one per thread, up to MAX_LANES), at most one per thread. Above MAX_LANES
/// threads every lane gets as many threads, the rest of the division going to the VAD.
fn lanes(asked: usize, threads: usize) -> usize {
    let lanes = if asked == 0 { MAX_LANES } else { asked };
    lanes.clamp(1, threads.max(1))
}

/// The results of a CTranslate2 call over a batch of `windows` windows, checked to be one each.
fn one_per_window<T, E: std::fmt::Display>(
    what: &str,
    results: Result<Vec<T>, E>,
    windows: usize,
) -> Result<Vec<T>, AsrError> {
    let results = results.map_err(|e| AsrError::Engine(format!("{what}: {e:#}")))?;
    if results.len() != windows {
        return Err(AsrError::Engine(format!(
            "{what}: {} results for {windows} windows",
            results.len()
        )));
    }
    Ok(results)
}

/// The folder, beside the Whisper models, that holds the Silero VAD model.
pub const VAD_MODEL_FOLDER: &str = "silero-vad";

fn load_vad(
    model_dir: &Path,
    config: &WhisperConfig,
    threads: usize,
) -> Result<vad::SileroVad, AsrError> {
    let path = match &config.vad_model {
        Some(path) => path.clone(),
        None => model_dir
            .parent()
            .unwrap_or(Path::new("."))
            .join(VAD_MODEL_FOLDER)
            .join(vad::MODEL_FILE),
    };
    vad::SileroVad::load(&path, threads).map_err(|e| match e {
        vad::VadError::ModelNotFound(path) => AsrError::ModelNotFound(format!(
            "{path} (the voice activity model; scripts/install-models.sh installs it)"
        )),
        other => AsrError::InvalidModel(other.to_string()),
    })
}

/// Whether CTranslate2 knows the compute type `name`, so a server can refuse a bad setting at
/// start-up instead of failing every job that loads the model.
pub fn check_compute_type(name: &str) -> Result<(), String> {
    compute_type_named(name).map(|_| ())
}

fn parse_compute_type(name: &str) -> Result<ComputeType, AsrError> {
    compute_type_named(name).map_err(AsrError::InvalidModel)
}

fn compute_type_named(name: &str) -> Result<ComputeType, String> {
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "" | "default" => ComputeType::DEFAULT,
        "auto" => ComputeType::AUTO,
        "float32" => ComputeType::FLOAT32,
        "int8" => ComputeType::INT8,
        "int8_float32" => ComputeType::INT8_FLOAT32,
        "int8_float16" => ComputeType::INT8_FLOAT16,
        "int8_bfloat16" => ComputeType::INT8_BFLOAT16,
        "int16" => ComputeType::INT16,
        "float16" => ComputeType::FLOAT16,
        "bfloat16" => ComputeType::BFLOAT16,
        other => {
            return Err(format!(
                "unknown compute type {other:?} (default, auto, int8, int8_float32, \
                 int8_float16, int8_bfloat16, int16, float32, float16, bfloat16)"
            ))
        }
    })
}

impl Engine for WhisperEngine {
    fn transcribe_stream(
        &self,
        audio: AudioChunks<'_>,
        duration_seconds: Option<f64>,
        options: &Options,
        progress: Progress<'_>,
    ) -> Result<Recognition, AsrError> {
        stream::run(self, audio, duration_seconds, options, progress)
    }

    fn model_name(&self) -> &str {
        &self.name
    }

    fn is_multilingual(&self) -> bool {
        self.multilingual
    }
}

#[cfg(test)]
mod tests {
    use super::lanes;

    #[test]
    fn lanes_are_one_per_thread_up_to_four_unless_asked() {
        assert_eq!(lanes(0, 1), 1);
        assert_eq!(lanes(0, 2), 2);
        assert_eq!(lanes(0, 16), 4);
        assert_eq!(lanes(1, 8), 1);
        assert_eq!(lanes(3, 2), 2, "at most one per thread");
        assert_eq!(lanes(0, 0), 1);
    }
}
