//! Without ffmpeg, the formats it decodes fail with an error that names it, and the formats
//! symphonia decodes still work. The programs are given as settings, so the rest of the suite,
//! in the same process, keeps the real ones.

use std::path::PathBuf;

use crate::common::*;
use audio::{decode_with, probe_with, AudioError, ChannelMode, Settings, Tools};

fn with_tools(ffprobe: &str, ffmpeg: &str) -> Settings {
    Settings {
        tools: Tools {
            ffprobe: PathBuf::from(ffprobe),
            ffmpeg: PathBuf::from(ffmpeg),
        },
        ..Settings::default()
    }
}

#[test]
fn missing_ffmpeg_is_named_in_the_error() {
    let opus = fixture("48k-mono-opus.ogg");
    let mpg = fixture("48k-stereo-program.mpg");
    let wav = fixture("s16-44k-mono.wav");
    let mp3 = fixture("cbr-44k-stereo.mp3");

    let neither = with_tools("/nonexistent/ffprobe", "/nonexistent/ffmpeg");
    for path in [&opus, &mpg] {
        for err in [
            probe_with(path, &neither).unwrap_err(),
            decode_with(path, ChannelMode::Mix, &neither).unwrap_err(),
        ] {
            assert!(matches!(err, AudioError::MissingTool { .. }), "{err}");
            assert!(
                err.to_string().contains("ffmpeg"),
                "the message should name ffmpeg: {err}"
            );
        }
    }

    // ffprobe present but ffmpeg missing: probing works, decoding names ffmpeg.
    let no_ffmpeg = with_tools("ffprobe", "/nonexistent/ffmpeg");
    assert_eq!(probe_with(&opus, &no_ffmpeg).unwrap().format, "ogg");
    let err = decode_with(&opus, ChannelMode::Mix, &no_ffmpeg).unwrap_err();
    assert!(
        matches!(&err, AudioError::MissingTool { tool, .. } if tool == "ffmpeg"),
        "{err}"
    );

    // symphonia's formats need no ffmpeg at all.
    for path in [&wav, &mp3] {
        let d = decode_with(path, ChannelMode::Mix, &neither).unwrap();
        assert!((d.probe.duration_seconds - SECONDS).abs() < 0.1);
    }
}
