//! One job, start to finish: IN_PROGRESS (fetch, probe) → DECODING (decode while recognising) →
//! POST_PROCESSING (render and store every format) → DONE. Running it again on the same job
//! (after a crash or a hand-back) redoes every stage and overwrites the same output keys.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use blob::{BlobStore, Bucket};
use bytes::Bytes;
use chrono::SecondsFormat;
use futures::StreamExt;
use jobs::{InputMetadata, Job, JobStatus, JobStore, Lease, OutputMetadata};
use serde_json::Value;
use tokio::sync::Semaphore;
use transcript::{round_ms, Format, JsonMeta, Transcript, SOURCE_EXTENSION, STORED_EXTENSIONS};

use crate::config::WorkerConfig;
use crate::deadline::Deadline;
use crate::engines::Engines;
use crate::error::JobError;
use crate::progress::{self, Feed};
use crate::recognition::{needs_multilingual_fallback, recognise_channels, AudioInput, Recognised};
use crate::request::{model_for, ModelChoice, OperatingPoint, Request};
use crate::speakers::SpeakerModel;

/// What a worker needs to run jobs; shared by all workers of a pool.
#[derive(Clone)]
pub struct Context {
    pub jobs: Arc<dyn JobStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub engines: Arc<Engines>,
    /// The speaker model for `diarization: "speaker"`, loaded on first use (from
    /// `config.models_dir`).
    pub speakers: Arc<SpeakerModel>,
    pub config: Arc<WorkerConfig>,
    /// Recognitions running at once. The permit lives on the blocking thread, so a recognition
    /// whose job was abandoned (lease lost, shutdown) still counts until it really ends and the
    /// cores are not oversubscribed.
    pub recognitions: Arc<Semaphore>,
}

impl Context {
    /// A context with Whisper models loaded from `config.models_dir`.
    pub fn new(
        jobs: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        config: WorkerConfig,
    ) -> Context {
        let engines = Arc::new(Engines::whisper(&config));
        Context::with_engines(jobs, blobs, engines, config)
    }

    pub fn with_engines(
        jobs: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        engines: Arc<Engines>,
        config: WorkerConfig,
    ) -> Context {
        let recognitions = Arc::new(Semaphore::new(config.workers.max(1)));
        let speakers = Arc::new(SpeakerModel::new(
            config.models_dir.clone(),
            config.threads_per_worker,
        ));
        Context {
            jobs,
            blobs,
            engines,
            speakers,
            config: Arc::new(config),
            recognitions,
        }
    }
}

/// The key of a job's output in `format` (contract section 9).
pub fn output_key(job_id: &str, format: Format) -> String {
    blob::output_key(job_id, format.extension())
}

