//! `verbatim transcribe FILE`: recognise one file and print it in the chosen format, or write
//! every format to a folder.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use transcript::{CueOptions, Format, JsonMeta, Transcript};

use crate::engine::{self, EngineArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Audio file: wav, mp3, flac, aac, ogg, m4a, mp4, amr, mpeg.
    file: PathBuf,
    /// Output format printed to stdout.
    #[arg(long, default_value = "txt")]
    format: Format,
    /// Spoken language (ISO 639-1 code), or `auto` to detect it.
    #[arg(long, default_value = "auto")]
    language: String,
    #[command(flatten)]
    engine: EngineArgs,
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
    let decoded = audio::decode(&args.file, audio::ChannelMode::Mix)
        .with_context(|| format!("cannot decode {}", args.file.display()))?;
    let engine = engine::load(&args.engine)?;
    let language = match args.language.as_str() {
        "auto" => None,
        code => Some(code.to_string()),
    };
    let options = asr::Options { language, ..Default::default() };

    let samples = decoded.channels.into_iter().next().unwrap_or_default();
    let progress = ProgressBar::new(std::io::stderr().is_terminal());
    let recognition = engine
        .transcribe(&samples, &options, &|fraction| progress.set(fraction))
        .with_context(|| format!("cannot transcribe {}", args.file.display()))?;
    progress.finish();

    let transcript = Transcript {
        language: recognition.language,
        duration: decoded.probe.duration_seconds,
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
        transcription_config: serde_json::json!({ "language": args.language }),
    };
    let cues = CueOptions { max_line_length: args.max_line_length, max_lines: args.max_lines };

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
