//! The decode pipeline: native-rate blocks → mix or split → 16 kHz → chunks of a set length.

use std::path::Path;

use crate::probe::{open, Opened};
use crate::resample::StreamResampler;
use crate::source::PcmSource;
use crate::{AudioError, ChannelMode, Decoded, Probe, Settings, TARGET_SAMPLE_RATE};

/// A file being decoded: an iterator of 16 kHz chunks, each one `Vec` when mixed or one per
/// channel when split. Only the chunk being filled is held, so a long file can be processed
/// in windows. The iterator ends after the first error.
pub struct AudioStream {
    probe: Probe,
    source: Box<dyn PcmSource>,
    mode: ChannelMode,
    chunk_frames: usize,
    /// Set by the first block: 1 when mixing, the file's channel count when splitting.
    out_channels: usize,
    resampler: Option<StreamResampler>,
    /// 16 kHz output not yet handed out.
    ready: Vec<Vec<f32>>,
    /// Scratch for the mixed-down block.
    mixed: Vec<Vec<f32>>,
    frames_emitted: u64,
    /// Frames past which decoding stops with [`AudioError::TooLong`].
    max_frames: u64,
    limit_seconds: Option<f64>,
    finished: bool,
}

impl AudioStream {
    /// Opens `path` for decoding in chunks of `chunk_seconds` of 16 kHz audio (the last chunk
    /// may be shorter). A `chunk_seconds` that is not a positive finite number means one chunk
    /// for the whole file.
    pub fn open(path: &Path, mode: ChannelMode, chunk_seconds: f64) -> Result<Self, AudioError> {
        Self::open_with(path, mode, chunk_seconds, &Settings::default())
    }

    /// [`AudioStream::open`] within `settings`: refused when the headers say the audio is too
    /// long, stopped with [`AudioError::TooLong`] when the decoded audio grows past the limit
    /// (headers can lie).
    pub fn open_with(
        path: &Path,
        mode: ChannelMode,
        chunk_seconds: f64,
        settings: &Settings,
    ) -> Result<Self, AudioError> {
        let Opened { probe, source } = open(path, settings)?;
        // Resampling may round up a few frames; a second of slack keeps an exact fit accepted.
        let max_frames = settings
            .max_seconds
            .map_or(u64::MAX, |s| ((s + 1.0) * TARGET_SAMPLE_RATE as f64) as u64);
        let chunk_frames = if chunk_seconds.is_finite() && chunk_seconds > 0.0 {
            ((chunk_seconds * TARGET_SAMPLE_RATE as f64).round() as usize).max(1)
        } else {
            usize::MAX
        };
        Ok(AudioStream {
            probe,
            source,
            mode,
            chunk_frames,
            out_channels: 0,
            resampler: None,
            ready: Vec::new(),
            mixed: vec![Vec::new()],
            frames_emitted: 0,
            max_frames,
            limit_seconds: settings.max_seconds,
            finished: false,
        })
    }

    /// The file's probe, as its headers describe it (`duration_seconds` is 0 where the headers
    /// do not say).
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    fn ready_frames(&self) -> usize {
        self.ready.first().map_or(0, Vec::len)
    }

    fn take_ready(&mut self, frames: usize) -> Vec<Vec<f32>> {
        let chunk: Vec<Vec<f32>> = if frames == self.ready_frames() {
            self.ready.iter_mut().map(std::mem::take).collect()
        } else {
            self.ready
                .iter_mut()
                .map(|r| r.drain(..frames).collect())
                .collect()
        };
        self.frames_emitted += frames as u64;
        chunk
    }

