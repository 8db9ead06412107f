//! Recognises raw MPEG audio (layer I/II/III) and AAC ADTS streams by their frame headers.
//!
//! Hand-written because neither symphonia nor any small crate exposes "is this buffer a run of
//! MPEG audio frames, and which layer": symphonia's probe would accept a single stray sync
//! word in random bytes, and it cannot tell layer II from layer III before decoding. Requiring
//! several consecutive, length-consistent frames makes a false match on garbage unlikely.

/// What a run of frames is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameKind {
    /// MPEG-1/2/2.5 audio; `layer` is 1, 2 or 3.
    MpegAudio {
        layer: u8,
    },
    Adts,
}

/// Frames in a row needed to accept a stream (fewer when the data ends first).
const FRAMES_REQUIRED: usize = 3;

/// Whether `data` starts with `FRAMES_REQUIRED` consecutive valid frames of one kind (or valid
/// frames run exactly to the end of `data` when `data_is_whole`), and of which kind.
///
/// Only a run at offset 0 counts (the caller has skipped any ID3v2 tag): ffmpeg's own probes
/// would read a file whose frames start later as something else (an HLS playlist with frame
/// headers in a comment line was once taken for AAC, then decoded by ffmpeg as a playlist that
/// pointed at another job's input).
pub(crate) fn frames_at_start(data: &[u8], data_is_whole: bool) -> Option<FrameKind> {
    let (kind, _) = parse_header(data)?;
    let (mut pos, mut count) = (0, 0);
    loop {
        if count == FRAMES_REQUIRED {
            return Some(kind);
        }
        if pos >= data.len() {
            // The data ran out mid-run: a whole file may hold a single frame exactly; a
            // window (or a truncated last frame) needs two matched frames.
            let ok = count >= 2 || (data_is_whole && pos == data.len() && count >= 1);
            return ok.then_some(kind);
        }
        match parse_header(&data[pos..]) {
            Some((k, len)) if k == kind => {
                pos += len;
                count += 1;
            }
            _ => return None,
        }
    }
}

/// Parses one frame header at the start of `b`: its kind and total frame length in bytes.
fn parse_header(b: &[u8]) -> Option<(FrameKind, usize)> {
    if b.len() < 4 || b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
        return None;
    }
    let layer_bits = (b[1] >> 1) & 0b11;
    if layer_bits == 0 {
        return parse_adts(b);
    }
    let version_bits = (b[1] >> 3) & 0b11;
    if version_bits == 0b01 {
        return None; // reserved
    }
    let layer = 4 - layer_bits; // 0b11 → I, 0b10 → II, 0b01 → III
    let bitrate_index = (b[2] >> 4) as usize;
    let rate_index = ((b[2] >> 2) & 0b11) as usize;
    // Free-format (index 0) frames have no length in the header; they are too rare to matter.
    if bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    let mpeg1 = version_bits == 0b11;
    const RATES: [[u32; 3]; 3] = [
        [44_100, 48_000, 32_000],
        [22_050, 24_000, 16_000],
        [11_025, 12_000, 8_000],
    ];
    let sample_rate = match version_bits {
        0b11 => RATES[0][rate_index],
        0b10 => RATES[1][rate_index],
        _ => RATES[2][rate_index],
    };
    const V1_L1: [u32; 15] = [
        0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
    ];
    const V1_L2: [u32; 15] = [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    ];
    const V1_L3: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const V2_L1: [u32; 15] = [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ];
    const V2_L23: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let kbps = match (mpeg1, layer) {
        (true, 1) => V1_L1,
        (true, 2) => V1_L2,
        (true, _) => V1_L3,
        (false, 1) => V2_L1,
        (false, _) => V2_L23,
    }[bitrate_index];
    let bitrate = kbps * 1000;
    let padding = ((b[2] >> 1) & 1) as u32;
    let len = match layer {
        1 => (12 * bitrate / sample_rate + padding) * 4,
        3 if !mpeg1 => 72 * bitrate / sample_rate + padding,
        _ => 144 * bitrate / sample_rate + padding,
    };
    (len > 4).then_some((FrameKind::MpegAudio { layer }, len as usize))
}

fn parse_adts(b: &[u8]) -> Option<(FrameKind, usize)> {
    if b.len() < 7 || b[1] & 0xF0 != 0xF0 {
        return None;
    }
    let rate_index = (b[2] >> 2) & 0x0F;
    if rate_index >= 13 {
        return None;
    }
    let len = (((b[3] & 0b11) as usize) << 11) | ((b[4] as usize) << 3) | ((b[5] as usize) >> 5);
    // A frame is at least its 7-byte header.
    (len >= 7).then_some((FrameKind::Adts, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    // MPEG-1 layer III, 128 kb/s, 44.1 kHz, no padding: 417-byte frames.
    fn mp3_frame() -> Vec<u8> {
        let mut f = vec![0u8; 417];
        f[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        f
    }

    #[test]
    fn accepts_a_run_of_frames_at_the_start() {
        let data: Vec<u8> = (0..4).flat_map(|_| mp3_frame()).collect();
        assert_eq!(
            frames_at_start(&data, true),
            Some(FrameKind::MpegAudio { layer: 3 })
        );
    }

    #[test]
    fn refuses_frames_that_start_later() {
        let mut data = b"#EXTM3U\n# ".to_vec();
        for _ in 0..4 {
            data.extend(mp3_frame());
        }
        assert_eq!(frames_at_start(&data, true), None);
    }

    #[test]
    fn rejects_a_single_stray_sync_word() {
        let mut data = vec![0x55u8; 4000];
        data[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        assert_eq!(frames_at_start(&data, true), None);
    }

    #[test]
    fn recognises_adts() {
        // AAC LC, 44.1 kHz, stereo, 100-byte frames.
        let mut frame = [0u8; 100];
        frame[..7].copy_from_slice(&[0xFF, 0xF1, 0x50, 0x80, 0x0C, 0x9F, 0xFC]);
        let data: Vec<u8> = frame.iter().cycle().take(500).copied().collect();
        assert_eq!(frames_at_start(&data, true), Some(FrameKind::Adts));
    }
}
