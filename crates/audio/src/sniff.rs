//! Tells a file's format from its first bytes (magic numbers), never from its name.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use crate::mpeg_frames::{frames_at_start, FrameKind};
use crate::{riff, AudioError};

/// Which decoder a format goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// symphonia, with ffmpeg as the fallback should symphonia refuse the file.
    Symphonia,
    /// ffmpeg only: symphonia has no decoder for it (Opus, AMR, MPEG program streams…).
    Ffmpeg,
}

/// A recognised format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sniffed {
    /// The contract's short name.
    pub format: &'static str,
    pub mime: &'static str,
    pub route: Route,
    /// File extension that steers symphonia's probe to the right reader.
    pub hint: &'static str,
    /// The ffmpeg demuxer of this format: ffprobe and ffmpeg are told it (`-f`) rather than left
    /// to guess, since their guess may be a demuxer that opens other files.
    pub demuxer: &'static str,
    /// The container's own duration figure is known to be wrong (a WAV `data` chunk larger
    /// than the file).
    pub duration_unreliable: bool,
}

/// How far into the file (after any ID3v2 tags) the magic bytes are looked for.
const WINDOW: usize = 64 * 1024;

/// Recognises the format. `Ok(None)` when nothing here knows the content (ffprobe gets the
/// last word); an error when the content is plainly not audio or its header is incoherent.
pub(crate) fn sniff(file: &mut File) -> Result<Option<Sniffed>, AudioError> {
    let file_len = file.metadata()?.len();
    if file_len == 0 {
        return Err(AudioError::Empty);
    }
    let mut offset = 0u64;
    let mut window = read_window(file, offset)?;
    // ID3v2 tags (with cover art they can be megabytes) may precede MPEG audio, ADTS or FLAC.
    while let Some(tag_len) = id3v2_len(&window) {
        offset += tag_len;
        window = read_window(file, offset)?;
    }
    let whole = offset + window.len() as u64 >= file_len;
    let mut found = match_magic(&window, whole);
    if let Some(s) = found
        .as_mut()
        .filter(|s| s.format == "wav" && window.starts_with(b"RIFF"))
    {
        s.duration_unreliable = riff::check_wav(file)?;
    }
    if found.is_none() && window.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        // Matroska / WebM: a container ffmpeg could read, but not one of the contract's, so
        // never handed to it.
        return Err(AudioError::Unsupported(
            "matroska,webm (supported: wav, mp3, flac, aac, ogg, m4a, mp4, amr, mpeg)".into(),
        ));
    }
    if found.is_none() && offset == 0 && looks_like_text(&window) {
        return Err(AudioError::Unsupported(
            "the file contains text, not audio".into(),
        ));
    }
    Ok(found)
}

fn read_window(file: &mut File, offset: u64) -> Result<Vec<u8>, AudioError> {
    file.seek(SeekFrom::Start(offset))?;
    let mut window = Vec::with_capacity(WINDOW);
    file.take(WINDOW as u64).read_to_end(&mut window)?;
    Ok(window)
}

/// Length of an ID3v2 tag at the start of `data`, header (and footer) included.
fn id3v2_len(data: &[u8]) -> Option<u64> {
    if data.len() < 10 || &data[..3] != b"ID3" || data[6..10].iter().any(|b| b & 0x80 != 0) {
        return None;
    }
    // The size is "synchsafe": 7 bits per byte.
    let size = data[6..10]
        .iter()
        .fold(0u64, |acc, b| (acc << 7) | *b as u64);
    let footer = if data[5] & 0x10 != 0 { 10 } else { 0 };
    Some(10 + size + footer)
}