    /// Pulls one block from the decoder through the mixer and resampler. `false` at the end.
    fn advance(&mut self) -> Result<bool, AudioError> {
        let Some(block) = self.source.next_block()? else {
            if let Some(r) = self.resampler.as_mut() {
                r.finish(&mut self.ready)?;
            }
            return Ok(false);
        };
        let (rate, planes) = (block.sample_rate, block.planes);
        if planes.is_empty() || rate == 0 {
            return Err(AudioError::Corrupt(
                "the decoder produced audio without channels or rate".into(),
            ));
        }
        if self.out_channels == 0 {
            self.out_channels = match self.mode {
                ChannelMode::Mix => 1,
                ChannelMode::Split => planes.len(),
            };
            self.ready = vec![Vec::new(); self.out_channels];
            if self.probe.channels == 0 {
                self.probe.channels = planes.len() as u16;
            }
            if self.probe.sample_rate == 0 {
                self.probe.sample_rate = rate;
            }
        }
        let input: &[Vec<f32>] = match self.mode {
            ChannelMode::Mix => {
                let mono = &mut self.mixed[0];
                mono.clear();
                mono.extend_from_slice(&planes[0]);
                for plane in &planes[1..] {
                    for (m, s) in mono.iter_mut().zip(plane) {
                        *m += *s;
                    }
                }
                let scale = 1.0 / planes.len() as f32;
                mono.iter_mut().for_each(|m| *m *= scale);
                &self.mixed
            }
            ChannelMode::Split if planes.len() != self.out_channels => {
                return Err(AudioError::Corrupt(format!(
                    "the number of channels changes mid-stream (from {} to {})",
                    self.out_channels,
                    planes.len()
                )));
            }
            ChannelMode::Split => planes,
        };
        // A rate change mid-stream (concatenated MP3s do this) ends one resampler, starts another.
        if self.resampler.as_ref().is_some_and(|r| r.rate_in() != rate) {
            self.resampler.take().unwrap().finish(&mut self.ready)?;
        }
        if self.resampler.is_none() {
            self.resampler = Some(StreamResampler::new(rate, self.out_channels)?);
        }
        self.resampler
            .as_mut()
            .unwrap()
            .push(input, &mut self.ready)?;
        Ok(true)
    }
}

impl Iterator for AudioStream {
    type Item = Result<Vec<Vec<f32>>, AudioError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.frames_emitted + self.ready_frames() as u64 > self.max_frames {
                self.finished = true;
                self.ready.clear();
                let limit_seconds = self.limit_seconds.unwrap_or_default();
                return Some(Err(AudioError::TooLong { limit_seconds }));
            }
            if self.ready_frames() >= self.chunk_frames {
                return Some(Ok(self.take_ready(self.chunk_frames)));
            }
            if self.finished {
                let rest = self.ready_frames();
                if rest > 0 {
                    return Some(Ok(self.take_ready(rest)));
                }
                return None;
            }
            match self.advance() {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    if self.frames_emitted == 0 && self.ready_frames() == 0 {
                        return Some(Err(AudioError::Corrupt(
                            "no audio could be decoded from the file".into(),
                        )));
                    }
                }
                Err(e) => {
                    self.finished = true;
                    self.ready.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Longest audio whose output buffer is reserved up front from the headers' duration; past
/// it (or with lying headers) the buffer grows as needed.
const MAX_RESERVED_SECONDS: f64 = 4.0 * 3600.0;

pub(crate) fn decode(
    path: &Path,
    mode: ChannelMode,
    settings: &Settings,
) -> Result<Decoded, AudioError> {
    let mut stream = AudioStream::open_with(path, mode, 60.0, settings)?;
    // Reserving from the headers' duration keeps the output from doubling its way up (a
    // doubling holds 1.5× the audio at the moment it copies).
    let expected = stream
        .probe
        .duration_seconds
        .clamp(0.0, MAX_RESERVED_SECONDS)
        * 1.01
        + 1.0;
    let reserve = (expected * TARGET_SAMPLE_RATE as f64) as usize;
    let mut channels: Vec<Vec<f32>> = Vec::new();
    for chunk in stream.by_ref() {
        let chunk = chunk?;
        if channels.is_empty() {
            channels = chunk.iter().map(|_| Vec::with_capacity(reserve)).collect();
        }
        for (all, part) in channels.iter_mut().zip(&chunk) {
            all.extend_from_slice(part);
        }
    }
    channels.iter_mut().for_each(Vec::shrink_to_fit);
    let mut probe = stream.probe.clone();
    probe.duration_seconds =
        channels.first().map_or(0, Vec::len) as f64 / TARGET_SAMPLE_RATE as f64;
    Ok(Decoded { probe, channels })
}

#[cfg(test)]
mod tests {
    /// Engines decode on worker threads: the stream must move between threads.
    #[test]
    fn audio_stream_is_send() {
        fn send<T: Send>() {}
        send::<super::AudioStream>();
    }
}
