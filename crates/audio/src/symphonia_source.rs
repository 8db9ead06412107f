//! Decodes with symphonia, packet by packet.
//!
//! Every call into symphonia runs under `catch_unwind`: it has panicked on malformed input
//! before, and a bad upload must fail its job, not take the worker down.

use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use symphonia::core::audio::{AudioBuffer, Signal};
use symphonia::core::codecs::{CodecParameters, Decoder, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::source::{sanitize, Block, PcmSource};
use crate::AudioError;

/// Packets in a row that may fail to decode before the stream is declared corrupt. Decoders
/// resynchronise after a damaged frame or two; garbage fails every time.
const MAX_CONSECUTIVE_ERRORS: usize = 32;

pub(crate) struct SymphoniaSource {
    reader: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    params: CodecParameters,
    /// Reused conversion buffer; rebuilt when the decoder's output shape changes.
    convert: Option<AudioBuffer<f32>>,
    planes: Vec<Vec<f32>>,
    decoded_any: bool,
    /// Rate of a block decoded by [`SymphoniaSource::prime`] and not yet handed out.
    primed: Option<u32>,
    spent: bool,
}

/// What the container headers say.
pub(crate) struct Header {
    pub channels: Option<u16>,
    pub sample_rate: Option<u32>,
    pub duration_seconds: Option<f64>,
}

/// Runs `f`, turning a panic inside symphonia into a corrupt-data error.
fn guarded<T>(f: impl FnOnce() -> Result<T, AudioError>) -> Result<T, AudioError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the decoder failed".into());
        Err(AudioError::Corrupt(format!(
            "the decoder gave up on malformed data ({detail})"
        )))
    })
}

fn map_error(e: SymError) -> AudioError {
    match e {
        SymError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            AudioError::Corrupt("the file ends before its headers do".into())
        }
        SymError::IoError(e) => AudioError::Io(e),
        SymError::Unsupported(what) => AudioError::Unsupported(what.to_string()),
        SymError::DecodeError(what) => AudioError::Corrupt(what.to_string()),
        other => AudioError::Corrupt(other.to_string()),
    }
}

impl SymphoniaSource {
    pub(crate) fn open(path: &Path, hint: &str) -> Result<Self, AudioError> {
        let source = Self::open_with(path, hint, true)?;
        // symphonia's gapless mode trims MPEG audio to the frame count in its headers; without
        // a LAME tag that count is only a bitrate estimate, and for VBR it would cut real
        // audio off the end. Gapless only matters where the LAME tag gives delay and padding.
        let mpeg_audio = matches!(hint, "mp3" | "mp2" | "mp1");
        if mpeg_audio && source.params.delay.is_none() && source.params.padding.is_none() {
            return Self::open_with(path, hint, false);
        }
        Ok(source)
    }

    fn open_with(path: &Path, hint: &str, gapless: bool) -> Result<Self, AudioError> {
        let file = File::open(path)?;
        guarded(|| {
            let mss = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
            let mut h = Hint::new();
            h.with_extension(hint);
            let format_options = FormatOptions {
                enable_gapless: gapless,
                ..Default::default()
            };
            let probed = symphonia::default::get_probe()
                .format(&h, mss, &format_options, &MetadataOptions::default())
                .map_err(map_error)?;
            let reader = probed.format;
            // Video tracks (an mp4's) have no codec symphonia knows: take the first audio one.
            let track = reader
                .tracks()
                .iter()
                .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
                .ok_or(AudioError::NoAudioTrack)?;
            let (track_id, params) = (track.id, track.codec_params.clone());
            let decoder = symphonia::default::get_codecs()
                .make(&params, &DecoderOptions::default())
                .map_err(map_error)?;
            Ok(SymphoniaSource {
                reader,
                decoder,
                track_id,
                params,
                convert: None,
                planes: Vec::new(),
                decoded_any: false,
                primed: None,
                spent: false,
            })
        })
    }

    pub(crate) fn header(&self) -> Header {
        let p = &self.params;
        let duration_seconds = match (p.n_frames, p.time_base, p.sample_rate) {
            (Some(n), Some(tb), _) if tb.numer > 0 && tb.denom > 0 => {
                let t = tb.calc_time(n);
                Some(t.seconds as f64 + t.frac)
            }
            (Some(n), None, Some(rate)) if rate > 0 => Some(n as f64 / rate as f64),
            _ => None,
        };
        Header {
            channels: p.channels.map(|c| c.count() as u16),
            sample_rate: p.sample_rate,
            duration_seconds,
        }
    }

