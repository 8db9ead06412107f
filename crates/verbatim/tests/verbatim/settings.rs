//! The binary reads every setting, from its flags or their environment variables, once at start
//! (the library crates are given values): a bad value stops it with the variable's name, and
//! what a variable says reaches the library that uses it.

use std::process::{Command, Output};

use crate::common::{fixtures, models_dir};

/// `verbatim ARGS` with `env` set (and the test models), none of the test's own settings.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_verbatim"));
    command
        .args(args)
        .env("VERBATIM_MODELS_DIR", models_dir())
        .env_remove("VERBATIM_MODEL");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_bad_value_from_a_variable_names_the_variable() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path().to_str().unwrap();
    for (command, variable, value) in [
        ("serve", "VERBATIM_WORKERS", "two"),
        ("serve", "VERBATIM_URL_TIMEOUT", "0"),
        ("serve", "VERBATIM_MAX_UPLOAD_BYTES", "1GB"),
        ("worker", "VERBATIM_SHUTDOWN_GRACE_SECS", "soon"),
        ("worker", "VERBATIM_LEASE_SECONDS", "-5"),
        ("serve", "VERBATIM_RETENTION", "never"),
        ("worker", "VERBATIM_RETENTION", "0"),
    ] {
        let out = run(&[command, "--data-dir", data], &[(variable, value)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{variable}={value}: {err}");
        assert!(
            err.starts_with(&format!("error: {variable}: invalid value '{value}'")),
            "{variable}={value}: {err}"
        );
    }
    // The same value on the command line is the flag's fault, not the variable's.
    let out = run(
        &["serve", "--workers", "two"],
        &[("VERBATIM_WORKERS", "two")],
    );
    let err = stderr(&out);
    assert!(
        err.starts_with("error: invalid value 'two' for '--workers"),
        "{err}"
    );
}

#[test]
fn a_half_done_s3_configuration_stops_the_worker() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path().to_str().unwrap();
    for (variable, missing) in [
        ("VERBATIM_INPUT_BUCKET", "VERBATIM_OUTPUT_BUCKET"),
        ("VERBATIM_OUTPUT_BUCKET", "VERBATIM_INPUT_BUCKET"),
        ("VERBATIM_S3_ENDPOINT", "VERBATIM_INPUT_BUCKET"),
    ] {
        let value = if variable == "VERBATIM_S3_ENDPOINT" {
            "http://127.0.0.1:9"
        } else {
            "bucket"
        };
        let out = run(&["worker", "--data-dir", data], &[(variable, value)]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{variable}: {err}");
        assert!(
            err.contains(&format!(
                "S3 storage is configured but {missing} is not set"
            )),
            "{variable}: {err}"
        );
    }
}

/// `VERBATIM_FFPROBE` / `VERBATIM_FFMPEG` name the programs the audio crate runs: pointed at
/// nothing, a format only ffmpeg reads fails naming it; pointed at the real ones, it decodes.
#[test]
fn the_ffmpeg_variables_reach_the_decoder() {
    let opus = fixtures()
        .into_iter()
        .find(|f| f.kind == "format" && f.wav.to_string_lossy().ends_with(".opus.ogg"))
        .expect("an opus fixture");
    let file = opus.wav.to_str().unwrap();
    let out = run(
        &["transcribe", file],
        &[
            ("VERBATIM_FFPROBE", "/nonexistent/ffprobe"),
            ("VERBATIM_FFMPEG", "/nonexistent/ffmpeg"),
        ],
    );
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("needs the `ffprobe` program, which could not be run"),
        "{err}"
    );

    let found = |program: &str| {
        let out = Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (ffprobe, ffmpeg) = (found("ffprobe"), found("ffmpeg"));
    let out = run(
        &["transcribe", file],
        &[("VERBATIM_FFPROBE", &ffprobe), ("VERBATIM_FFMPEG", &ffmpeg)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).trim().is_empty());
}
