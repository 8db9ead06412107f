//! The window loop over a whole recording: faster-whisper's `generate_segments` with word
//! timestamps, condition-on-previous-text and its seek rules, run on the speech regions that
//! Silero VAD finds, on several tracks at once (see `tracks`): each step takes the next window
//! of every track through the encoder, the beam search and the aligner as one batch.
//! Features are computed per 30 s window, so memory does not grow with the audio length.
// Frame ranges are the values here: a list of one range means one span, not its frames.
#![allow(clippy::single_range_in_vec_init)]

use std::borrow::Cow;
use std::ops::Range;
use std::time::Instant;

use ct2rs::sys::{Device, StorageView};
use transcript::{DecodedSegment, Word};

use super::activity::Activity;
use super::align::{add_word_timestamps, align_batch, text_tokens, AlignContext, TimedWord};
use super::decode::{
    generate_batch, generate_with_fallback, split_segments_by_timestamps, Attempt, DecodeParams,
    Figures, Segment, LOG_PROB_THRESHOLD, MAX_LENGTH, NO_SPEECH_THRESHOLD,
    PROMPT_RESET_ON_TEMPERATURE,
};
use super::encoded::{float_activations, Encoded, ALIGN_BATCH, ENCODE_BATCH};
use super::mel::{MelExtractor, HOP, WINDOW_FRAMES};
use super::{language, tracks, WhisperEngine};
use crate::{AsrError, Options, Progress};

const FRAMES_PER_SECOND: f64 = 100.0;
/// Shorter audio is padded with silence to this many samples (0.1 s) so every STFT frame
/// has real neighbours to reflect.
const MIN_SAMPLES: usize = 1600;
/// Largest magnitude kept; beyond it samples are clipped (bad input, not audio).
const MAX_MAGNITUDE: f32 = 1.0e4;

/// The language of a recording: forced, English for English-only models, or detected on its
/// first 30 s of speech.
#[derive(Debug, Clone)]
pub struct Language {
    pub code: String,
    pub probability: f32,
    /// The language token; `None` for English-only models.
    pub token: Option<u32>,
}

/// What one block of a recording hands on to the next.
#[derive(Debug, Clone, Default)]
pub struct Carry {
    /// `None` until known: detected on the first block with speech.
    pub language: Option<Language>,
    /// The tokens that begin the first track's text: the initial prompt in the first block,
    /// after that the text of the block before (since its last prompt reset), which conditions
    /// the next window as it would in one sequence.
    pub previous: Vec<u32>,
    /// Whisper's task for every window: translate into English rather than transcribe.
    pub translate: bool,
    /// Every window's attempts' temperatures (`decode::temperature_ladder`).
    pub temperatures: Vec<f32>,
}

/// What a block was recognised as, with times from the block's first sample.
#[derive(Debug, Default)]
pub struct BlockText {
    pub words: Vec<Word>,
    /// In time order.
    pub segments: Vec<DecodedSegment>,
}

/// The language the caller forces, checked against the model, or the only one an English-only
/// model has; `None` when it is to be detected.
pub fn fixed_language(
    engine: &WhisperEngine,
    options: &Options,
) -> Result<Option<Language>, AsrError> {
    let forced = options
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_ascii_lowercase);
    Ok(match forced {
        Some(code) => Some(Language {
            token: language_token(engine, &code)?,
            code,
            probability: 1.0,
        }),
        None if !engine.multilingual => Some(Language {
            code: "en".into(),
            probability: 1.0,
            token: None,
        }),
        None => None,
    })
}

/// The tokens of the caller's initial prompt, as faster-whisper encodes it.
pub fn initial_prompt(engine: &WhisperEngine, options: &Options) -> Result<Vec<u32>, AsrError> {
    match options
        .initial_prompt
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(prompt) => engine.tokenizer.encode(&format!(" {prompt}")),
        None => Ok(Vec::new()),
    }
}

