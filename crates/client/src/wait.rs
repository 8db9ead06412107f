//! Following a job until it ends.

use std::time::Duration;

use crate::{Client, Error, Job};

impl Client {
    /// Reads the job every `interval` until it is DONE, FAILED or DELETED, calling `on_update`
    /// with every record read; returns the last one.
    pub async fn wait(
        &self,
        id: &str,
        interval: Duration,
        mut on_update: impl FnMut(&Job),
    ) -> Result<Job, Error> {
        loop {
            let job = self.job(id).await?;
            on_update(&job);
            if job.is_finished() {
                return Ok(job);
            }
            tokio::time::sleep(interval).await;
        }
    }
}
