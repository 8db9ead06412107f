//! api_side.rs's tests (create/get, org walls, delete, reservations, list filters/sorts/pages,
//! keys, counts) run unchanged on PostgreSQL; common::db() picks the backend from this file's name.

#[path = "api_side.rs"]
mod api_side;