/// Recognises one block of a recording (see `blocks`): `samples` with the VAD `probabilities`
/// of its frames; `initial_prompt` begins the text of every track but the first, which goes on
/// from `carry`. Word times are the block's own (from its first sample). `settled` is told the
/// words, in order, as soon as every word before them is known.
pub fn run_block(
    engine: &WhisperEngine,
    samples: &[f32],
    probabilities: &[f32],
    initial_prompt: &[u32],
    carry: &mut Carry,
    progress: Progress<'_>,
    settled: &mut dyn FnMut(&[Word]),
) -> Result<BlockText, AsrError> {
    if samples.is_empty() {
        return Ok(BlockText::default());
    }
    let samples = sanitize(samples);
    let content_frames = MelExtractor::content_frames(&samples);
    let log_max = engine.mel.log_max(&samples);
    // The speech map is always used to fit word times; skipping what is not speech before the
    // model is the configurable part.
    let activity = Activity::from_probabilities(probabilities, samples.len());
    let skip_silence = engine.config.skip_silence;
    let next_start = |seek: usize| {
        if skip_silence {
            activity.next_speech(seek)
        } else {
            Some(seek)
        }
    };
    let Some(first_speech) = next_start(0).filter(|&f| f < content_frames) else {
        return Ok(BlockText::default());
    };
    let windows = Windows {
        engine,
        samples: &samples,
        log_max,
    };

    let language = match &carry.language {
        Some(language) => language.clone(),
        None => {
            let frames = WINDOW_FRAMES.min(content_frames - first_speech);
            let mut encoded = windows.encode(&[(first_speech, frames)])?;
            let (code, probability) =
                encoded.with_view(|view| language::detect(&engine.model, view))?;
            let language = Language {
                token: language_token(engine, &code)?,
                code,
                probability,
            };
            carry.language = Some(language.clone());
            language
        }
    };

    let tok = &engine.tokenizer;
    let mut sot_sequence = vec![tok.sot];
    if engine.multilingual {
        sot_sequence.extend(language.token);
        sot_sequence.extend(if carry.translate {
            tok.translate
        } else {
            tok.transcribe
        });
    }
    let params = DecodeParams {
        beam_size: engine.config.beam_size,
        suppress_tokens: &engine.suppress_tokens,
        temperatures: &carry.temperatures,
    };
    let ctx = AlignContext {
        model: &engine.model,
        tokenizer: tok,
        sot_sequence: &sot_sequence,
        language: &language.code,
    };

    let speech = if skip_silence {
        activity.regions().to_vec()
    } else {
        vec![0..content_frames]
    };
    let mut tracks: Vec<Track> = tracks::split(
        content_frames,
        &speech,
        probabilities,
        engine.config.batch_size,
    )
    .into_iter()
    .enumerate()
    .map(|(i, range)| {
        // Only the first track follows the text before the block; the others start as the
        // recording does.
        let initial = if i == 0 {
            &carry.previous
        } else {
            initial_prompt
        };
        Track::new(range, initial)
    })
    .collect();
    tracing::debug!(
        frames = content_frames,
        speech_frames = activity.speech_frames(),
        tracks = tracks.len(),
        "voice activity"
    );

    let mut step = 0usize;
    let mut told = Told::default();
    loop {
        // Each track's next window, or the track is done.
        let mut batch: Vec<Window> = Vec::new();
        for (index, track) in tracks.iter_mut().enumerate() {
            if track.seek >= track.range.end {
                continue;
            }
            match next_start(track.seek) {
                Some(next) if next < track.range.end => track.seek = next,
                _ => {
                    track.seek = track.range.end;
                    continue;
                }
            }
            let (frames, pause_start) = window_end(&activity, track.seek, track.range.end);
            batch.push(Window {
                track: index,
                seek: track.seek,
                frames,
                pause_start,
                prompt: Vec::new(),
                last_speech: track.last_speech_timestamp,
            });
        }
        if batch.is_empty() {
            break;
        }
        let t_step = Instant::now();
        for chunk in batch.chunks_mut(engine.config.batch_size.max(1)) {
            // CTranslate2 wants the start token at the same place in every prompt of a batch,
            // so every window is conditioned on as many of its track's last tokens as the
            // track with the least text has (up to half the context, as faster-whisper keeps).
            let keep = chunk
                .iter()
                .map(|w| tracks[w.track].previous().len())
                .min()
                .unwrap_or(0)
                .min(MAX_LENGTH / 2 - 1);
            for window in chunk.iter_mut() {
                window.prompt = tracks[window.track].prompt(keep, tok.sot_prev, &sot_sequence);
            }
            let decoded = decode_in_lanes(engine.lanes, &windows, &ctx, &params, chunk, &activity)?;
            for (window, result) in chunk.iter().zip(decoded) {
                tracks[window.track].apply(window, result, tok, &samples, &activity);
            }
        }
        tracing::debug!(
            step,
            windows = batch.len(),
            seconds = t_step.elapsed().as_secs_f64(),
            "windows decoded"
        );
        step += 1;
        let done: usize = tracks.iter().map(|t| t.seek - t.range.start).sum();
        progress(fraction(done, content_frames));
        told.tell(&tracks, settled);
    }
    told.tell(&tracks, settled);
    if let Some(last) = tracks.last() {
        let previous = last.previous();
        carry.previous = previous[previous.len().saturating_sub(MAX_LENGTH / 2)..].to_vec();
    }
    progress(1.0);
    let mut text = BlockText::default();
    // Tracks are consecutive parts of the block.
    for track in tracks {
        text.words.extend(track.words);
        text.segments.extend(track.segments);
    }
    Ok(text)
}