/// Runs the held job through every stage and completes it (DONE). On error nothing is marked:
/// the caller fails, releases or abandons the job according to the error.
///
/// `deadline` is moved to the job's full budget once the audio's duration is known; ffprobe and
/// ffmpeg children get what is left of it.
pub async fn run_job(ctx: &Context, lease: &Lease, deadline: &Deadline) -> Result<(), JobError> {
    let job = &lease.job;
    let request = Request::from_job_config(&job.job_config);
    ctx.jobs.advance(lease, JobStatus::InProgress, None).await?;

    let scratch = scratch_dir(&ctx.config)?;
    let input_path = scratch.path().join("input");
    let (input_key, size) = fetch_input(ctx, lease, &input_path).await?;

    let audio_settings = audio::Settings {
        tools: ctx.config.audio_tools.clone(),
        max_seconds: Some(ctx.config.max_audio_seconds),
        tool_timeout: deadline.remaining(),
    };
    let probe_settings = audio_settings.clone();
    let probe = blocking(job, input_path.clone(), move |p| {
        audio::probe_with(&p, &probe_settings)
    })
    .await?
    .map_err(JobError::from_audio)?;
    deadline.set_budget(ctx.config.job_budget(probe.duration_seconds));
    let audio_settings = audio::Settings {
        tool_timeout: deadline.remaining(),
        ..audio_settings
    };
    let input_key =
        ensure_input_extension(ctx, lease, &input_key, &probe.format, &input_path).await?;
    let mut input_metadata = InputMetadata {
        size_bytes: Some(size),
        duration_seconds: Some(round_ms(probe.duration_seconds)),
        format: Some(probe.format.to_string()),
        mime_type: Some(probe.mime_type.to_string()),
        source: job.input_metadata.source,
    };
    // Decoding and recognition overlap from here on (the file is decoded as it is recognised).
    ctx.jobs
        .advance(lease, JobStatus::Decoding, Some(input_metadata.clone()))
        .await?;
    // A missing or broken speaker model does not fail the job: its words are labelled UU and
    // output_metadata says why (see recognise_channels).
    let speakers = if request.speaker_diarization {
        Some(ctx.speakers.get().await.map_err(|e| e.reason()))
    } else {
        None
    };
    let (engine, choice) = choose_engine(ctx, job, &request).await?;
    let engine_name = engine.model_name().to_string();
    let (feed, mut reporter) =
        progress::start(ctx.jobs.clone(), lease.clone(), probe.duration_seconds);
    let recognition = recognise(
        ctx,
        engine,
        speakers,
        Recognition {
            path: input_path,
            settings: audio_settings,
            probe,
            job: job.job_id.clone(),
            progress: feed,
        },
        &request,
    );
    // The reporter writes while recognition runs and goes with it: an abandoned job (its future
    // dropped) reports nothing more.
    let recognised = {
        let reporting = reporter.run();
        tokio::pin!(reporting);
        tokio::select! {
            recognised = recognition => recognised,
            never = &mut reporting => match never {},
        }
    }?;
    reporter.flush().await;
    // The scratch copy was read to its end.
    drop(scratch);
    let duration = recognised.duration_seconds;
    input_metadata.duration_seconds = Some(round_ms(duration));
    let recognised_diarization = recognised.diarization;
    let segments = recognised.segments;
    let transcript = Transcript {
        language: recognised.language,
        duration,
        words: recognised.words,
    };

    ctx.jobs
        .advance(lease, JobStatus::PostProcessing, Some(input_metadata))
        .await?;
    let meta = JsonMeta::new(
        job.job_id.clone(),
        job.submitted_at
            .to_rfc3339_opts(SecondsFormat::Millis, true),
        data_name(job, &input_key),
        serde_json::to_value(&job.job_config.transcription_config).unwrap_or(Value::Null),
    );
    let word_count = transcript.words.len();
    let diarization = recognised_diarization;
    let language = transcript.language.clone();
    // The outputs' source is kept beside them, so that a user's corrections can render them
    // again (and undo) without the engine.
    let source = transcript::Source {
        transcript,
        meta,
        cues: request.cues,
        segments,
    };
    let rendered = tokio::task::spawn_blocking(move || {
        let outputs = source.render_all(&transcript::Corrections::default());
        serde_json::to_string(&source).map(|source| (outputs, source))
    })
    .await
    .map_err(|e| {
        JobError::transient(
            "the transcript could not be rendered",
            format!("rendering crashed: {e}"),
        )
    })?
    .map_err(|e| {
        JobError::transient(
            "the transcript could not be rendered",
            format!("the transcript's source could not be written: {e}"),
        )
    })?;
    let (outputs, source) = rendered;
    let objects = outputs
        .map(|(format, text)| (format.extension(), text))
        .into_iter()
        .chain([(SOURCE_EXTENSION, source)]);
    // Written under keys of this attempt, then published only while the lease is still ours: a
    // worker that lost the job without knowing it never overwrites the new holder's outputs.
    let attempt = blob::attempt_id(&lease.token);
    let staged = |ext: &str| blob::staged_output_key(&job.job_id, &attempt, ext);
    for (ext, text) in objects {
        let body = futures::stream::once(async move { Ok(Bytes::from(text)) }).boxed();
        ctx.blobs
            .put_stream(Bucket::Output, &staged(ext), body, u64::MAX)
            .await
            .map_err(JobError::from_output_blob)?;
    }
    if !ctx.jobs.renew(lease, ctx.config.lease).await? {
        for ext in STORED_EXTENSIONS {
            let _ = ctx.blobs.delete(Bucket::Output, &staged(ext)).await;
        }
        return Err(JobError::LeaseLost);
    }
    for ext in STORED_EXTENSIONS {
        ctx.blobs
            .rename(
                Bucket::Output,
                &staged(ext),
                &blob::output_key(&job.job_id, ext),
            )
            .await
            .map_err(JobError::from_output_blob)?;
    }

    let output_metadata = OutputMetadata {
        language: Some(language),
        formats: Format::ALL.map(|f| f.as_str().to_string()).to_vec(),
        duration_seconds: Some(round_ms(duration)),
        word_count: Some(word_count as u64),
        model: Some(engine_name),
        compute_type: Some(choice.compute_type),
        diarization,
    };
    ctx.jobs.complete(lease, output_metadata).await?;
    Ok(())
}

