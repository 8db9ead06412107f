//! The job store's tests, one binary. `queue` and `api_side` are the suite every backend must
//! pass: each of their tests runs once on SQLite and once on PostgreSQL
//! ([`on_both_backends!`]). `fleet` is what only a shared PostgreSQL database gives; `open`
//! is the backend factory.

mod api_side;
mod common;
mod corrections;
mod fleet;
mod open;
mod progress;
mod queue;
mod webhooks;