/// How many of a block's words [`run_block`] has told as settled: tracks are consecutive parts
/// of the block decoded side by side, so a track's words are settled once every track before
/// it is done, and a window's words never change once decoded.
#[derive(Default)]
struct Told {
    track: usize,
    words: usize,
}

impl Told {
    fn tell(&mut self, tracks: &[Track], settled: &mut dyn FnMut(&[Word])) {
        while let Some(track) = tracks.get(self.track) {
            let fresh = &track.words[self.words.min(track.words.len())..];
            if !fresh.is_empty() {
                settled(fresh);
                self.words = track.words.len();
            }
            if track.seek < track.range.end {
                break;
            }
            self.track += 1;
            self.words = 0;
        }
    }
}

/// One track's place in the recording and its decoding state, as the sequential loop keeps it.
struct Track {
    range: Range<usize>,
    /// Where the next window starts; the track is done when it reaches the range's end.
    seek: usize,
    /// Tokens of the text so far (after the initial prompt), for conditioning.
    all_tokens: Vec<u32>,
    prompt_reset_since: usize,
    last_speech_timestamp: f64,
    words: Vec<Word>,
    segments: Vec<DecodedSegment>,
    /// The seek of the last window decoded again without the previous text because it left out
    /// its start; that window is taken as it comes the second time.
    retried: Option<usize>,
}

/// A window of one track in a batch.
struct Window {
    track: usize,
    seek: usize,
    frames: usize,
    /// Where the pause the window was cut in starts, when it was cut in one.
    pause_start: Option<usize>,
    prompt: Vec<u32>,
    /// The end of the track's last speech, in seconds (faster-whisper's
    /// `last_speech_timestamp`, which bounds the first word after a pause).
    last_speech: f64,
}

/// What a window decoded to: its segments with their words, and where its track goes on.
struct WindowResult {
    /// The model left out speech at the window's start (see `Unheard::left_out_before`).
    skipped_start: bool,
    /// `None`: the window was silence and is skipped whole.
    segments: Option<(Vec<Segment>, Vec<Vec<TimedWord>>)>,
    next_seek: usize,
    /// The kept attempt's.
    figures: Figures,
}

impl Track {
    fn new(range: Range<usize>, initial_prompt: &[u32]) -> Self {
        Track {
            seek: range.start,
            all_tokens: initial_prompt.to_vec(),
            prompt_reset_since: 0,
            // The track's start: what came before it is another track's.
            last_speech_timestamp: range.start as f64 / FRAMES_PER_SECOND,
            words: Vec::new(),
            segments: Vec::new(),
            retried: None,
            range,
        }
    }

    /// The text that conditions the next window: everything since the last prompt reset.
    fn previous(&self) -> &[u32] {
        &self.all_tokens[self.prompt_reset_since.min(self.all_tokens.len())..]
    }

    /// The decoder prompt: the last `keep` tokens of the track's text and the start sequence.
    fn prompt(&self, keep: usize, sot_prev: u32, sot_sequence: &[u32]) -> Vec<u32> {
        let previous = self.previous();
        let mut prompt = Vec::with_capacity(keep + sot_sequence.len() + 1);
        if keep > 0 {
            prompt.push(sot_prev);
            prompt.extend_from_slice(&previous[previous.len().saturating_sub(keep)..]);
        }
        prompt.extend_from_slice(sot_sequence);
        prompt
    }

