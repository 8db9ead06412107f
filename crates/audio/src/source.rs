//! The one thing the pipeline asks of a decoder: the next block of native-rate samples.

use crate::AudioError;

/// A block of decoded audio at the file's native rate, one plane per channel.
pub(crate) struct Block<'a> {
    pub sample_rate: u32,
    pub planes: &'a [Vec<f32>],
}

pub(crate) trait PcmSource: Send {
    /// The next decoded block, or `None` at the end of the audio. After an error the source is
    /// spent.
    fn next_block(&mut self) -> Result<Option<Block<'_>>, AudioError>;
}

/// Largest sample magnitude passed on. Real audio stays within ±1 (float files may overshoot a
/// little); damaged float data can hold anything.
const MAX_MAGNITUDE: f32 = 64.0;

/// Makes a decoded sample safe to process: damaged float data (a float WAV with garbage bytes)
/// can hold NaN, infinities or 1e30s, which would poison the resampler's FFT.
pub(crate) fn sanitize(x: f32) -> f32 {
    if x.is_finite() {
        x.clamp(-MAX_MAGNITUDE, MAX_MAGNITUDE)
    } else {
        0.0
    }
}