fn scratch_dir(config: &WorkerConfig) -> Result<tempfile::TempDir, JobError> {
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix("verbatim-job-");
        b
    };
    match &config.scratch_dir {
        Some(dir) => builder.tempdir_in(dir),
        None => builder.tempdir(),
    }
    .map_err(|e| JobError::transient("the worker's scratch space is unavailable", e))
}

/// Brings the job's input into `path` (streamed) and returns its key in the input bucket and
/// its size. A URL input is first downloaded into the input bucket, so it survives a restart
/// and is listed by `/files` like an upload.
async fn fetch_input(ctx: &Context, lease: &Lease, path: &Path) -> Result<(String, u64), JobError> {
    let job = &lease.job;
    let key = match (&job.input_key, &job.input_url) {
        (Some(key), _) => key.clone(),
        (None, Some(url)) => {
            let url = url::Url::parse(url)
                .map_err(|_| JobError::Input("input_url is not a valid URL".into()))?;
            let key = blob::input_key(&job.job_id, url_extension(&url).as_deref().unwrap_or("bin"));
            blob::fetch::fetch_to_store(
                &url,
                &ctx.config.fetch_policy,
                ctx.blobs.as_ref(),
                Bucket::Input,
                &key,
                ctx.config.max_input_bytes,
            )
            .await
            .map_err(JobError::from_fetch)?;
            ctx.jobs.set_input(lease, &key).await?;
            key
        }
        (None, None) => return Err(JobError::Input("the job has no input file".into())),
    };
    let size = ctx
        .blobs
        .get_to_file(Bucket::Input, &key, path)
        .await
        .map_err(JobError::from_input_blob)?;
    Ok((key, size))
}

/// A URL input whose address named no audio extension was stored as `.bin`; once probed, it
/// moves to `inputs/<job_id>.<format>`, the contract's key layout.
async fn ensure_input_extension(
    ctx: &Context,
    lease: &Lease,
    key: &str,
    format: &str,
    local: &Path,
) -> Result<String, JobError> {
    let job_id = &lease.job.job_id;
    if lease.job.input_url.is_none() || key != blob::input_key(job_id, "bin") {
        return Ok(key.to_string());
    }
    let proper = blob::input_key(job_id, format);
    ctx.blobs
        .put_file(Bucket::Input, &proper, local)
        .await
        .map_err(|e| JobError::transient("the downloaded input could not be stored", e))?;
    ctx.jobs.set_input(lease, &proper).await?;
    if let Err(e) = ctx.blobs.delete(Bucket::Input, key).await {
        tracing::warn!(job_id = %job_id, error = %e, "could not remove the provisional input copy");
    }
    Ok(proper)
}

fn url_extension(url: &url::Url) -> Option<String> {
    audio::extensions::audio_extension(url.path_segments()?.next_back()?)
}