    fn apply(
        &mut self,
        window: &Window,
        result: WindowResult,
        tok: &super::tokenizer::WhisperTokenizer,
        samples: &[f32],
        activity: &Activity,
    ) {
        if result.skipped_start && self.retried != Some(window.seek) {
            // Decoded again from the same place without the text before it, which is what led
            // the model past the start.
            self.retried = Some(window.seek);
            self.prompt_reset_since = self.all_tokens.len();
            self.seek = window.seek;
            return;
        }
        // A window must always move the seek forward, whatever the model wrote.
        let next = if result.next_seek > window.seek {
            result.next_seek
        } else {
            window.seek + window.frames
        };
        self.seek = next.min(self.range.end);
        tracing::trace!(
            seek = window.seek,
            frames = window.frames,
            cut_in_pause = window.pause_start.is_some(),
            advanced = self.seek - window.seek,
            "window done"
        );
        if let Some((segments, segment_words)) = result.segments {
            if let Some(end) = last_end(&segments, &segment_words) {
                self.last_speech_timestamp = end;
            }
            let f = result.figures;
            for (segment, seg_words) in segments.into_iter().zip(segment_words) {
                if segment.start == segment.end || tok.decode(&segment.tokens).trim().is_empty() {
                    continue;
                }
                self.all_tokens.extend_from_slice(&segment.tokens);
                push_words(&mut self.words, seg_words, samples.len(), activity);
                self.segments.push(DecodedSegment {
                    start: segment.start,
                    end: segment.end,
                    seek: window.seek as u64,
                    tokens: segment.tokens,
                    temperature: f.temperature,
                    avg_logprob: f.avg_logprob,
                    compression_ratio: f.compression_ratio,
                    no_speech_prob: f.no_speech_prob,
                });
            }
        }
        if result.figures.temperature > PROMPT_RESET_ON_TEMPERATURE {
            self.prompt_reset_since = self.all_tokens.len();
        }
    }
}

/// Windows in the beam search at once, over all lanes. The beam search over 8 windows holds
/// 150 MB more than over 4 (measured on en_long with tiny.en int8, 2 threads: peak RSS 590 MB
/// against 442 MB, same CPU time and words), so a step's windows go through it 4 at a time: 2
/// per call in each of two lanes (which measured 22.8 s wall and 625 MB, against 21.9 s and
/// 733 MB with 4 per call).
const GENERATE_BATCH: usize = 4;

/// Decodes a step's windows split between `lanes` lanes (see `WhisperEngine::lanes`), each on a
/// thread of its own running its own calls into the model; the results are in the windows' order.
fn decode_in_lanes(
    lanes: usize,
    windows: &Windows,
    ctx: &AlignContext,
    params: &DecodeParams,
    batch: &[Window],
    activity: &Activity,
) -> Result<Vec<WindowResult>, AsrError> {
    let lanes = lanes.clamp(1, batch.len().max(1));
    if lanes == 1 {
        return decode_step(windows, ctx, params, batch, activity, 1);
    }
    let per_lane = batch.len().div_ceil(lanes);
    let parts: Vec<Result<Vec<WindowResult>, AsrError>> = std::thread::scope(|scope| {
        let mut parts = batch.chunks(per_lane);
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts
            .map(|part| {
                scope.spawn(move || decode_step(windows, ctx, params, part, activity, lanes))
            })
            .collect();
        let mut done = vec![decode_step(windows, ctx, params, first, activity, lanes)];
        done.extend(others.into_iter().map(|lane| {
            lane.join()
                .unwrap_or_else(|_| Err(AsrError::Engine("a decoding lane panicked".into())))
        }));
        done
    });
    let mut results = Vec::with_capacity(batch.len());
    for part in parts {
        results.extend(part?);
    }
    Ok(results)
}

