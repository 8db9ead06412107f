//! Identifies a file and opens the decoder that suits it: symphonia where it can, ffmpeg
//! where it cannot.

use std::fs::File;
use std::path::Path;

use crate::ffmpeg::{ffprobe, FfmpegSource, FfprobeInfo};
use crate::sniff::{sniff, Route, Sniffed};
use crate::source::PcmSource;
use crate::symphonia_source::SymphoniaSource;
use crate::{AudioError, Probe, Settings};

/// A file identified and ready to decode. `probe.duration_seconds` is the headers' figure
/// (0 where they have none).
pub(crate) struct Opened {
    pub probe: Probe,
    pub source: Box<dyn PcmSource>,
}

pub(crate) fn probe(path: &Path, settings: &Settings) -> Result<Probe, AudioError> {
    let probe = by_route(path, settings, symphonia_probe, ffmpeg_probe)?;
    settings.check_seconds(probe.duration_seconds)?;
    Ok(probe)
}

pub(crate) fn open(path: &Path, settings: &Settings) -> Result<Opened, AudioError> {
    let opened = by_route(path, settings, symphonia_open, ffmpeg_open)?;
    settings.check_seconds(opened.probe.duration_seconds)?;
    Ok(opened)
}

/// `symphonia` for the formats sniffed as its own, with `ffmpeg` behind it; `ffmpeg` alone for
/// the rest.
fn by_route<T>(
    path: &Path,
    settings: &Settings,
    symphonia: fn(&Path, Sniffed) -> Result<T, AudioError>,
    ffmpeg: fn(&Path, FfprobeNamed, &Settings) -> Result<T, AudioError>,
) -> Result<T, AudioError> {
    let by_ffmpeg = |sniffed| ffmpeg(path, ffprobe_named(path, sniffed, settings)?, settings);
    match sniff(&mut File::open(path)?)? {
        Some(s) if s.route == Route::Symphonia => {
            symphonia(path, s).or_else(|e| by_ffmpeg(Some(s)).map_err(|fe| prefer(e, fe)))
        }
        other => by_ffmpeg(other),
    }
}

/// Which error to report when symphonia failed and the ffmpeg fallback failed too. Where
/// symphonia merely lacked support, ffmpeg's verdict (e.g. "ffmpeg is not installed") is the
/// useful one; where symphonia found the data broken, that is.
fn prefer(symphonia: AudioError, ffmpeg: AudioError) -> AudioError {
    match symphonia {
        AudioError::Unsupported(_) | AudioError::NoAudioTrack => ffmpeg,
        other => other,
    }
}

fn named(s: Sniffed, duration_seconds: f64, channels: u16, sample_rate: u32) -> Probe {
    Probe {
        format: s.format.to_string(),
        mime_type: s.mime.to_string(),
        duration_seconds,
        channels,
        sample_rate,
    }
}

fn symphonia_open(path: &Path, s: Sniffed) -> Result<Opened, AudioError> {
    let mut source = SymphoniaSource::open(path, s.hint)?;
    source.prime()?;
    let h = source.header();
    let probe = named(
        s,
        h.duration_seconds
            .filter(|_| !s.duration_unreliable)
            .unwrap_or(0.0),
        h.channels.unwrap_or(0),
        h.sample_rate.unwrap_or(0),
    );
    Ok(Opened {
        probe,
        source: Box::new(source),
    })
}

fn symphonia_probe(path: &Path, s: Sniffed) -> Result<Probe, AudioError> {
    let source = SymphoniaSource::open(path, s.hint)?;
    let h = source.header();
    // Raw MPEG audio and ADTS headers give at best an estimate from the bitrate (wrong for VBR
    // without a Xing header): walking the frames is exact and needs no decoding.
    let estimated = matches!(s.hint, "mp3" | "mp2" | "mp1" | "aac") || s.duration_unreliable;
    let duration = match h.duration_seconds {
        Some(d) if !estimated => d,
        _ => source.count_duration()?,
    };
    let (mut channels, mut sample_rate) = (h.channels.unwrap_or(0), h.sample_rate.unwrap_or(0));
    if channels == 0 || sample_rate == 0 {
        // Some containers leave these to the codec: decode one block to learn them.
        let mut source = SymphoniaSource::open(path, s.hint)?;
        let block = source
            .next_block()?
            .ok_or_else(|| AudioError::Corrupt("no audio could be decoded".into()))?;
        channels = block.planes.len() as u16;
        sample_rate = block.sample_rate;
    }
    no_audio_check(duration)?;
    Ok(named(s, duration, channels, sample_rate))
}

