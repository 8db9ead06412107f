//! The statements of transcript corrections, written once over an [`Engine`] like the rest of
//! the store (`sql_store.rs` delegates here). The document itself is the api's: the store keeps
//! it whole and counts its revisions, so that two concurrent changes cannot lose one another.

use serde_json::Value;

use crate::engine::{json_text, Arg, Columns, Engine, Step, Stmt, Unit};
use crate::{Corrections, JobsError};

pub(crate) async fn corrections<E: Engine>(
    e: &E,
    org: &str,
    job_id: &str,
) -> Result<Option<Corrections>, JobsError> {
    let s = Stmt::new(
        "SELECT corrections, corrections_revision FROM jobs
         WHERE organisation_id = $1 AND job_id = $2",
    )
    .text(org)
    .text(job_id);
    let rows = e.fetch(s, corrections_from_row).await?;
    Ok(rows.into_iter().next())
}

pub(crate) async fn set_corrections<E: Engine>(
    e: &E,
    org: &str,
    job_id: &str,
    revision: u64,
    document: &Value,
) -> Result<Option<u64>, JobsError> {
    let mut s = Stmt::new(String::new());
    let document_p = E::json(&s.param(Arg::Text(Some(json_text(document)?))));
    let org_p = s.param(Arg::Text(Some(org.to_string())));
    let job_p = s.param(Arg::Text(Some(job_id.to_string())));
    let revision_p = s.param(Arg::Int(i64::try_from(revision).unwrap_or(i64::MAX)));
    // Only a DONE job's transcript can be corrected: one deleted meanwhile changes nothing.
    s.sql = format!(
        "UPDATE jobs SET corrections = {document_p}, corrections_revision = corrections_revision + 1
         WHERE organisation_id = {org_p} AND job_id = {job_p} AND status = 'DONE'
           AND corrections_revision = {revision_p}"
    );
    let done = e.write(Unit::of(vec![Step::Execute(s)]).on(job_id)).await?;
    let changed = done.first().is_some_and(|w| w.affected == 1);
    Ok(changed.then_some(revision + 1))
}

fn corrections_from_row(r: &dyn Columns) -> Result<Corrections, JobsError> {
    Ok(Corrections {
        document: r.opt_json("corrections")?,
        revision: u64::try_from(r.int("corrections_revision")?).unwrap_or_default(),
    })
}