fn match_magic(b: &[u8], whole: bool) -> Option<Sniffed> {
    let s = |format, mime, route, hint| {
        Some(Sniffed {
            format,
            mime,
            route,
            hint,
            demuxer: demuxer_for(hint),
            duration_unreliable: false,
        })
    };
    use Route::*;
    if b.len() >= 12 && &b[8..12] == b"WAVE" {
        return match &b[..4] {
            b"RIFF" => s("wav", "audio/wav", Symphonia, "wav"),
            // RF64/BW64 (files over 4 GB) and big-endian RIFX: symphonia reads neither.
            b"RF64" | b"BW64" | b"RIFX" => s("wav", "audio/wav", Ffmpeg, "wav"),
            _ => None,
        };
    }
    if b.starts_with(b"fLaC") {
        return s("flac", "audio/flac", Symphonia, "flac");
    }
    if b.starts_with(b"OggS") {
        return Some(ogg(b));
    }
    if b.starts_with(b"#!AMR") {
        return s("amr", "audio/amr", Ffmpeg, "amr");
    }
    // MPEG-4 goes to ffmpeg, in a process of its own: fuzzing found few-KB files that make
    // symphonia's MP4 reader and ALAC decoder reserve 17 and 28 GB, which aborts the whole
    // server (fuzz/regressions/).
    if b.len() >= 12 && &b[4..8] == b"ftyp" {
        // The M4A family of brands marks an audio-only MPEG-4 file.
        return match &b[8..12] {
            b"M4A " | b"M4B " | b"M4P " => s("m4a", "audio/mp4", Ffmpeg, "m4a"),
            _ => s("mp4", "video/mp4", Ffmpeg, "mp4"),
        };
    }
    if b.len() >= 8 && matches!(&b[4..8], b"moov" | b"mdat" | b"wide" | b"free") {
        // QuickTime-style MPEG-4 without an `ftyp` box.
        return s("mp4", "video/mp4", Ffmpeg, "mp4");
    }
    if b.starts_with(&[0x00, 0x00, 0x01, 0xBA]) {
        return s("mpeg", "video/mpeg", Ffmpeg, "mpg");
    }
    if b.len() > 188 * 2 && b[0] == 0x47 && b[188] == 0x47 && b[376] == 0x47 {
        return s("mpeg", "video/mp2t", Ffmpeg, "ts");
    }
    match frames_at_start(b, whole)? {
        FrameKind::Adts => s("aac", "audio/aac", Symphonia, "aac"),
        FrameKind::MpegAudio { layer: 3 } => s("mp3", "audio/mpeg", Symphonia, "mp3"),
        FrameKind::MpegAudio { layer: 2 } => s("mpeg", "audio/mpeg", Symphonia, "mp2"),
        FrameKind::MpegAudio { .. } => s("mpeg", "audio/mpeg", Symphonia, "mp1"),
    }
}

/// Ogg is one container for several codecs; symphonia decodes Vorbis and FLAC in it.
fn ogg(b: &[u8]) -> Sniffed {
    // The first page's first packet names the codec; it follows the 27-byte page header and
    // the segment table.
    let first_packet = b
        .get(26)
        .and_then(|&segments| b.get(27 + segments as usize..))
        .unwrap_or(&[]);
    let route = if first_packet.starts_with(b"\x01vorbis") || first_packet.starts_with(b"\x7fFLAC")
    {
        Route::Symphonia
    } else {
        Route::Ffmpeg
    };
    Sniffed {
        format: "ogg",
        mime: "audio/ogg",
        route,
        hint: "ogg",
        demuxer: "ogg",
        duration_unreliable: false,
    }
}

/// ffmpeg's demuxer for a symphonia hint.
fn demuxer_for(hint: &str) -> &'static str {
    match hint {
        "wav" => "wav",
        "flac" => "flac",
        "ogg" => "ogg",
        "amr" => "amr",
        "m4a" | "mp4" => "mov",
        "mpg" => "mpeg",
        "ts" => "mpegts",
        "aac" => "aac",
        // ffmpeg's mp3 demuxer reads MPEG audio of every layer.
        _ => "mp3",
    }
}

/// True for content that is clearly text: valid UTF-8 without control characters other than
/// whitespace.
fn looks_like_text(b: &[u8]) -> bool {
    let head = &b[..b.len().min(4096)];
    // A multi-byte character cut at the window's end is still text.
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap(),
        Err(_) => return false,
    };
    !valid.is_empty()
        && valid
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
}