/// The file name the json header reports: a presigned upload keeps its own name
/// (`inputs/<job_id>/<filename>`), a URL its last path segment, an upload its stored name.
fn data_name(job: &Job, input_key: &str) -> String {
    if let Some(url) = job
        .input_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
    {
        let last = url
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or_default();
        let decoded = percent_decode(last);
        if !decoded.is_empty() {
            return decoded;
        }
    }
    input_key
        .rsplit('/')
        .next()
        .unwrap_or(input_key)
        .to_string()
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// Picks the model for the job. An English-only standard model cannot serve another language,
/// so such requests on the default model code go to the enhanced (multilingual) model.
async fn choose_engine(
    ctx: &Context,
    job: &Job,
    request: &Request,
) -> Result<(Arc<dyn asr::Engine>, ModelChoice), JobError> {
    let choice = model_for(&job.model_code, request.operating_point, &ctx.config);
    let engine = ctx.engines.get(&choice).await?;
    if needs_multilingual_fallback(&job.model_code, request, engine.as_ref()) {
        let choice = model_for(&job.model_code, OperatingPoint::Enhanced, &ctx.config);
        let engine = ctx.engines.get(&choice).await?;
        return Ok((engine, choice));
    }
    Ok((engine, choice))
}

/// What one recognition reads: the job's scratch copy of its input, decoded as it goes.
struct Recognition {
    path: PathBuf,
    settings: audio::Settings,
    probe: audio::Probe,
    job: String,
    /// Where recognition says how far it has got.
    progress: Feed,
}

/// Recognises (and diarizes, when asked) on a blocking thread (see [`recognise_channels`]).
async fn recognise(
    ctx: &Context,
    engine: Arc<dyn asr::Engine>,
    speakers: Option<Result<Arc<diarize::SpeakerDiarizer>, String>>,
    input: Recognition,
    request: &Request,
) -> Result<Recognised, JobError> {
    let permit = ctx
        .recognitions
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| {
            JobError::transient(
                "the worker is shutting down",
                "recognition semaphore closed",
            )
        })?;
    let request = request.clone();
    // Dropping this future (the job abandoned: cancelled, lease lost, out of time, shutdown)
    // drops the guard, which tells the blocking recognition to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_on_drop = StopOnDrop(stop.clone());
    let run = move || -> Result<Recognised, asr::AsrError> {
        let _permit = permit;
        // Names the job in what the decoders log (ffmpeg's own words stay out of messages).
        let _span = tracing::info_span!("job", job_id = %input.job).entered();
        let audio = AudioInput {
            path: &input.path,
            settings: &input.settings,
            probe: &input.probe,
            stop: Some(&stop),
        };
        recognise_channels(
            engine.as_ref(),
            &audio,
            &request,
            speakers
                .as_ref()
                .map(|s| s.as_deref().map_err(Clone::clone)),
            input.progress.settled_words(),
            &|stage, fraction| input.progress.set(stage, fraction),
        )
    };
    match tokio::task::spawn_blocking(run).await {
        Ok(r) => r.map_err(JobError::from_asr),
        Err(e) => Err(JobError::transient(
            "speech recognition failed",
            format!("recognition crashed: {e}"),
        )),
    }
}

/// Sets its flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `f` on a blocking thread, inside a span naming the job so that what the decoders log
/// (ffmpeg's own words, kept out of client messages) can be traced to it.
async fn blocking<T: Send + 'static>(
    job: &Job,
    path: PathBuf,
    f: impl FnOnce(PathBuf) -> T + Send + 'static,
) -> Result<T, JobError> {
    let span = tracing::info_span!("job", job_id = %job.job_id);
    tokio::task::spawn_blocking(move || span.in_scope(|| f(path)))
        .await
        .map_err(|e| {
            JobError::transient(
                "the audio could not be read",
                format!("reading the audio crashed: {e}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_extensions() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(
            url_extension(&u("https://h/a/b.WAV?x=1")).as_deref(),
            Some("wav")
        );
        assert_eq!(
            url_extension(&u("https://h/a/b.mp3")).as_deref(),
            Some("mp3")
        );
        assert_eq!(url_extension(&u("https://h/a/b.exe")), None);
        assert_eq!(url_extension(&u("https://h/")), None);
        assert_eq!(url_extension(&u("https://h/audio")), None);
    }

    #[test]
    fn names() {
        assert_eq!(percent_decode("my%20talk.wav"), "my talk.wav");
        assert_eq!(percent_decode("a+b.wav"), "a+b.wav");
        assert_eq!(output_key("job1", Format::Srt), "outputs/job1.srt");
        assert_eq!(round_ms(1.23456), 1.235);
        assert_eq!(round_ms(f64::NAN), 0.0);
    }
}
