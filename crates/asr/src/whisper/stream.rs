//! Recognition of audio while it is decoded. A reader thread runs the VAD over the pieces as
//! they arrive and cuts them into blocks (`blocks`); the caller's thread recognises each block
//! while the reader prepares the next. The hand-over holds no queue (a block waits in the
//! reader until the recogniser takes it), so at most two blocks are in memory, whatever the
//! recording's length.

use std::sync::mpsc::{sync_channel, SyncSender};

use transcript::{DecodedSegment, Word};
use vad::SileroVad;

use super::blocks::{Block, BlockCutter};
use super::decode::temperature_ladder;
use super::mel::HOP;
use super::transcribe::{fixed_language, initial_prompt, run_block, Carry};
use super::{WhisperEngine, DEFAULT_BATCH_SIZE};
use crate::{AsrError, AudioChunks, Options, Progress, Recognition, SettledWords, SAMPLE_RATE};

pub fn run(
    engine: &WhisperEngine,
    audio: AudioChunks<'_>,
    duration_seconds: Option<f64>,
    options: &Options,
    progress: Progress<'_>,
) -> Result<Recognition, AsrError> {
    // An English-only model has no task token: it would transcribe and call it a translation.
    if options.translate && !engine.multilingual {
        return Err(AsrError::CannotTranslate);
    }
    let fixed = fixed_language(engine, options)?;
    let initial_prompt = initial_prompt(engine, options)?;
    let mut carry = Carry {
        language: fixed,
        previous: initial_prompt.clone(),
        translate: options.translate,
        temperatures: temperature_ladder(options.temperature),
    };
    // Blocks hold a batch of tracks' speech; one window at a time, they are as long as at the
    // default batch size, so that a sequential decoding is seldom cut.
    let cutter = BlockCutter::new(engine.config.batch_size.max(DEFAULT_BATCH_SIZE));
    let seconds = |samples: usize| samples as f64 / SAMPLE_RATE as f64;
    let (hand_over, blocks) = sync_channel(0);
    let (words, segments) = std::thread::scope(|scope| {
        scope.spawn(|| read_blocks(&engine.vad, audio, cutter, hand_over));
        let mut words: Vec<Word> = Vec::new();
        let mut segments: Vec<DecodedSegment> = Vec::new();
        // Returning early drops `blocks`, which ends the reader at its next hand-over.
        for block in blocks {
            let block = block?;
            let offset = seconds(block.start);
            let length = seconds(block.samples.len());
            let block_progress = |f: f32| {
                if let Some(total) = duration_seconds.filter(|&d| d > 0.0) {
                    progress(((offset + f64::from(f) * length) / total).min(1.0) as f32);
                }
            };
            let mut tell = |settled: &[Word]| {
                if let Some(SettledWords(tell)) = &options.settled {
                    tell(&shifted(settled, offset));
                }
            };
            let block_text = run_block(
                engine,
                &block.samples,
                &block.probabilities,
                &initial_prompt,
                &mut carry,
                &block_progress,
                &mut tell,
            )?;
            tracing::debug!(
                start_s = offset,
                seconds = length,
                words = block_text.words.len(),
                "block recognised"
            );
            words.extend(shifted(&block_text.words, offset));
            let offset_frames = (block.start / HOP) as u64;
            segments.extend(block_text.segments.into_iter().map(|s| DecodedSegment {
                start: s.start + offset,
                end: s.end + offset,
                seek: s.seek + offset_frames,
                ..s
            }));
        }
        Ok::<_, AsrError>((words, segments))
    })?;
    progress(1.0);
    let language = carry.language;
    Ok(Recognition {
        language: language
            .as_ref()
            .map_or_else(|| "en".into(), |l| l.code.clone()),
        // An undetected language (no speech) is a guess.
        language_probability: language.map_or(0.0, |l| l.probability),
        words,
        segments,
    })
}

/// A block's words with times from the start of the recording.
fn shifted(words: &[Word], offset: f64) -> Vec<Word> {
    words
        .iter()
        .map(|w| Word {
            start: w.start + offset,
            end: w.end + offset,
            ..w.clone()
        })
        .collect()
}

/// The reader: audio → VAD → blocks, handed over one at a time. Stops at the first error
/// (handed over too) or when the recogniser stops taking blocks.
fn read_blocks(
    vad: &SileroVad,
    audio: AudioChunks<'_>,
    mut cutter: BlockCutter,
    hand_over: SyncSender<Result<Block, AsrError>>,
) {
    let vad_failed = |e: vad::VadError| AsrError::Engine(format!("voice activity: {e}"));
    let mut stream = vad.stream();
    for chunk in audio {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                let _ = hand_over.send(Err(AsrError::Audio(e)));
                return;
            }
        };
        match stream.push(&chunk) {
            Ok(probabilities) => cutter.push(&chunk, &probabilities),
            Err(e) => {
                let _ = hand_over.send(Err(vad_failed(e)));
                return;
            }
        }
        while let Some(block) = cutter.next_block() {
            if hand_over.send(Ok(block)).is_err() {
                return;
            }
        }
    }
    match stream.finish() {
        Ok(probabilities) => {
            if let Some(block) = cutter.finish(&probabilities) {
                let _ = hand_over.send(Ok(block));
            }
        }
        Err(e) => {
            let _ = hand_over.send(Err(vad_failed(e)));
        }
    }
}