/// The contract's name for a format ffprobe recognised, when we did not.
fn name_from_ffprobe(info: &FfprobeInfo) -> Result<(&'static str, &'static str), AudioError> {
    let demuxer = info.format_name.split(',').next().unwrap_or_default();
    let codec = info.audio.as_ref().map_or("", |a| a.codec_name.as_str());
    Ok(match demuxer {
        "wav" => ("wav", "audio/wav"),
        "mp3" if codec == "mp3" => ("mp3", "audio/mpeg"),
        "mp3" => ("mpeg", "audio/mpeg"),
        "flac" => ("flac", "audio/flac"),
        "aac" => ("aac", "audio/aac"),
        "ogg" => ("ogg", "audio/ogg"),
        "amr" | "amrnb" | "amrwb" => ("amr", "audio/amr"),
        "mov" => ("mp4", "video/mp4"),
        "mpeg" => ("mpeg", "video/mpeg"),
        "mpegts" => ("mpeg", "video/mp2t"),
        _ => {
            return Err(AudioError::Unsupported(format!(
                "{} (supported: wav, mp3, flac, aac, ogg, m4a, mp4, amr, mpeg)",
                info.format_name
            )))
        }
    })
}

/// A file as ffprobe saw it: named and checked for an audio stream.
struct FfprobeNamed {
    probe: Probe,
    /// The container gave a duration.
    has_duration: bool,
    /// The demuxer ffprobe used, for ffmpeg to use too.
    demuxer: String,
}

/// ffprobe's view of a file, named and checked for an audio stream.
fn ffprobe_named(
    path: &Path,
    sniffed: Option<Sniffed>,
    settings: &Settings,
) -> Result<FfprobeNamed, AudioError> {
    let info = ffprobe(
        path,
        sniffed.map(|s| (s.format, s.demuxer)),
        &settings.tools,
        settings.tool_timeout,
    )?;
    let demuxer = info
        .format_name
        .split(',')
        .next()
        .unwrap_or_default()
        .to_string();
    let (format, mime) = match sniffed {
        Some(s) => (s.format, s.mime),
        None => name_from_ffprobe(&info)?,
    };
    let audio = match (&info.audio, sniffed) {
        (Some(audio), _) => audio,
        (None, Some(_)) => return Err(AudioError::NoAudioTrack),
        // ffprobe "found" a format in content nothing else recognised, but no usable audio in
        // it: random bytes do this.
        (None, None) => {
            return Err(AudioError::Unsupported(
                "the content is not a known audio format".into(),
            ))
        }
    };
    let duration = audio.duration_seconds.or(info.duration_seconds);
    let probe = Probe {
        format: format.to_string(),
        mime_type: mime.to_string(),
        duration_seconds: duration.unwrap_or(0.0),
        channels: audio.channels,
        sample_rate: audio.sample_rate,
    };
    Ok(FfprobeNamed {
        probe,
        has_duration: duration.is_some(),
        demuxer,
    })
}

impl FfprobeNamed {
    /// ffmpeg decoding the file at its native rate (no resampling), with ffprobe's demuxer.
    fn decoder(&self, path: &Path, settings: &Settings) -> Result<FfmpegSource, AudioError> {
        FfmpegSource::spawn(
            path,
            &self.demuxer,
            self.probe.channels,
            self.probe.sample_rate,
            &settings.tools,
            settings.tool_timeout,
        )
    }
}

fn ffmpeg_open(
    path: &Path,
    named: FfprobeNamed,
    settings: &Settings,
) -> Result<Opened, AudioError> {
    let source = named.decoder(path, settings)?;
    Ok(Opened {
        probe: named.probe,
        source: Box::new(source),
    })
}

fn ffmpeg_probe(
    path: &Path,
    named: FfprobeNamed,
    settings: &Settings,
) -> Result<Probe, AudioError> {
    let mut probe = named.probe.clone();
    if !named.has_duration {
        // Nothing in the headers: decode and count.
        let mut source = named.decoder(path, settings)?;
        let mut frames = 0u64;
        while let Some(block) = source.next_block()? {
            frames += block.planes.first().map_or(0, Vec::len) as u64;
            settings.check_seconds(frames as f64 / probe.sample_rate as f64)?;
        }
        probe.duration_seconds = frames as f64 / probe.sample_rate as f64;
    }
    no_audio_check(probe.duration_seconds)?;
    Ok(probe)
}

/// A file with no audio in it is as useless to transcribe as a broken one; say so at probe
/// time rather than accept it and fail at decode time.
fn no_audio_check(duration_seconds: f64) -> Result<(), AudioError> {
    if duration_seconds > 0.0 {
        Ok(())
    } else {
        Err(AudioError::Corrupt(
            "no audio could be decoded from the file".into(),
        ))
    }
}