/// Decodes a batch of windows: the encoder, the beam search and the aligner over them a few at a
/// time (see `encoded`, GENERATE_BATCH and ALIGN_BATCH, shared by the `lanes` lanes decoding
/// side by side), then a fallback (alone) for each window whose first attempt failed
/// faster-whisper's checks.
fn decode_step(
    windows: &Windows,
    ctx: &AlignContext,
    params: &DecodeParams,
    batch: &[Window],
    activity: &Activity,
    lanes: usize,
) -> Result<Vec<WindowResult>, AsrError> {
    let tok = ctx.tokenizer;
    let places: Vec<(usize, usize)> = batch.iter().map(|w| (w.seek, w.frames)).collect();
    let t = Instant::now();
    let mut encoded = windows.encode(&places)?;
    let encode_s = t.elapsed().as_secs_f64();
    let prompts: Vec<Vec<u32>> = batch.iter().map(|w| w.prompt.clone()).collect();
    let t = Instant::now();
    let attempts = encoded.in_groups((GENERATE_BATCH / lanes).max(1), |group, view| {
        generate_batch(ctx.model, tok, view, &prompts[group], params)
    })?;
    let generate_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let fallbacks = attempts.iter().filter(|a| a.needs_fallback()).count();

    let mut decoded = Vec::with_capacity(batch.len());
    for (i, (window, attempt)) in batch.iter().zip(attempts).enumerate() {
        decoded.push(if attempt.needs_fallback() {
            // The batch's copied outputs already hold this window encoded alone.
            let mut alone = match encoded.window(i) {
                Some(alone) => alone,
                None => windows.encode(&[(window.seek, window.frames)])?,
            };
            alone.with_view(|view| {
                generate_with_fallback(ctx.model, tok, view, &window.prompt, params, attempt)
            })?
        } else {
            let Attempt { decoded, .. } = attempt;
            decoded
        });
    }

    let mut results = Vec::with_capacity(batch.len());
    let mut texts = Vec::with_capacity(batch.len());
    for (window, decoded) in batch.iter().zip(&decoded) {
        let time_offset = window.seek as f64 / FRAMES_PER_SECOND;
        if decoded.no_speech_prob > NO_SPEECH_THRESHOLD && decoded.avg_logprob <= LOG_PROB_THRESHOLD
        {
            tracing::debug!(
                seek = window.seek,
                no_speech_prob = decoded.no_speech_prob,
                avg_logprob = decoded.avg_logprob,
                "window judged silent"
            );
            texts.push(Vec::new());
            results.push((None, window.seek + window.frames, false));
            continue;
        }
        let (segments, next_seek, single_timestamp_ending) = split_segments_by_timestamps(
            tok.timestamp_begin(),
            &decoded.tokens,
            time_offset,
            window.frames,
            window.frames as f64 / FRAMES_PER_SECOND,
            window.seek,
        );
        texts.push(text_tokens(&segments, tok.eot));
        results.push((Some(segments), next_seek, single_timestamp_ending));
    }
    // Encoding a window alone or in a batch gives the same output, so the batch's serves the
    // aligner for windows that fell back too. The aligner may place a window's words past its
    // own frames (see `align_batch`); they are held to its audio below.
    let fallback_s = t.elapsed().as_secs_f64();
    let frames: Vec<usize> = batch.iter().map(|w| w.frames).collect();
    let t = Instant::now();
    let alignments = encoded.in_groups((ALIGN_BATCH / lanes).max(1), |group, view| {
        align_batch(ctx, view, &texts[group.clone()], &frames[group])
    })?;
    tracing::debug!(
        encode_s,
        generate_s,
        fallbacks,
        fallback_s,
        align_s = t.elapsed().as_secs_f64(),
        tokens = texts.iter().map(Vec::len).sum::<usize>(),
        "batch decoded"
    );

    let mut out = Vec::with_capacity(batch.len());
    for (((window, decoded), (segments, mut next_seek, single)), aligned) in
        batch.iter().zip(&decoded).zip(results).zip(&alignments)
    {
        let Some(mut segments) = segments else {
            out.push(WindowResult {
                skipped_start: false,
                segments: None,
                next_seek,
                figures: decoded.figures(),
            });
            continue;
        };
        let time_offset = window.seek as f64 / FRAMES_PER_SECOND;
        let (mut segment_words, _) =
            add_word_timestamps(ctx, &mut segments, aligned, window.last_speech)?;
        let window_end = (window.seek + window.frames) as f64 / FRAMES_PER_SECOND;
        for word in segment_words.iter_mut().flatten() {
            word.end = word.end.min(window_end);
            word.start = word.start.min(word.end);
        }
        if let Some(end) = last_end(&segments, &segment_words) {
            let end_frame = (end * FRAMES_PER_SECOND).round() as usize;
            if !single {
                let reached_pause = window
                    .pause_start
                    .is_some_and(|p| end_frame + PAUSE_REACHED_FRAMES >= p);
                if reached_pause {
                    // The text runs up to the pause the window was cut in: nothing is left
                    // unfinished, so the next window starts after the pause, not at the last
                    // timestamp (which would decode the last sentence twice).
                    next_seek = window.seek + window.frames;
                } else if end > time_offset {
                    next_seek = end_frame;
                }
            }
            // Whisper sometimes ends a window early (often at a change of speaker) and says so
            // with its timestamps, which would skip the rest of the window. Where the VAD hears
            // speech after the last word, the next window starts at that word's end instead.
            if end_frame < next_seek && UNHEARD.left_out(window, end_frame, activity) {
                tracing::debug!(
                    seek = window.seek,
                    end_frame,
                    next_seek,
                    "window ended early"
                );
                next_seek = end_frame;
            }
        }
        // Conditioned on the text before it, Whisper sometimes leaves out the start of a window
        // and goes on from later speech; the VAD hears what it left out.
        let conditioned = window.prompt.first() == Some(&tok.sot_prev);
        let skipped_start = conditioned
            && first_start(&segment_words).is_some_and(|start| {
                let start_frame = (start * FRAMES_PER_SECOND).round() as usize;
                UNHEARD.left_out_before(window, start_frame, activity)
            });
        if skipped_start {
            tracing::debug!(seek = window.seek, "window left out its start");
        }
        out.push(WindowResult {
            skipped_start,
            segments: Some((segments, segment_words)),
            next_seek,
            figures: decoded.figures(),
        });
    }
    Ok(out)
}

