//! Schema-driven testing: `schemathesis` (pinned, installed by scripts/install-schemathesis.sh)
//! reads the server's own `GET /openapi.json`, generates requests for every operation (valid and
//! invalid ones, with a fixed seed) and checks every answer against the document: no 5xx, only
//! documented statuses, content types, headers and bodies. On both deployments. Then every error
//! answer it recorded is checked for the contract's shape.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::server::deployment::{Deployment, Kind};

crate::server::deployment::on_both_deployments!(generated_requests_conform_to_the_document);

/// Past this many requests per deployment a run is a real exploration of the document.
const MIN_REQUESTS: usize = 500;

fn schemathesis() -> PathBuf {
    crate::common::venv_tool(
        "VERBATIM_SCHEMATHESIS",
        "tests/.venv-schemathesis/bin/schemathesis",
        "scripts/install-schemathesis.sh",
    )
}

async fn generated_requests_conform_to_the_document(kind: Kind) {
    let env = vec![
        // Hundreds of POSTs a minute from one key: the limiter would answer most with 429.
        (
            "VERBATIM_RATE_LIMIT_PER_MINUTE".to_string(),
            "0".to_string(),
        ),
    ];
    let Some(d) = Deployment::start(kind, 1, env).await else {
        return;
    };
    let key = d.create_key("fuzz");
    let reports = tempfile::tempdir().unwrap();
    let har = reports.path().join("requests.har");
    let out = Command::new(schemathesis())
        // Its cache (.schemathesis/) goes with the reports, not into the source tree.
        .current_dir(reports.path())
        .arg("run")
        .arg(format!("{}/openapi.json", d.server.base))
        .args(["--header", &format!("Authorization: Bearer {key}")])
        // Not `missing_required_header`: it wants 401 without `Authorization` on every route,
        // where the contract answers 403 `API key id not found` on the batch routes (the
        // OpenAI routes answer 401, as OpenAI does; ignored_auth checks every refusal).
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance,response_headers_conformance,\
             unsupported_method,ignored_auth",
        ])
        .args([
            "--seed",
            "20261201",
            "--max-examples",
            "50",
            "--workers",
            "1",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--request-timeout", "120", "--no-shrink"])
        .args(["--suppress-health-check", "all", "--warnings", "off"])
        .args(["--report", "har", "--report-har-path"])
        .arg(&har)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures on {kind:?}:\n{stdout}\n{}\nserver log (tail):\n{}",
        String::from_utf8_lossy(&out.stderr),
        tail(&d.server.log(), 60)
    );

    let har: Value = serde_json::from_slice(&std::fs::read(&har).unwrap()).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    eprintln!("{kind:?}: schemathesis sent {} requests", entries.len());
    assert!(
        entries.len() >= MIN_REQUESTS,
        "only {} requests on {kind:?}:\n{stdout}",
        entries.len()
    );
    // Past the refusals: generated submissions that queued a job. A batch submission answers
    // 202; an OpenAI one waits for its job, whose generated "audio" fails to decode (400
    // `transcription_failed`), or, were it audio, answers 200.
    let mut queued_batch = 0;
    let mut queued_openai = 0;
    for entry in entries {
        let method = entry["request"]["method"].as_str().unwrap_or("");
        let url = entry["request"]["url"].as_str().unwrap_or("");
        let status = entry["response"]["status"].as_u64().unwrap_or(0);
        let body = entry["response"]["content"]["text"].as_str().unwrap_or("");
        if method != "POST" {
            continue;
        }
        if url.ends_with("/v1/batch/jobs") && status == 202 {
            queued_batch += 1;
        }
        if url.contains("/v1/audio/")
            && (status == 200 || body.contains("\"transcription_failed\""))
        {
            queued_openai += 1;
        }
    }
    eprintln!("{kind:?}: {queued_batch} batch and {queued_openai} OpenAI submissions queued a job");
    assert!(
        queued_batch > 0 && queued_openai > 0,
        "no generated submission got past the checks ({queued_batch} batch, {queued_openai} OpenAI)"
    );
    let mut errors = 0;
    for entry in entries {
        let status = entry["response"]["status"].as_u64().unwrap();
        if status < 400 {
            continue;
        }
        errors += 1;
        let method = entry["request"]["method"].as_str().unwrap();
        let url = entry["request"]["url"].as_str().unwrap();
        let body = entry["response"]["content"]["text"].as_str().unwrap_or("");
        let checked = error_shape(url, status, body);
        assert!(
            checked.is_ok(),
            "{method} {url} answered {status} {body}: {}",
            checked.unwrap_err()
        );
    }
    assert!(
        errors > 0,
        "no error answers: the generated requests were all valid?"
    );
    eprintln!("{kind:?}: {errors} error answers, all of the contract's shape");
}

/// The contract's `{"error": "<message>"}`, or on the OpenAI routes OpenAI's
/// `{"error": {"message", "type", "param", "code"}}` (the key check's, the rate limit's and the
/// upload cap's refusals too: docs/extensions.md).
fn error_shape(url: &str, status: u64, body: &str) -> Result<(), String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let fields = v.as_object().ok_or("not an object")?;
    if fields.len() != 1 {
        return Err("more than the one field `error`".into());
    }
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(url);
    let openai = path.starts_with("/v1/audio/") || path.starts_with("/v1/models");
    match &v["error"] {
        Value::String(m) if !m.trim().is_empty() => {
            if openai {
                return Err(format!(
                    "the contract's shape where OpenAI's is due ({status})"
                ));
            }
            Ok(())
        }
        Value::Object(e) if openai => {
            let message = e.get("message").and_then(Value::as_str).unwrap_or("");
            let kind = e.get("type").and_then(Value::as_str).unwrap_or("");
            if message.trim().is_empty() || kind.is_empty() {
                return Err("OpenAI's shape without a message or a type".into());
            }
            for field in ["param", "code"] {
                if !matches!(e.get(field), Some(Value::Null | Value::String(_))) {
                    return Err(format!("OpenAI's shape without {field}"));
                }
            }
            Ok(())
        }
        _ => Err("`error` is not a non-empty message".into()),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
