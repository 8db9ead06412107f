//! Silero VAD v6 on ONNX Runtime, fed the way faster-whisper's `vad.py` feeds it: frames of
//! 512 new samples behind the previous frame's last 64, with the LSTM state carried from one
//! call to the next. The model treats the frames of one call as a sequence, so running a
//! recording in pieces gives exactly the probabilities of one run over all of it.
//!
//! One departure: the state is reset once a pause has lasted a second (after speech). Carried
//! across many minutes, the state drifts: on the 13-minute en_long fixture the quiet, noisy
//! cold-corpus speaker (a clip of its own that the model finds at a mean probability of 0.48
//! from a fresh state) scores a mean of 0.06 after ten minutes of clean speech, and its words
//! are lost; with the reset it scores 0.43. Up to the first reset the probabilities are
//! faster-whisper's exactly.

use std::path::Path;
use std::sync::Mutex;

use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::TensorRef;

use crate::{runtime, VadError, DEFAULT_LIBRARY, FRAME_SAMPLES, PAUSE_THRESHOLD, SPEECH_THRESHOLD};

/// The file name scripts/install-models.sh gives the model in the models folder.
pub const MODEL_FILE: &str = "silero_vad_v6.onnx";
/// Samples of the previous frame in front of each frame.
const CONTEXT: usize = 64;
/// Size of the LSTM state (h and c each).
const STATE: usize = 128;
/// Frames per model call: 8 s of audio, a few hundred kilobytes of input.
const FRAMES_PER_CALL: usize = 256;
/// Pause frames (1 s) after speech that reset the state.
const RESET_AFTER: usize = 31;

/// A loaded model. One session serves every stream of the process; calls are serialised,
/// which costs little: a frame takes microseconds and a stream's state lives in the stream.
pub struct SileroVad {
    session: Mutex<Session>,
}

impl std::fmt::Debug for SileroVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroVad").finish_non_exhaustive()
    }
}

impl SileroVad {
    /// Loads the model file to run on `threads` CPU threads (2 take a quarter off the time of 1;
    /// the model is small), opening ONNX Runtime ([`DEFAULT_LIBRARY`]) on first use.
    pub fn load(model: &Path, threads: usize) -> Result<Self, VadError> {
        if !model.is_file() {
            return Err(VadError::ModelNotFound(model.display().to_string()));
        }
        let environment = runtime::environment(Path::new(DEFAULT_LIBRARY))?;
        let invalid = |reason: String| VadError::InvalidModel {
            path: model.display().to_string(),
            reason,
        };
        let session = Session::builder(&environment)
            .and_then(|b| Ok(b.with_intra_threads(threads.max(1))?))
            .and_then(|b| Ok(b.with_inter_threads(1)?))
            .and_then(|b| Ok(b.with_optimization_level(GraphOptimizationLevel::Level3)?))
            .and_then(|mut b| b.commit_from_file(model))
            .map_err(|e| invalid(e.to_string()))?;
        let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        if inputs != ["input", "h", "c"] {
            return Err(invalid(format!(
                "expected inputs input, h, c (Silero VAD v6), found {inputs:?}"
            )));
        }
        Ok(Self {
            session: Mutex::new(session),
        })
    }

    /// A new stream over one recording.
    pub fn stream(&self) -> VadStream<'_> {
        VadStream {
            vad: self,
            h: vec![0.0; STATE],
            c: vec![0.0; STATE],
            context: [0.0; CONTEXT],
            pending: Vec::with_capacity(FRAME_SAMPLES),
            frames: Vec::new(),
            pause: 0,
            spoke: false,
        }
    }

    /// The speech probability of every frame of `samples` (16 kHz mono), the last frame
    /// padded with silence.
    pub fn probabilities(&self, samples: &[f32]) -> Result<Vec<f32>, VadError> {
        let mut stream = self.stream();
        let mut out = stream.push(samples)?;
        out.extend(stream.finish()?);
        Ok(out)
    }

    /// Runs `frames` (each CONTEXT + FRAME_SAMPLES long) from state (h, c); returns one
    /// probability per frame and leaves the new state in h and c.
    fn run(&self, frames: &[f32], h: &mut [f32], c: &mut [f32]) -> Result<Vec<f32>, VadError> {
        let n = frames.len() / (CONTEXT + FRAME_SAMPLES);
        let failed = |e: ort::Error| VadError::Inference(e.to_string());
        let input =
            TensorRef::from_array_view(([n, CONTEXT + FRAME_SAMPLES], frames)).map_err(failed)?;
        let h_in = TensorRef::from_array_view(([1, 1, STATE], &*h)).map_err(failed)?;
        let c_in = TensorRef::from_array_view(([1, 1, STATE], &*c)).map_err(failed)?;
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session
            .run(ort::inputs!["input" => input, "h" => h_in, "c" => c_in])
            .map_err(failed)?;
        let (_, probabilities) = outputs["speech_probs"]
            .try_extract_tensor::<f32>()
            .map_err(failed)?;
        if probabilities.len() != n {
            return Err(VadError::Inference(format!(
                "the model gave {} probabilities for {n} frames",
                probabilities.len()
            )));
        }
        let probabilities = probabilities.to_vec();
        for (name, state) in [("hn", h), ("cn", c)] {
            let (_, value) = outputs[name].try_extract_tensor::<f32>().map_err(failed)?;
            if value.len() != STATE {
                return Err(VadError::Inference(format!(
                    "state {name} has {} values",
                    value.len()
                )));
            }
            state.copy_from_slice(value);
        }
        Ok(probabilities)
    }
}