/// When speech the VAD hears after a window's last word counts as left out by the model.
struct Unheard {
    /// Frames of speech (2 s)…
    speech: usize,
    /// …more than this many frames after the last word (1 s)…
    gap: usize,
    /// …in a window whose words moved on by at least this many frames, so the decoding always
    /// progresses.
    advance: usize,
}

const UNHEARD: Unheard = Unheard {
    speech: 200,
    gap: 100,
    advance: 100,
};

impl Unheard {
    /// Speech before the window's first word that its words do not account for.
    fn left_out_before(
        &self,
        window: &Window,
        first_word_start: usize,
        activity: &Activity,
    ) -> bool {
        let before = window.seek..first_word_start.saturating_sub(self.gap);
        !before.is_empty() && activity.speech_frames_in(before) >= self.speech
    }

    fn left_out(&self, window: &Window, last_word_end: usize, activity: &Activity) -> bool {
        let rest = last_word_end + self.gap..window.seek + window.frames;
        last_word_end > window.seek + self.advance && activity.speech_frames_in(rest) >= self.speech
    }
}

/// A window cut in a pause ends this close to it (in frames) when the model wrote everything
/// before the pause.
const PAUSE_REACHED_FRAMES: usize = 50;
/// Windows are cut in the last pause of at least this many frames…
const MIN_CUT_PAUSE_FRAMES: usize = 30;
/// …that starts in their last this many frames (a window of at least 20 s).
const CUT_SEARCH_FRAMES: usize = 1000;

/// How many frames the window at `seek` takes, and where the pause it ends in starts: a full
/// window would cut through speech, so it ends in the middle of the last pause in its final
/// ten seconds, where there is one. The words before the pause are then finished in this
/// window, and the next one starts after it. The last window of a track takes what is left.
fn window_end(activity: &Activity, seek: usize, end: usize) -> (usize, Option<usize>) {
    if end - seek <= WINDOW_FRAMES {
        return (end - seek, None);
    }
    let search = seek + WINDOW_FRAMES - CUT_SEARCH_FRAMES..seek + WINDOW_FRAMES;
    match activity.last_pause(search, MIN_CUT_PAUSE_FRAMES) {
        Some(pause) => {
            let cut = ((pause.start + pause.end) / 2).min(seek + WINDOW_FRAMES);
            (cut - seek, Some(pause.start))
        }
        None => (WINDOW_FRAMES, None),
    }
}

/// Computes and encodes windows' features.
struct Windows<'a> {
    engine: &'a WhisperEngine,
    samples: &'a [f32],
    log_max: f32,
}

