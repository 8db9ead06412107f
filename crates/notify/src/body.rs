//! What a delivery carries, by Speechmatics' rules for `contents`: none listed, the JSON
//! transcript as a multipart attachment named `data_file`; an empty list, no body; one item, that
//! item as the body with its own type; several, a multipart body with one named attachment each.
//! An item the job does not have (a failed job has no transcript) is left out, and the rules still
//! follow the list as written.

use blob::{BlobError, BlobStore, Bucket};
use bytes::Bytes;
use futures::TryStreamExt;
use jobs::job_config::NotificationContent;
use jobs::Job;

/// The request body and its `Content-Type` (`None`: no body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub bytes: Bytes,
    pub content_type: Option<String>,
}

impl Body {
    fn empty() -> Body {
        Body {
            bytes: Bytes::new(),
            content_type: None,
        }
    }
}

/// The type of the text items (txt and srt).
const TEXT: &str = "text/plain; charset=utf-8";

/// One item: its attachment name, file name, type and bytes.
struct Item {
    name: &'static str,
    file_name: String,
    content_type: &'static str,
    bytes: Bytes,
}

/// Builds the body of a delivery of `job` for `contents` (the entry's list, `None` if absent).
pub async fn build(
    contents: Option<&[NotificationContent]>,
    job: &Job,
    blobs: &dyn BlobStore,
) -> Result<Body, BlobError> {
    let Some(contents) = contents else {
        let Some(mut item) = item(NotificationContent::Transcript, job, blobs).await? else {
            return Ok(Body::empty());
        };
        item.name = "data_file";
        return Ok(multipart(&[item]));
    };
    let mut items = Vec::with_capacity(contents.len());
    for content in contents {
        if let Some(item) = item(*content, job, blobs).await? {
            items.push(item);
        }
    }
    Ok(match (contents.len(), items.pop()) {
        (1, Some(only)) => Body {
            bytes: only.bytes,
            content_type: Some(only.content_type.to_string()),
        },
        (_, None) => Body::empty(),
        (_, Some(last)) => {
            items.push(last);
            multipart(&items)
        }
    })
}

async fn item(
    content: NotificationContent,
    job: &Job,
    blobs: &dyn BlobStore,
) -> Result<Option<Item>, BlobError> {
    use NotificationContent::*;
    let (ext, content_type) = match content {
        Jobinfo => {
            return Ok(Some(Item {
                name: content.as_str(),
                file_name: format!("{}.jobinfo.json", job.job_id),
                content_type: "application/json",
                bytes: Bytes::from(jobs::batch_job(job).to_string()),
            }))
        }
        Transcript | TranscriptJsonV2 => ("json", "application/json"),
        // A text item goes as text (Speechmatics: a single text item is text/plain), subtitles included.
        TranscriptTxt => ("txt", TEXT),
        TranscriptSrt => ("srt", TEXT),
    };
    // Outputs are whole only once the job says DONE (the api lists them on the same rule).
    if job.status != jobs::JobStatus::Done || job.expired_at.is_some() {
        return Ok(None);
    }
    let key = blob::output_key(&job.job_id, ext);
    let stream = match blobs.get_stream(Bucket::Output, &key).await {
        Ok((_, stream)) => stream,
        Err(BlobError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let chunks: Vec<Bytes> = stream.try_collect().await?;
    Ok(Some(Item {
        name: content.as_str(),
        file_name: format!("{}.{ext}", job.job_id),
        content_type,
        bytes: Bytes::from(chunks.concat()),
    }))
}

/// A `multipart/form-data` body. Encoded here, not with reqwest's form: the signature covers the
/// exact bytes sent, and reqwest's form only streams itself into a request.
fn multipart(items: &[Item]) -> Body {
    let boundary = format!("verbatim-{:032x}", rand::random::<u128>());
    let mut out = Vec::new();
    for item in items {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                item.name, item.file_name, item.content_type
            )
            .as_bytes(),
        );
        out.extend_from_slice(&item.bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Body {
        bytes: Bytes::from(out),
        content_type: Some(format!("multipart/form-data; boundary={boundary}")),
    }
}
