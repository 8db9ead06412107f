//! `Authorization: Bearer <key>` on every batch route; the key found is put in the request's
//! extensions for the handlers.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, AppState};

pub async fn require_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let secret = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        })
        .filter(|t| !t.is_empty());
    let Some(secret) = secret else {
        return ApiError::no_key().into_response();
    };
    match state.jobs.authenticate(&secret).await {
        Ok(Some(key)) => {
            request.extensions_mut().insert(key);
            next.run(request).await
        }
        Ok(None) => ApiError::no_key().into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