    /// Duration found by walking every packet (without decoding): exact for streams whose
    /// headers only estimate it (raw MPEG audio without a Xing header, ADTS).
    pub(crate) fn count_duration(mut self) -> Result<f64, AudioError> {
        let tb = self.params.time_base;
        let rate = self.params.sample_rate.unwrap_or(0);
        guarded(move || {
            let mut total = 0u64;
            loop {
                match self.reader.next_packet() {
                    Ok(packet) if packet.track_id() == self.track_id => total += packet.dur,
                    Ok(_) => {}
                    Err(SymError::IoError(_)) => break,
                    Err(SymError::ResetRequired) => break,
                    Err(e) => return Err(map_error(e)),
                }
            }
            Ok(match tb {
                Some(tb) if tb.numer > 0 && tb.denom > 0 => {
                    let t = tb.calc_time(total);
                    t.seconds as f64 + t.frac
                }
                _ if rate > 0 => total as f64 / rate as f64,
                _ => 0.0,
            })
        })
    }

    /// Decodes the first block now (it is handed out first later), so a file symphonia can
    /// open but not decode (an unsupported codec profile) is known while ffmpeg can still take
    /// over.
    pub(crate) fn prime(&mut self) -> Result<(), AudioError> {
        match guarded(|| self.decode_next())? {
            Some(rate) => {
                self.primed = Some(rate);
                Ok(())
            }
            None => Err(AudioError::Corrupt(
                "no audio could be decoded from the file".into(),
            )),
        }
    }

    /// Decodes packets until one yields samples; returns its sample rate.
    fn decode_next(&mut self) -> Result<Option<u32>, AudioError> {
        let mut failures = 0;
        let mut last_failure = String::new();
        loop {
            if failures >= MAX_CONSECUTIVE_ERRORS {
                return Err(AudioError::Corrupt(format!(
                    "{failures} audio frames in a row could not be decoded ({last_failure})"
                )));
            }
            let packet = match self.reader.next_packet() {
                Ok(p) => p,
                // The end of the file, or a truncated one: what was decoded stands.
                Err(SymError::IoError(e))
                    if self.decoded_any || e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    return Ok(None)
                }
                Err(SymError::ResetRequired) => {
                    self.decoder = symphonia::default::get_codecs()
                        .make(&self.params, &DecoderOptions::default())
                        .map_err(map_error)?;
                    continue;
                }
                // A damaged container after good audio: keep what was decoded, as for a
                // truncated file.
                Err(_) if self.decoded_any => return Ok(None),
                Err(e) => return Err(map_error(e)),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let decoded = match self.decoder.decode(&packet) {
                Ok(d) => d,
                Err(SymError::DecodeError(why)) => {
                    failures += 1;
                    last_failure = why.to_string();
                    continue;
                }
                Err(SymError::IoError(e)) => {
                    failures += 1;
                    last_failure = e.to_string();
                    continue;
                }
                Err(e) => return Err(map_error(e)),
            };
            failures = 0;
            if decoded.frames() == 0 {
                continue;
            }
            let spec = *decoded.spec();
            let fits = self
                .convert
                .as_ref()
                .is_some_and(|b| *b.spec() == spec && b.capacity() >= decoded.capacity());
            if !fits {
                self.convert = Some(decoded.make_equivalent::<f32>());
            }
            let buf = self
                .convert
                .as_mut()
                .expect("conversion buffer was just made");
            decoded.convert(buf);
            let channels = spec.channels.count();
            self.planes.resize_with(channels, Vec::new);
            for (c, plane) in self.planes.iter_mut().enumerate() {
                plane.clear();
                plane.extend(buf.chan(c).iter().copied().map(sanitize));
            }
            self.decoded_any = true;
            return Ok(Some(spec.rate));
        }
    }
}

impl PcmSource for SymphoniaSource {
    fn next_block(&mut self) -> Result<Option<Block<'_>>, AudioError> {
        if let Some(sample_rate) = self.primed.take() {
            return Ok(Some(Block {
                sample_rate,
                planes: &self.planes,
            }));
        }
        if self.spent {
            return Ok(None);
        }
        match guarded(|| self.decode_next()) {
            Ok(Some(sample_rate)) => Ok(Some(Block {
                sample_rate,
                planes: &self.planes,
            })),
            Ok(None) => {
                self.spent = true;
                Ok(None)
            }
            Err(e) => {
                self.spent = true;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_the_decoder_becomes_a_corrupt_error() {
        let err = guarded::<()>(|| panic!("index out of bounds in a malformed frame")).unwrap_err();
        assert!(
            matches!(&err, AudioError::Corrupt(m) if m.contains("malformed frame")),
            "{err}"
        );
    }
}
