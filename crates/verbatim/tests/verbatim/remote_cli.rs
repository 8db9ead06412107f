//! The remote command line (`verbatim submit`, `verbatim jobs …`) end to end: the real binary
//! against a real `verbatim serve`, over HTTP, with real speech. The server's own records are
//! read with a plain HTTP client, not with the commands under test.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::server::deployment::{Deployment, Kind};
use crate::server::{assert_transcribes, short_clips, Options, Server, BIN};

crate::server::deployment::on_both_deployments!(files_above_the_threshold_go_presigned);

/// The exit codes of the remote commands (crates/verbatim/src/cli/remote.rs).
const JOB_FAILED: i32 = 1;
const USAGE: i32 = 2;
const SERVER: i32 = 3;

/// `verbatim ARGS` with the server and key given by the environment, as a user would set them.
fn command(base: &str, key: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("VERBATIM_SERVER", base)
        .env("VERBATIM_API_KEY", key);
    command
}

fn run(base: &str, key: &str, args: &[&str]) -> Output {
    command(base, key, args).output().expect("running verbatim")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The stdout of a command that must succeed.
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        stderr(out)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Asserts a command failed with `code` and a message containing `text` on stderr.
fn assert_fails(out: &Output, code: i32, text: &str) {
    let log = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {log}");
    assert!(log.contains(text), "expected {text:?} in: {log}");
}

/// One JSON object per stdout line.
fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A server (embedded deployment) with `workers` and a key of its organisation. The server is
/// first so that it is stopped before its data folder goes.
fn serve(workers: usize) -> (Server, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        Options {
            workers,
            env: Vec::new(),
        },
    );
    let key = server.create_key("acme");
    (server, key, dir)
}

