//! `GET /v1/batch/jobs`: the organisation's jobs, filtered, sorted and paged (contract section 6).

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use jobs::{ApiKey, JobStatus, ListQuery, SortBy, SortOrder};
use serde_json::{json, Value};

use crate::openapi::batch;
use crate::{ApiError, AppState};

/// The statuses the published error message lists (POST_PROCESSING, our addition, is accepted
/// but the message keeps the published text).
const PUBLISHED_STATUSES: &str = "DECODING, DELETED, DONE, FAILED, IN_PROGRESS, QUEUED";

#[utoipa::path(
    get,
    path = "/v1/batch/jobs",
    tag = "batch",
    operation_id = "list_jobs",
    summary = "List the organisation's jobs",
    params(batch::ListParams),
    responses(
        (status = 200, description = "A page of jobs", body = batch::JobList),
        (status = 400, description = "A bad parameter, named in the message", body = batch::Error, examples(
            ("status" = (value = json!({"error": "Invalid status value(s): BOGUS. Allowed: DECODING, DELETED, DONE, FAILED, IN_PROGRESS, QUEUED"}))),
            ("page_size" = (value = json!({"error": "Invalid page_size: 0. Must be an integer between 1 and 100"}))),
        )),
        (status = 403, description = "No valid API key", body = batch::Error,
            example = json!({"error": crate::error::MSG_NO_KEY})),
        (status = 500, description = "Our fault", body = batch::Error,
            example = json!({"error": crate::error::MSG_INTERNAL})),
    ),
    security(("api_key" = [])),
)]
pub async fn list_jobs(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(raw.as_deref().unwrap_or(""))?;
    let (jobs, total) = state.jobs.list(&key.organisation_id, &query).await?;
    let pages = total.div_ceil(u64::from(query.page_size));
    Ok(Json(json!({
        "items": jobs.iter().map(jobs::batch_job).collect::<Vec<_>>(),
        "meta": {"page": query.page, "page_size": query.page_size, "total": total, "pages": pages},
    })))
}

pub fn parse_query(raw: &str) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery::default();
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        match name.as_ref() {
            "page" => {
                q.page = value
                    .parse::<u32>()
                    .ok()
                    .filter(|p| *p >= 1)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "Invalid page: {value}. Must be an integer >= 1"
                        ))
                    })?;
            }
            "page_size" => {
                q.page_size = value
                    .parse::<u32>()
                    .ok()
                    .filter(|p| (1..=100).contains(p))
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "Invalid page_size: {value}. Must be an integer between 1 and 100"
                        ))
                    })?;
            }
            "status" => {
                let mut bad = Vec::new();
                for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match part.parse::<JobStatus>() {
                        Ok(s) if !q.statuses.contains(&s) => q.statuses.push(s),
                        Ok(_) => {}
                        Err(_) => bad.push(part.to_string()),
                    }
                }
                if !bad.is_empty() {
                    return Err(ApiError::bad_request(format!(
                        "Invalid status value(s): {}. Allowed: {PUBLISHED_STATUSES}",
                        bad.join(", ")
                    )));
                }
            }
            "model_code" => q.model_code = Some(value.to_string()).filter(|v| !v.is_empty()),
            "submitted_after" => q.submitted_after = Some(parse_time("submitted_after", value)?),
            "submitted_before" => q.submitted_before = Some(parse_time("submitted_before", value)?),
            "sort_by" => {
                q.sort_by = match value {
                    "submitted_at" => SortBy::SubmittedAt,
                    "status" => SortBy::Status,
                    "model_code" => SortBy::ModelCode,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "Invalid sort_by: {other}. Allowed: submitted_at, status, model_code"
                        )))
                    }
                }
            }
            "sort_order" => {
                q.sort_order = match value {
                    "asc" => SortOrder::Asc,
                    "desc" => SortOrder::Desc,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "Invalid sort_order: {other}. Allowed: asc, desc"
                        )))
                    }
                }
            }
            // Unknown parameters are ignored, as most HTTP APIs do.
            _ => {}
        }
    }
    Ok(q)
}

fn parse_time(name: &str, value: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad_request(format!(
                "Invalid {name}: {value}. Must be an RFC 3339 date-time"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(raw: &str) -> String {
        parse_query(raw).unwrap_err().message
    }

    #[test]
    fn defaults_and_values() {
        assert_eq!(parse_query("").unwrap(), ListQuery::default());
        let q = parse_query(
            "page=2&page_size=100&status=DONE,FAILED,POST_PROCESSING&model_code=m&sort_by=status&sort_order=asc\
             &submitted_after=2026-01-01T00:00:00Z&submitted_before=2026-02-01T00:00:00%2B01:00",
        )
        .unwrap();
        assert_eq!((q.page, q.page_size), (2, 100));
        assert_eq!(
            q.statuses,
            vec![
                JobStatus::Done,
                JobStatus::Failed,
                JobStatus::PostProcessing
            ]
        );
        assert_eq!(q.model_code.as_deref(), Some("m"));
        assert_eq!((q.sort_by, q.sort_order), (SortBy::Status, SortOrder::Asc));
        assert_eq!(
            q.submitted_before.unwrap().to_rfc3339(),
            "2026-01-31T23:00:00+00:00"
        );
    }

    #[test]
    fn bad_values_are_named() {
        assert_eq!(
            err("status=BOGUS"),
            "Invalid status value(s): BOGUS. Allowed: DECODING, DELETED, DONE, FAILED, IN_PROGRESS, QUEUED"
        );
        assert_eq!(
            err("status=DONE,BOGUS,done"),
            "Invalid status value(s): BOGUS, done. Allowed: DECODING, DELETED, DONE, FAILED, IN_PROGRESS, QUEUED"
        );
        assert!(err("page=0").contains("page"));
        assert!(err("page=x").contains("page"));
        assert!(err("page_size=101").contains("page_size"));
        assert!(err("page_size=0").contains("page_size"));
        assert!(err("sort_by=name").contains("sort_by"));
        assert!(err("sort_order=up").contains("sort_order"));
        assert!(err("submitted_after=yesterday").contains("submitted_after"));
        assert!(err("submitted_before=2026-13-01").contains("submitted_before"));
    }
}
