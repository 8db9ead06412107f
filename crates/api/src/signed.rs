//! The embedded store's signed URLs: `GET` (downloads, 3600 s) and `PUT` (presigned uploads,
//! 1800 s) on `/v1/blob/{bucket}/{*key}?expires=..&signature=..`. No API key: the signature is
//! the permission, and it covers the method, the bucket, the key, the expiry and (for PUT) the
//! exact Content-Type.

use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use blob::{BlobError, Bucket, Grant};
use futures::TryStreamExt;

use crate::{formats, upload, ApiError, AppState};

struct Signed {
    bucket: Bucket,
    bucket_name: String,
    expires: i64,
    signature: String,
}

fn parse(state: &AppState, bucket_name: &str, raw_query: Option<&str>) -> Result<Signed, ApiError> {
    let bucket = if bucket_name == state.blobs.bucket_name(Bucket::Input) {
        Bucket::Input
    } else if bucket_name == state.blobs.bucket_name(Bucket::Output) {
        Bucket::Output
    } else {
        return Err(ApiError::not_found());
    };
    let mut expires = None;
    let mut signature = None;
    for (name, value) in url::form_urlencoded::parse(raw_query.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "expires" => expires = value.parse::<i64>().ok(),
            "signature" => signature = Some(value.into_owned()),
            _ => {}
        }
    }
    match (expires, signature) {
        (Some(expires), Some(signature)) => Ok(Signed {
            bucket,
            bucket_name: bucket_name.to_string(),
            expires,
            signature,
        }),
        _ => Err(ApiError::forbidden("Missing or malformed signature")),
    }
}

fn verify(
    state: &AppState,
    method: &str,
    s: &Signed,
    key: &str,
    content_type: Option<&str>,
) -> Result<(), ApiError> {
    let signer = state
        .local_signer
        .as_ref()
        .ok_or_else(ApiError::not_found)?;
    let grant = Grant {
        method,
        bucket: &s.bucket_name,
        key,
        expires: s.expires,
        content_type,
    };
    signer
        .signer()
        .verify(&grant, &s.signature)
        .map_err(|e| match e {
            BlobError::Expired => ApiError::forbidden("Signed URL has expired"),
            _ => ApiError::forbidden("Signature does not match"),
        })
}

/// Serves the object, or the one byte range asked for (`Range: bytes=...`, 206): a media
/// player seeks in a recording only where the server answers ranges. A header that does not
/// parse, or asks for several ranges, gets the whole object, as RFC 9110 allows; a range past
/// the end is a 416.
pub async fn download(
    State(state): State<AppState>,
    Path((bucket_name, key)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    request_headers: HeaderMap,
) -> Result<Response, ApiError> {
    let s = parse(&state, &bucket_name, query.as_deref())?;
    verify(&state, "GET", &s, &key, None)?;
    let asked = request_headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| http_range_header::parse_range_header(v).ok());
    let mut response = match asked {
        None => whole_object(&state, s.bucket, &key).await?,
        Some(ranges) => {
            let size = state
                .blobs
                .head(s.bucket, &key)
                .await?
                .ok_or_else(ApiError::not_found)?;
            match ranges.validate(size).as_deref() {
                Ok([range]) => {
                    let (start, end) = (*range.start(), *range.end());
                    let stream = state
                        .blobs
                        .get_range_stream(s.bucket, &key, start..end + 1)
                        .await?;
                    let mut response =
                        (StatusCode::PARTIAL_CONTENT, body_of(stream)).into_response();
                    let headers = response.headers_mut();
                    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(end + 1 - start));
                    headers.insert(
                        header::CONTENT_RANGE,
                        header_value(&format!("bytes {start}-{end}/{size}"))?,
                    );
                    response
                }
                Ok(_) => whole_object(&state, s.bucket, &key).await?,
                Err(_) => {
                    let mut response = ApiError::new(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        format!("Range not satisfiable: the object has {size} bytes"),
                    )
                    .into_response();
                    response.headers_mut().insert(
                        header::CONTENT_RANGE,
                        header_value(&format!("bytes */{size}"))?,
                    );
                    return Ok(response);
                }
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // The format's own type, as an attachment, never sniffed: an uploaded "audio" file that is
    // really HTML must not render as a page in the API's origin.
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(formats::mime_for_key(&key)),
    );
    let disposition = blob::attachment_disposition(&key);
    headers.insert(header::CONTENT_DISPOSITION, header_value(&disposition)?);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// The whole object, 200, with its length.
async fn whole_object(state: &AppState, bucket: Bucket, key: &str) -> Result<Response, ApiError> {
    let (size, stream) = state.blobs.get_stream(bucket, key).await?;
    let mut response = (StatusCode::OK, body_of(stream)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    Ok(response)
}

fn body_of(stream: blob::ByteStream) -> Body {
    Body::from_stream(stream.map_err(|e| std::io::Error::other(e.to_string())))
}

fn header_value(text: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(text).map_err(|_| ApiError::not_found())
}

pub async fn upload(
    State(state): State<AppState>,
    Path((bucket_name, key)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Result<Response, ApiError> {
    let s = parse(&state, &bucket_name, query.as_deref())?;
    let content_type = crate::content_type(&request).to_string();
    verify(&state, "PUT", &s, &key, Some(&content_type))?;
    // Single use: once step 3 has taken the upload (or the reservation is gone), the URL is dead.
    if !state.jobs.upload_pending(&key).await? {
        return Err(ApiError::forbidden(
            "This upload URL has already been used or is no longer valid",
        ));
    }
    let max = state.config.max_upload_bytes;
    // No early refusal on a declared Content-Length over the limit: a client still sending its
    // body would see a reset connection instead of the 413; the stream stops at the limit anyway.
    let stream = request.into_body().into_data_stream();
    let size = upload::store_stream(state.blobs.as_ref(), s.bucket, &key, stream, max).await?;
    tracing::info!(key = %key, size, "presigned upload stored");
    Ok((
        StatusCode::OK,
        axum::Json(serde_json::json!({"key": key, "size_bytes": size})),
    )
        .into_response())
}