impl Windows<'_> {
    /// Encodes the windows at (start frame, frames) for one batch (see `encoded`).
    fn encode(&self, places: &[(usize, usize)]) -> Result<Encoded, AsrError> {
        if !float_activations(&self.engine.config.compute_type) {
            return Ok(Encoded::Whole {
                view: self.encode_together(places)?,
                windows: places.len(),
            });
        }
        let mut encoded = Encoded::copied(places.len());
        for group in places.chunks(ENCODE_BATCH) {
            encoded.push(&self.encode_together(group)?, group.len())?;
        }
        Ok(encoded)
    }

    /// Encodes the windows in one encoder call.
    fn encode_together(&self, places: &[(usize, usize)]) -> Result<StorageView<'static>, AsrError> {
        let mel = &self.engine.mel;
        let mut features = Vec::with_capacity(places.len() * mel.n_mels() * WINDOW_FRAMES);
        for &(start, frames) in places {
            features.extend(mel.window(self.samples, start, frames, self.log_max));
        }

        let view = StorageView::new(
            &[places.len(), mel.n_mels(), WINDOW_FRAMES],
            &mut features,
            Device::CPU,
        )
        .map_err(|e| AsrError::Engine(format!("preparing features: {e:#}")))?;
        self.engine
            .model
            .encode(&view, false)
            .map_err(|e| AsrError::Engine(format!("encoding windows: {e:#}")))
    }
}

/// The token of a language code, or `UnsupportedLanguage`. English-only models take "en"
/// only and have no language token (`None`).
fn language_token(engine: &WhisperEngine, code: &str) -> Result<Option<u32>, AsrError> {
    if !engine.multilingual {
        return if code == "en" {
            Ok(None)
        } else {
            Err(AsrError::UnsupportedLanguage(format!(
                "{code} (model {} is English-only)",
                engine.name
            )))
        };
    }
    engine
        .languages
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, id)| Some(*id))
        .ok_or_else(|| {
            AsrError::UnsupportedLanguage(format!("{code} (not known to model {})", engine.name))
        })
}

/// Samples the model can digest: NaN and infinities become silence, absurd magnitudes are
/// clipped, and audio shorter than MIN_SAMPLES is padded. Borrowed when already clean.
fn sanitize(samples: &[f32]) -> Cow<'_, [f32]> {
    let clean = samples
        .iter()
        .all(|s| s.is_finite() && s.abs() <= MAX_MAGNITUDE);
    if clean && samples.len() >= MIN_SAMPLES {
        return Cow::Borrowed(samples);
    }
    let mut out: Vec<f32> = samples
        .iter()
        .map(|&s| {
            if s.is_finite() {
                s.clamp(-MAX_MAGNITUDE, MAX_MAGNITUDE)
            } else {
                0.0
            }
        })
        .collect();
    if out.len() < MIN_SAMPLES {
        out.resize(MIN_SAMPLES, 0.0);
    }
    Cow::Owned(out)
}

/// The start of a window's first word.
fn first_start(words: &[Vec<TimedWord>]) -> Option<f64> {
    words.iter().find_map(|w| w.first().map(|w| w.start))
}

/// faster-whisper's `get_end`: the end of the last word, else of the last segment.
fn last_end(segments: &[Segment], words: &[Vec<TimedWord>]) -> Option<f64> {
    words
        .iter()
        .rev()
        .find_map(|w| w.last().map(|w| w.end))
        .or_else(|| segments.last().map(|s| s.end))
}

/// Appends a segment's words as `transcript::Word`s, fitted to the sound (see
/// `Activity::fit_word`), inside the audio, non-decreasing and non-overlapping.
fn push_words(out: &mut Vec<Word>, words: Vec<TimedWord>, n_samples: usize, activity: &Activity) {
    let duration = n_samples as f64 / (HOP as f64 * FRAMES_PER_SECOND);
    for w in words {
        let text = w.word.trim();
        if text.is_empty() {
            continue;
        }
        let Some((start, end)) = activity.fit_word(w.start, w.end) else {
            tracing::debug!(
                word = text,
                start = w.start,
                end = w.end,
                "word in silence dropped"
            );
            continue;
        };
        let floor = out.last().map_or(0.0, |p| p.end);
        let start = start.clamp(floor, duration.max(floor));
        let end = end.clamp(start, duration.max(start));
        out.push(Word {
            text: text.to_string(),
            start,
            end,
            confidence: if w.probability.is_finite() {
                w.probability.clamp(0.0, 1.0)
            } else {
                0.0
            },
            speaker: None,
            channel: None,
        });
    }
}

fn fraction(done: usize, content_frames: usize) -> f32 {
    if content_frames == 0 {
        1.0
    } else {
        (done.min(content_frames) as f64 / content_frames as f64) as f32
    }
}
