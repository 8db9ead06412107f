//! queue.rs's tests (claims, leases, fencing, release, wake-ups, concurrent claims, two
//! handles) run unchanged on PostgreSQL; common::db() picks the backend from this file's name.

#[path = "queue.rs"]
mod queue;
