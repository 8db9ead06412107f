//! Streaming, band-limited conversion of any native rate to 16 kHz.
//!
//! rubato's synchronous FFT resampler: each fixed input chunk is transformed, low-pass
//! filtered below the lower Nyquist frequency and transformed back at the new length, so
//! nothing above 8 kHz aliases into the speech band. The filter's delay is dropped from the
//! start and flushed out at the end, so the output lines up with the input and has exactly
//! `input × 16000 / rate` frames.

use rubato::{FftFixedInOut, Resampler};

use crate::{AudioError, TARGET_SAMPLE_RATE};

/// About 0.1 s of input per FFT: long enough for a sharp filter, short enough to stream.
const CHUNK_SECONDS_DIVISOR: usize = 10;

pub(crate) struct StreamResampler {
    rate_in: u32,
    /// `None` when the input is already at 16 kHz.
    inner: Option<FftFixedInOut<f32>>,
    /// Input waiting for a whole chunk, per channel.
    pending: Vec<Vec<f32>>,
    out: Vec<Vec<f32>>,
    /// Output frames still to discard: the filter's delay.
    skip: usize,
    frames_in: u64,
    frames_out: u64,
}

impl StreamResampler {
    pub(crate) fn new(rate_in: u32, channels: usize) -> Result<Self, AudioError> {
        // Real audio lies in this range; a header claiming otherwise is damaged, and a rate
        // like 1 Hz would make the FFT sizes absurd.
        if !(1_000..=768_000).contains(&rate_in) {
            return Err(AudioError::Unsupported(format!(
                "a sample rate of {rate_in} Hz is not supported"
            )));
        }
        let inner = if rate_in == TARGET_SAMPLE_RATE {
            None
        } else {
            let chunk = (rate_in as usize / CHUNK_SECONDS_DIVISOR).max(256);
            Some(
                FftFixedInOut::<f32>::new(
                    rate_in as usize,
                    TARGET_SAMPLE_RATE as usize,
                    chunk,
                    channels,
                )
                .map_err(|e| {
                    AudioError::Unsupported(format!("cannot resample from {rate_in} Hz: {e}"))
                })?,
            )
        };
        let skip = inner.as_ref().map_or(0, |r| r.output_delay());
        let out = inner
            .as_ref()
            .map_or_else(Vec::new, |r| r.output_buffer_allocate(true));
        Ok(StreamResampler {
            rate_in,
            inner,
            pending: vec![Vec::new(); channels],
            out,
            skip,
            frames_in: 0,
            frames_out: 0,
        })
    }

    pub(crate) fn rate_in(&self) -> u32 {
        self.rate_in
    }

    /// Frames of 16 kHz output the input so far amounts to.
    fn frames_due(&self) -> u64 {
        (self.frames_in as u128 * TARGET_SAMPLE_RATE as u128 / self.rate_in as u128) as u64
    }

    /// Takes native-rate planes (one per channel) and appends whatever 16 kHz output is ready
    /// to `dest`.
    pub(crate) fn push(
        &mut self,
        planes: &[Vec<f32>],
        dest: &mut [Vec<f32>],
    ) -> Result<(), AudioError> {
        let frames = planes.first().map_or(0, Vec::len);
        self.frames_in += frames as u64;
        let Some(inner) = self.inner.as_mut() else {
            for (d, p) in dest.iter_mut().zip(planes) {
                d.extend_from_slice(p);
            }
            self.frames_out += frames as u64;
            return Ok(());
        };
        for (q, p) in self.pending.iter_mut().zip(planes) {
            q.extend_from_slice(p);
        }
        let chunk = inner.input_frames_next();
        let mut used = 0;
        while self.pending[0].len() - used >= chunk {
            let input: Vec<&[f32]> = self
                .pending
                .iter()
                .map(|q| &q[used..used + chunk])
                .collect();
            let (_, produced) = inner
                .process_into_buffer(&input, &mut self.out, None)
                .map_err(|e| AudioError::Corrupt(format!("resampling failed: {e}")))?;
            used += chunk;
            Self::emit(
                &self.out,
                produced,
                &mut self.skip,
                &mut self.frames_out,
                u64::MAX,
                dest,
            );
        }
        for q in &mut self.pending {
            q.drain(..used);
        }
        Ok(())
    }

    /// Flushes the tail: the last partial chunk and the filter's delay.
    pub(crate) fn finish(&mut self, dest: &mut [Vec<f32>]) -> Result<(), AudioError> {
        let due = self.frames_due();
        let Some(inner) = self.inner.as_mut() else {
            return Ok(());
        };
        let mut first = true;
        while self.frames_out < due {
            // The partial call zero-pads; after the real input, zeros push the delay line out.
            let input = (first && !self.pending[0].is_empty()).then_some(self.pending.as_slice());
            let (_, produced) = inner
                .process_partial_into_buffer(input, &mut self.out, None)
                .map_err(|e| AudioError::Corrupt(format!("resampling failed: {e}")))?;
            first = false;
            Self::emit(
                &self.out,
                produced,
                &mut self.skip,
                &mut self.frames_out,
                due,
                dest,
            );
        }
        for q in &mut self.pending {
            q.clear();
        }
        Ok(())
    }

    fn emit(
        out: &[Vec<f32>],
        produced: usize,
        skip: &mut usize,
        frames_out: &mut u64,
        limit: u64,
        dest: &mut [Vec<f32>],
    ) {
        let dropped = (*skip).min(produced);
        *skip -= dropped;
        let room = limit.saturating_sub(*frames_out);
        let take = ((produced - dropped) as u64).min(room) as usize;
        for (d, o) in dest.iter_mut().zip(out) {
            d.extend_from_slice(&o[dropped..dropped + take]);
        }
        *frames_out += take as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rate: u32, frames: usize, block: usize) -> Vec<f32> {
        let signal: Vec<f32> = (0..frames).map(|i| (i as f32 * 0.01).sin()).collect();
        let mut r = StreamResampler::new(rate, 1).unwrap();
        let mut out = vec![Vec::new()];
        for piece in signal.chunks(block) {
            r.push(&[piece.to_vec()], &mut out).unwrap();
        }
        r.finish(&mut out).unwrap();
        out.pop().unwrap()
    }

    #[test]
    fn absurd_rates_are_refused() {
        for rate in [1, 999, 1_000_000] {
            assert!(matches!(
                StreamResampler::new(rate, 1),
                Err(AudioError::Unsupported(_))
            ));
        }
    }

    #[test]
    fn output_length_is_exact_whatever_the_blocking() {
        for (rate, frames, block) in [
            (48_000, 48_000, 1152),
            (44_100, 100_000, 4096),
            (8_000, 7_777, 160),
            (16_000, 5_000, 333),
            (22_050, 10, 3),
        ] {
            let expected = (frames as u64 * 16_000 / rate as u64) as usize;
            assert_eq!(run(rate, frames, block).len(), expected, "{rate} Hz");
        }
    }
}
