//! Without ffmpeg, the formats it decodes fail with an error that names it, and the formats
//! symphonia decodes still work. (A test binary of its own: it points the ffmpeg programs at
//! paths that do not exist, for the whole process.)

mod common;

use audio::{decode, probe, AudioError, ChannelMode};
use common::*;

#[test]
fn missing_ffmpeg_is_named_in_the_error() {
    // Fixtures first: making them needs the real ffmpeg.
    let opus = fixture("48k-mono-opus.ogg");
    let mpg = fixture("48k-stereo-program.mpg");
    let wav = fixture("s16-44k-mono.wav");
    let mp3 = fixture("cbr-44k-stereo.mp3");

    std::env::set_var("VERBATIM_FFPROBE", "/nonexistent/ffprobe");
    std::env::set_var("VERBATIM_FFMPEG", "/nonexistent/ffmpeg");
    for path in [&opus, &mpg] {
        for err in [
            probe(path).unwrap_err(),
            decode(path, ChannelMode::Mix).unwrap_err(),
        ] {
            assert!(matches!(err, AudioError::MissingTool { .. }), "{err}");
            assert!(
                err.to_string().contains("ffmpeg"),
                "the message should name ffmpeg: {err}"
            );
        }
    }

    // ffprobe present but ffmpeg missing: probing works, decoding names ffmpeg.
    std::env::set_var("VERBATIM_FFPROBE", "ffprobe");
    assert_eq!(probe(&opus).unwrap().format, "ogg");
    let err = decode(&opus, ChannelMode::Mix).unwrap_err();
    assert!(
        matches!(&err, AudioError::MissingTool { tool, .. } if tool == "ffmpeg"),
        "{err}"
    );

    // symphonia's formats need no ffmpeg at all.
    std::env::set_var("VERBATIM_FFPROBE", "/nonexistent/ffprobe");
    for path in [&wav, &mp3] {
        let d = decode(path, ChannelMode::Mix).unwrap();
        assert!((d.probe.duration_seconds - SECONDS).abs() < 0.1);
    }
}