/// One recording's pass through the model: push audio as it arrives, get the probabilities
/// of the frames it completed.
pub struct VadStream<'a> {
    vad: &'a SileroVad,
    h: Vec<f32>,
    c: Vec<f32>,
    /// The last CONTEXT samples of the previous frame.
    context: [f32; CONTEXT],
    /// Samples of the frame not yet complete.
    pending: Vec<f32>,
    /// Complete frames (with context) waiting for a model call.
    frames: Vec<f32>,
    /// Pause frames in a row so far.
    pause: usize,
    /// Whether speech came since the last reset (a fresh state needs none).
    spoke: bool,
}

impl VadStream<'_> {
    /// Takes the next samples; returns the probabilities of the frames completed so far that
    /// filled a model call (the rest come with later pushes or [`Self::finish`]).
    pub fn push(&mut self, mut samples: &[f32]) -> Result<Vec<f32>, VadError> {
        let mut out = Vec::new();
        while !samples.is_empty() {
            let take = (FRAME_SAMPLES - self.pending.len()).min(samples.len());
            self.pending.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.pending.len() == FRAME_SAMPLES {
                self.complete_frame();
                if self.frames.len() == FRAMES_PER_CALL * (CONTEXT + FRAME_SAMPLES) {
                    out.extend(self.flush()?);
                }
            }
        }
        Ok(out)
    }

    /// The probabilities of every frame not yet returned, a partial last frame padded with
    /// silence.
    pub fn finish(mut self) -> Result<Vec<f32>, VadError> {
        if !self.pending.is_empty() {
            self.pending.resize(FRAME_SAMPLES, 0.0);
            self.complete_frame();
        }
        self.flush()
    }

    fn complete_frame(&mut self) {
        // Non-finite samples (broken input) would poison the recurrent state for good.
        let clean = |s: f32| if s.is_finite() { s } else { 0.0 };
        self.frames.extend_from_slice(&self.context);
        self.frames.extend(self.pending.iter().map(|&s| clean(s)));
        self.context
            .copy_from_slice(&self.frames[self.frames.len() - CONTEXT..]);
        self.pending.clear();
    }

    /// Runs the queued frames. Where a reset falls inside them, the frames after it are run
    /// again from a fresh state, so the outcome does not depend on how the audio was cut into
    /// calls.
    fn flush(&mut self) -> Result<Vec<f32>, VadError> {
        let width = CONTEXT + FRAME_SAMPLES;
        let mut out = Vec::with_capacity(self.frames.len() / width);
        let mut start = 0;
        while start * width < self.frames.len() {
            let probabilities =
                self.vad
                    .run(&self.frames[start * width..], &mut self.h, &mut self.c)?;
            let reset = probabilities.iter().position(|&p| {
                self.spoke |= p >= SPEECH_THRESHOLD;
                self.pause = if p < PAUSE_THRESHOLD {
                    self.pause + 1
                } else {
                    0
                };
                self.spoke && self.pause >= RESET_AFTER
            });
            match reset {
                Some(at) => {
                    out.extend_from_slice(&probabilities[..=at]);
                    self.h.fill(0.0);
                    self.c.fill(0.0);
                    (self.pause, self.spoke) = (0, false);
                    start += at + 1;
                }
                None => {
                    out.extend(probabilities);
                    break;
                }
            }
        }
        self.frames.clear();
        Ok(out)
    }
}
