//! `verbatim transcribe FILE`: recognise one file and print it in the chosen format, or write
//! every format to a folder.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use jobs::job_config::{self, OutputLocale};
use jobs::{Diarization, Language, OperatingPoint, TranscriptionConfig};
use transcript::{CueOptions, Format, JsonMeta, Transcript};

use crate::engine::{self, EngineArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Audio file: wav, mp3, flac, aac, ogg, m4a, mp4, amr, mpeg.
    file: PathBuf,
    /// Output format printed to stdout.
    #[arg(long, default_value = "txt")]
    format: Format,
    /// Spoken language (one of the contract's codes), or `auto` to detect it (the multilingual
    /// enhanced model then serves the file). Default `en`, as in the API.
    #[arg(long, default_value = "en")]
    language: Language,
    /// `standard` (the --model model) or `enhanced` (VERBATIM_MODEL_ENHANCED, default `base`,
    /// run as VERBATIM_COMPUTE_TYPE_ENHANCED, default `float32`, unless --compute-type says).
    #[arg(long, value_enum, default_value_t = OperatingPoint::Standard)]
    operating_point: OperatingPoint,
    /// `none`, `channel` (each channel recognised on its own) or `speaker` (words labelled S1,
    /// S2… by voice; needs the speaker model from scripts/install-models.sh in --models-dir).
    #[arg(long, value_enum, default_value_t = Diarization::Off)]
    diarization: Diarization,
    /// With `--diarization speaker`: at most this many speakers (2–100).
    #[arg(long)]
    max_speakers: Option<i64>,
    /// With `--diarization speaker`: 0–1, higher finds more speakers (default 0.5).
    #[arg(long)]
    speaker_sensitivity: Option<f64>,
    /// With `--diarization speaker`: fewer switches between similar-sounding speakers.
    #[arg(long)]
    prefer_current_speaker: bool,
    /// JSON array of `{"content": "...", "sounds_like": ["..."]}`.
    #[arg(long)]
    additional_vocab: Option<String>,
    /// Mark numbers, money, dates, times, e-mails, URLs… as entities in the json.
    #[arg(long)]
    enable_entities: bool,
    /// Spelling of the output: en-US, en-GB, en-AU, en-NZ.
    #[arg(long)]
    output_locale: Option<OutputLocale>,
    /// Topic of the recording (prompt context for the decoder).
    #[arg(long)]
    domain: Option<String>,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    enhanced: super::pool::EnhancedModel,
    #[command(flatten)]
    audio_tools: super::pool::AudioTools,
    /// Subtitle line length in characters (srt, vtt).
    #[arg(long, default_value_t = CueOptions::default().max_line_length)]
    max_line_length: usize,
    /// Lines per subtitle cue (srt, vtt).
    #[arg(long, default_value_t = CueOptions::default().max_lines)]
    max_lines: usize,
    /// Write all four formats (json, txt, srt, vtt) into this folder instead of printing one.
    #[arg(long)]
    output_dir: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.max_line_length == 0 || args.max_lines == 0 {
        anyhow::bail!("--max-line-length and --max-lines must be at least 1");
    }
    // The flags given as JSON or free text are parsed as an API job's are: a bad value is the
    // same message.
    let mut given = serde_json::json!({});
    if let Some(vocab) = &args.additional_vocab {
        given["additional_vocab"] =
            job_config::parse_json_text(vocab, "--additional-vocab").map_err(anyhow::Error::msg)?;
    }
    if let Some(domain) = &args.domain {
        given["domain"] = domain.as_str().into();
    }
    let mut speakers = serde_json::Map::new();
    if let Some(n) = args.max_speakers {
        speakers.insert("max_speakers".into(), n.into());
    }
    if let Some(s) = args.speaker_sensitivity {
        speakers.insert("speaker_sensitivity".into(), s.into());
    }
    if args.prefer_current_speaker {
        speakers.insert("prefer_current_speaker".into(), true.into());
    }
    if !speakers.is_empty() {
        given["speaker_diarization_config"] = speakers.into();
    }
    let config = TranscriptionConfig {
        language: args.language,
        operating_point: args.operating_point,
        diarization: args.diarization,
        output_locale: args.output_locale,
        enable_entities: args.enable_entities.then_some(true),
        ..TranscriptionConfig::parse(&given).map_err(anyhow::Error::msg)?
    };
    let cues = CueOptions {
        max_line_length: args.max_line_length,
        max_lines: args.max_lines,
    };
    let request = worker::Request::new(&config, cues);
    // Loaded first: a missing speaker model is reported before minutes of recognition. It
    // does not stop the transcript: the words are then labelled UU, as in an API job.
    let speakers = if request.speaker_diarization {
        let loaded = worker::load_speaker_model(
            &args.engine.models_dir.path,
            args.engine.threads.unwrap_or(0),
        );
        if let Err(e) = &loaded {
            eprintln!("warning: speaker diarization is not available: {e}; words are labelled UU");
        }
        Some(loaded.map_err(|e| e.reason()))
    } else {
        None
    };

    let audio_settings = audio::Settings {
        tools: args.audio_tools.tools(),
        ..audio::Settings::default()
    };
    let probe = audio::probe_with(&args.file, &audio_settings)
        .with_context(|| format!("cannot decode {}", args.file.display()))?;
    let mut worker_config = worker::WorkerConfig::default();
    args.enhanced.apply(&mut worker_config);
    let enhanced = worker::model_for(
        worker::DEFAULT_MODEL_CODE,
        OperatingPoint::Enhanced,
        &worker_config,
    );
    let as_enhanced = |mut engine_args: EngineArgs| {
        engine_args.model = enhanced.name.clone();
        engine_args
            .compute_type
            .get_or_insert_with(|| enhanced.compute_type.clone());
        engine_args
    };
    let mut engine_args = args.engine.clone();
    if request.operating_point == OperatingPoint::Enhanced {
        engine_args = as_enhanced(engine_args);
    }
    let mut engine = engine::load(&engine_args)?;
    if worker::needs_multilingual_fallback(worker::DEFAULT_MODEL_CODE, &request, engine.as_ref()) {
        engine = engine::load(&as_enhanced(engine_args))?;
    }

    let progress = ProgressBar::new(std::io::stderr().is_terminal());
    let input = worker::AudioInput {
        path: &args.file,
        settings: &audio_settings,
        probe: &probe,
        stop: None,
    };
    let recognition = worker::recognise_channels(
        engine.as_ref(),
        &input,
        &request,
        speakers.as_ref().map(|s| s.as_ref().map_err(Clone::clone)),
        None,
        // The bar follows recognition only: diarization, starting again from 0, would make it jump back.
        &|stage, fraction| {
            if stage == jobs::Stage::Transcribing {
                progress.set(fraction)
            }
        },
    )
    .with_context(|| format!("cannot transcribe {}", args.file.display()))?;
    progress.finish();
    // A model that loaded but failed on this audio (one that did not load was reported above).
    if let (Some(Ok(_)), Some(outcome)) = (&speakers, &recognition.diarization) {
        if let Some(why) = outcome.strip_prefix("failed: ") {
            eprintln!("warning: speaker diarization failed: {why}; words are labelled UU");
        }
    }

    let transcript = Transcript {
        language: recognition.language,
        duration: recognition.duration_seconds,
        words: recognition.words,
    };
    let meta = JsonMeta {
        job_id: String::new(),
        created_at: now_rfc3339(),
        data_name: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        transcription_config: serde_json::to_value(&config)?,
    };
    let cues = request.cues;

    match &args.output_dir {
        None => {
            let text = transcript::render(&transcript, args.format, &meta, &cues);
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let stem = args.file.file_stem().unwrap_or_default().to_string_lossy();
            for format in Format::ALL {
                let path = dir.join(format!("{stem}.{}", format.extension()));
                std::fs::write(&path, transcript::render(&transcript, format, &meta, &cues))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A bar on stderr when a person watches; nothing at all when stderr is a pipe or a file.
struct ProgressBar(Option<indicatif::ProgressBar>);

impl ProgressBar {
    fn new(visible: bool) -> Self {
        Self(visible.then(|| {
            let bar = indicatif::ProgressBar::new(1000);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} transcribing [{bar:40}] {percent:>3}% {elapsed_precise} (eta {eta})",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            bar
        }))
    }

    fn set(&self, fraction: f32) {
        if let Some(bar) = &self.0 {
            bar.set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
