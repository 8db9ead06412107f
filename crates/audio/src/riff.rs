//! Sanity checks on a RIFF/WAVE header before any decoder sees it.
//!
//! A WAV header whose fields contradict each other (no format chunk, zero channels, a block
//! size that does not match the sample size) would otherwise be "decoded" as loud noise by a
//! lenient reader, and a transcription of noise is worse than a clear error. The checks are
//! only those a real file always passes, so odd but valid files still decode.

use std::io::{Read, Seek, SeekFrom};

use crate::AudioError;

const WAVE_FORMAT_PCM: u16 = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 0x0003;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// Chunks walked before giving up: real files have a handful.
const MAX_CHUNKS: usize = 1_000;

/// Walks the chunks of a RIFF/WAVE file (the reader is at any position; it is left anywhere)
/// and checks the `fmt ` chunk is coherent and a `data` chunk exists. Returns whether the
/// `data` chunk claims more bytes than the file holds: streaming writers put 0xFFFFFFFF there,
/// and a truncated file keeps its original figure, so the header duration cannot be trusted.
pub(crate) fn check_wav<R: Read + Seek>(reader: &mut R) -> Result<bool, AudioError> {
    let corrupt = |why: &str| AudioError::Corrupt(format!("invalid WAV header: {why}"));
    reader.seek(SeekFrom::Start(12))?;
    let mut format_seen = false;
    for _ in 0..MAX_CHUNKS {
        let mut header = [0u8; 8];
        if read_full(reader, &mut header)? < 8 {
            break;
        }
        let id = &header[..4];
        let size = u32::from_le_bytes(header[4..8].try_into().unwrap()) as u64;
        match id {
            b"fmt " => {
                if size < 16 {
                    return Err(corrupt("the format chunk is too short"));
                }
                let mut fmt = [0u8; 16];
                if read_full(reader, &mut fmt)? < 16 {
                    return Err(corrupt("the format chunk is cut off"));
                }
                check_format(&fmt).map_err(|why| corrupt(&why))?;
                format_seen = true;
                // Chunks are padded to an even size.
                reader.seek(SeekFrom::Current((size - 16 + (size & 1)) as i64))?;
            }
            b"data" => {
                return if format_seen {
                    let start = reader.stream_position()?;
                    let end = reader.seek(SeekFrom::End(0))?;
                    Ok(start + size > end)
                } else {
                    Err(corrupt(
                        "the audio data comes before any format description",
                    ))
                };
            }
            _ => {
                if !id.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                    return Err(corrupt("the chunk structure is garbled"));
                }
                reader.seek(SeekFrom::Current((size + (size & 1)) as i64))?;
            }
        }
    }
    Err(corrupt(if format_seen {
        "there is no audio data chunk"
    } else {
        "there is no format chunk"
    }))
}

fn check_format(fmt: &[u8; 16]) -> Result<(), String> {
    let u16_at = |i: usize| u16::from_le_bytes([fmt[i], fmt[i + 1]]);
    let tag = u16_at(0);
    let channels = u16_at(2);
    let sample_rate = u32::from_le_bytes(fmt[4..8].try_into().unwrap());
    let block_align = u16_at(12);
    let bits = u16_at(14);
    if channels == 0 {
        return Err("it declares zero channels".into());
    }
    if !(1_000..=768_000).contains(&sample_rate) {
        return Err(format!(
            "it declares an impossible sample rate of {sample_rate} Hz"
        ));
    }
    if matches!(
        tag,
        WAVE_FORMAT_PCM | WAVE_FORMAT_IEEE_FLOAT | WAVE_FORMAT_EXTENSIBLE
    ) {
        if bits == 0 || bits > 64 {
            return Err(format!("it declares {bits} bits per sample"));
        }
        let expected = channels as u32 * (bits as u32).div_ceil(8);
        if block_align as u32 != expected {
            return Err(format!(
                "its block size ({block_align} bytes) does not match {channels} channel(s) of \
                 {bits}-bit samples"
            ));
        }
    }
    Ok(())
}

/// Reads until `buf` is full or the end of the data; returns how much was read.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn wav(channels: u16, rate: u32, block_align: u16, bits: u16) -> Vec<u8> {
        let mut v = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0".to_vec();
        v.extend(1u16.to_le_bytes());
        v.extend(channels.to_le_bytes());
        v.extend(rate.to_le_bytes());
        v.extend((rate * block_align as u32).to_le_bytes());
        v.extend(block_align.to_le_bytes());
        v.extend(bits.to_le_bytes());
        v.extend(b"data\x04\0\0\0\0\0\0\0");
        v
    }

    #[test]
    fn accepts_a_coherent_header() {
        assert!(!check_wav(&mut Cursor::new(wav(2, 44_100, 4, 16))).unwrap());
        let mut overstated = wav(2, 44_100, 4, 16);
        overstated.truncate(overstated.len() - 2);
        assert!(check_wav(&mut Cursor::new(overstated)).unwrap());
    }

    #[test]
    fn rejects_lies() {
        for bad in [
            wav(0, 44_100, 4, 16),
            wav(2, 3, 4, 16),
            wav(2, 44_100, 3, 16),
        ] {
            let err = check_wav(&mut Cursor::new(bad)).unwrap_err();
            assert!(matches!(err, AudioError::Corrupt(_)), "{err}");
        }
    }
}
