//! The SLNG Batch API over HTTP (axum): routes, auth, request parsing, the error type