/// A job's record, read straight from the API.
fn record(base: &str, key: &str, id: &str) -> Value {
    reqwest::blocking::Client::new()
        .get(format!("{base}/v1/batch/jobs/{id}"))
        .bearer_auth(key)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn submit_prints_the_transcript_and_writes_the_formats() {
    let (server, key, _dir) = serve(1);
    let clips = short_clips();

    // One file: its transcript on stdout; the log on stderr has no bar (not a terminal).
    let out = run(&server.base, &key, &["submit", path(&clips[0].wav)]);
    assert_transcribes(&ok(&out), &clips[0].reference);
    let log = stderr(&out);
    assert!(
        log.contains(&format!("submitted {}", clips[0].wav.display())) && log.contains(": DONE"),
        "{log}"
    );
    assert!(!log.contains('\r') && !log.contains('\u{1b}'), "{log:?}");

    // Two files, every format into a folder, --json; the flags win over the environment.
    let outputs = tempfile::tempdir().unwrap();
    let out = run(
        "http://127.0.0.1:9",
        "vb_not_this_one",
        &[
            "submit",
            path(&clips[1].wav),
            path(&clips[2].wav),
            "--server",
            &server.base,
            "--api-key",
            &key,
            "--output",
            path(outputs.path()),
            "--format",
            "json,txt,srt,vtt",
            "--json",
        ],
    );
    let lines = json_lines(&ok(&out));
    assert_eq!(lines.len(), 2, "{lines:?}");
    let mut expected_files = Vec::new();
    for (line, clip) in lines.iter().zip(&clips[1..3]) {
        let id = line["job_id"].as_str().expect("job_id");
        assert_eq!(line["status"], "DONE");
        assert_eq!(line["file"], path(&clip.wav));
        assert_eq!(record(&server.base, &key, id)["status"], "DONE");
        for format in ["json", "txt", "srt", "vtt"] {
            let file = outputs.path().join(format!("{id}.{format}"));
            assert_eq!(line["outputs"][format], path(&file));
            expected_files.push(format!("{id}.{format}"));
        }
        let read = |format: &str| {
            std::fs::read_to_string(outputs.path().join(format!("{id}.{format}"))).unwrap()
        };
        assert_transcribes(&read("txt"), &clip.reference);
        let json: Value = serde_json::from_str(&read("json")).unwrap();
        assert_eq!(json["job"]["id"], id);
        assert!(!json["results"].as_array().unwrap().is_empty());
        assert!(read("srt").starts_with("1\n") && read("srt").contains(" --> "));
        assert!(read("vtt").starts_with("WEBVTT"));
    }
    let mut written: Vec<String> = std::fs::read_dir(outputs.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    expected_files.sort();
    assert_eq!(
        written, expected_files,
        "nothing else (no partial download)"
    );
}

/// Above --presign-above the file takes the three presign steps (on the fleet, the PUT goes to
/// S3 itself); at the threshold, one multipart request.
async fn files_above_the_threshold_go_presigned(kind: Kind) {
    let Some(d) = Deployment::start(kind, 1, Vec::new()).await else {
        return;
    };
    let key = d.create_key("acme");
    let base = d.server.base.clone();
    let clip = short_clips()[0].clone();
    let size = std::fs::metadata(&clip.wav).unwrap().len().to_string();
    let wav = path(&clip.wav).to_string();

    let out = run(
        &base,
        &key,
        &["submit", &wav, "--presign-above", "1000", "--json"],
    );
    let line = json_lines(&ok(&out)).remove(0);
    let id = line["job_id"].as_str().unwrap();
    let job = d.api(&key).job(id).await;
    assert_eq!(job["status"], "DONE");
    assert_eq!(job["input_metadata"]["source"], "presigned");
    assert_eq!(job["input_metadata"]["size_bytes"].to_string(), size);
    let text = ok(&run(&base, &key, &["submit", &wav, "--presign-above", "0"]));
    assert_transcribes(&text, &clip.reference);

    let out = run(
        &base,
        &key,
        &["submit", &wav, "--presign-above", &size, "--no-wait"],
    );
    let id = ok(&out).trim().to_string();
    let job = d.api(&key).job(&id).await;
    assert_eq!(job["input_metadata"]["source"], "upload", "{job}");
}

#[test]
fn jobs_commands_list_get_files_cancel_and_delete() {
    // No worker: the jobs stay QUEUED until they are cancelled.
    let (server, key, _dir) = serve(0);
    let base = server.base.as_str();
    let clip = &short_clips()[0];
    let out = run(
        base,
        &key,
        &["submit", path(&clip.wav), "--no-wait", "--json"],
    );
    let accepted = json_lines(&ok(&out)).remove(0);
    assert_eq!(accepted["status"], "QUEUED");
    let id = accepted["job_id"].as_str().unwrap().to_string();

    let list = json_lines(&ok(&run(base, &key, &["jobs", "list", "--json"]))).remove(0);
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["items"][0]["job_id"], id.as_str());
    let table = ok(&run(base, &key, &["jobs", "list", "--status", "QUEUED"]));
    let row = table.lines().nth(1).expect("a row under the header");
    assert!(row.starts_with(&id) && row.contains("QUEUED"), "{table}");
    let table = ok(&run(base, &key, &["jobs", "list", "--status", "DONE"]));
    assert_eq!(table.lines().count(), 1, "only the header: {table}");

    let shown = ok(&run(base, &key, &["jobs", "get", &id]));
    assert!(
        shown.contains(&format!("job_id:    {id}")) && shown.contains("status:    QUEUED"),
        "{shown}"
    );
    let files = json_lines(&ok(&run(base, &key, &["jobs", "files", &id, "--json"]))).remove(0);
    assert_eq!(files["inputs"].as_array().unwrap().len(), 1);
    assert_eq!(files["outputs"], serde_json::json!([]));
    let listing = ok(&run(base, &key, &["jobs", "files", &id]));
    assert!(listing.starts_with("input\tinputs/"), "{listing}");

    // A queued job cannot be deleted: the server's message, exit 3.
    let out = run(base, &key, &["jobs", "delete", &id]);
    assert_fails(&out, SERVER, "Job must be DONE or FAILED to delete");
    let out = run(base, &key, &["jobs", "get", "nosuchjob"]);
    assert_fails(&out, SERVER, "Job not found");

    let cancelled = ok(&run(base, &key, &["jobs", "cancel", &id]));
    assert_eq!(cancelled.trim(), format!("{id} FAILED (Cancelled)"));
    assert_eq!(
        record(base, &key, &id)["error_message"]["message"],
        "Cancelled"
    );
    let deleted = ok(&run(base, &key, &["jobs", "delete", &id, "--json"]));
    assert_eq!(json_lines(&deleted)[0]["status"], "DELETED");
    assert_eq!(record(base, &key, &id)["status"], "DELETED");

    // A job cancelled while `submit` waits for it: exit 1 with the reason.
    let mut waiting = command(
        base,
        &key,
        &["submit", path(&clip.wav), "--poll-interval", "100ms"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let id = wait_for_queued_job(base, &key, &id);
    ok(&run(base, &key, &["jobs", "cancel", &id]));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = waiting.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "submit did not end after the cancel"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    waiting
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert_eq!(status.code(), Some(JOB_FAILED), "{log}");
    assert!(
        log.contains(&format!("job {id} ")) && log.contains("failed: Cancelled"),
        "{log}"
    );
}

/// The id of the organisation's QUEUED job other than `other`, once there is one.
fn wait_for_queued_job(base: &str, key: &str, other: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list: Value = reqwest::blocking::Client::new()
            .get(format!("{base}/v1/batch/jobs?status=QUEUED"))
            .bearer_auth(key)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let queued = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|j| j["job_id"].as_str())
            .find(|id| *id != other);
        if let Some(id) = queued {
            return id.to_string();
        }
        assert!(Instant::now() < deadline, "the submission never arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_refused_key_a_server_down_and_bad_usage_are_clear_errors() {
    let (server, key, _dir) = serve(0);
    let wav = short_clips()[0].wav.clone();
    let wav = path(&wav);

    for args in [vec!["submit", wav], vec!["jobs", "list"]] {
        let out = run(&server.base, "vb_wrong", &args);
        assert_fails(
            &out,
            SERVER,
            "the server refused the API key (403: API key id not found)",
        );
    }

    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = format!("http://127.0.0.1:{port}");
    for args in [vec!["submit", wav], vec!["jobs", "get", "abc"]] {
        let out = run(&down, &key, &args);
        assert_fails(&out, SERVER, &format!("cannot reach the server at {down}"));
    }

    let out = run(&server.base, &key, &["submit", "/nonexistent/talk.wav"]);
    assert_fails(&out, USAGE, "/nonexistent/talk.wav");
    let out = run(&server.base, &key, &["submit", wav, "--config", "[1]"]);
    assert_fails(&out, USAGE, "--config must be a JSON object");
    let out = run("localhost:8080", &key, &["jobs", "list"]);
    assert_fails(&out, USAGE, "is not a server URL");
    let out = Command::new(BIN)
        .args(["jobs", "list"])
        .env_remove("VERBATIM_API_KEY")
        .output()
        .unwrap();
    assert_fails(&out, USAGE, "--api-key");
    // The server's own refusal of a bad config.
    let out = run(&server.base, &key, &["submit", wav, "--language", "xx"]);
    assert_eq!(out.status.code(), Some(SERVER), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the server refused the request (400: "),
        "{}",
        stderr(&out)
    );
    // Nothing was created by any of these.
    let list = json_lines(&ok(&run(&server.base, &key, &["jobs", "list", "--json"]))).remove(0);
    assert_eq!(list["meta"]["total"], 0, "{list}");
}

#[test]
fn a_job_that_fails_exits_1_with_the_servers_message() {
    let (server, key, dir) = serve(1);
    let text = dir.path().join("notes.wav");
    std::fs::write(
        &text,
        "These are meeting notes, not a recording.\n".repeat(20),
    )
    .unwrap();
    let out = run(&server.base, &key, &["submit", path(&text), "--json"]);
    let line = json_lines(&String::from_utf8_lossy(&out.stdout)).remove(0);
    let id = line["job_id"].as_str().unwrap();
    let job = record(&server.base, &key, id);
    assert_eq!(job["status"], "FAILED");
    let message = job["error_message"]["message"].as_str().unwrap();
    assert!(!message.is_empty());
    assert_eq!(line["error_message"]["message"], message);
    assert_fails(
        &out,
        JOB_FAILED,
        &format!("error: job {id} ({}) failed: {message}", text.display()),
    );
}
