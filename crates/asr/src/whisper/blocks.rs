//! Cutting a recording into blocks as it is decoded, so that recognition never needs the whole
//! signal: audio and its VAD probabilities accumulate until they hold the speech of one batch of
//! tracks (`tracks`), then the block is cut in a pause near its end and handed on; what follows
//! the cut starts the next block. A block is decoded like a whole recording of its own, its
//! words shifted by its start.

use vad::{RegionOptions, FRAME_SAMPLES};

use super::mel::HOP;
use super::tracks::{pause_near, SEARCH_FRAMES, TRACK_FRAMES};

/// A stretch of the recording: its samples and the VAD probability of each of its frames.
pub struct Block {
    /// Where it starts in the recording, in samples (a whole number of VAD frames).
    pub start: usize,
    pub samples: Vec<f32>,
    pub probabilities: Vec<f32>,
}

/// Builds [`Block`]s out of audio pushed in pieces (see the module comment).
pub struct BlockCutter {
    start: usize,
    samples: Vec<f32>,
    probabilities: Vec<f32>,
    /// Frames (10 ms) of speech regions a block holds before it is cut.
    speech_frames: usize,
}

/// A block is cut this far (10 ms frames) past the speech it must hold, so that the pause it
/// is cut in (searched for within SEARCH_FRAMES of 15 s before its end) leaves it that speech.
const MARGIN_FRAMES: usize = 2 * SEARCH_FRAMES;
/// Audio with little speech is cut anyway after this many times a block's speech in frames,
/// which bounds the memory a block takes whatever the audio.
const MAX_LENGTH_FACTOR: usize = 2;

impl BlockCutter {
    /// Blocks holding the speech of `tracks` tracks.
    pub fn new(tracks: usize) -> Self {
        BlockCutter {
            start: 0,
            samples: Vec::new(),
            probabilities: Vec::new(),
            speech_frames: tracks.max(1) * TRACK_FRAMES,
        }
    }

    /// Takes decoded samples and the VAD probabilities that came with them (probabilities lag
    /// the samples: the VAD completes frames in runs).
    pub fn push(&mut self, samples: &[f32], probabilities: &[f32]) {
        self.samples.extend_from_slice(samples);
        self.probabilities.extend_from_slice(probabilities);
    }

    /// The next complete block, when the audio pushed so far holds one.
    pub fn next_block(&mut self) -> Option<Block> {
        // Only frames with a probability are known to be speech or not. Speech is measured as
        // `tracks::split` will measure it, by the regions the decoder runs on.
        let known = self.probabilities.len() * FRAME_SAMPLES;
        let frames = known / HOP;
        let speech: usize =
            vad::speech_regions(&self.probabilities, known, &RegionOptions::default())
                .iter()
                .map(|r| r.len() / HOP)
                .sum();
        let full = speech >= self.speech_frames + MARGIN_FRAMES
            || frames >= MAX_LENGTH_FACTOR * (self.speech_frames + MARGIN_FRAMES);
        if !full {
            return None;
        }
        let ideal = frames - SEARCH_FRAMES;
        let cut_frame = pause_near(ideal, frames, &self.probabilities);
        let cut = (cut_frame * HOP / FRAME_SAMPLES).clamp(1, self.probabilities.len());
        Some(self.split(cut))
    }

    /// What is left, as the last block (`None` when nothing is).
    pub fn finish(mut self, probabilities: &[f32]) -> Option<Block> {
        self.probabilities.extend_from_slice(probabilities);
        if self.samples.is_empty() {
            return None;
        }
        // The VAD's last frame is padded: the block ends where the audio does.
        let all = self.probabilities.len();
        Some(self.split(all))
    }

    /// Hands out the first `vad_frames` frames as a block.
    fn split(&mut self, vad_frames: usize) -> Block {
        let samples_end = (vad_frames * FRAME_SAMPLES).min(self.samples.len());
        let rest_samples = self.samples.split_off(samples_end);
        let rest_probabilities = self.probabilities.split_off(vad_frames);
        let block = Block {
            start: self.start,
            samples: std::mem::replace(&mut self.samples, rest_samples),
            probabilities: std::mem::replace(&mut self.probabilities, rest_probabilities),
        };
        self.start += block.samples.len();
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `seconds` of audio in 1 s pieces: speech, with a 0.6 s pause every 7 s where
    /// `pauses`, silence where not `speech`; returns the blocks cut on the way and at the end.
    fn cut(tracks: usize, seconds: usize, speech: impl Fn(usize) -> bool) -> Vec<Block> {
        let mut cutter = BlockCutter::new(tracks);
        let mut blocks = Vec::new();
        let mut vad_frame = 0;
        for second in 0..seconds {
            // each second, value = its index, so the order of samples can be checked
            let samples = vec![second as f32; vad::SAMPLE_RATE];
            let mut probabilities = Vec::new();
            while (vad_frame + 1) * FRAME_SAMPLES <= (second + 1) * vad::SAMPLE_RATE {
                let t = (vad_frame * FRAME_SAMPLES) as f64 / vad::SAMPLE_RATE as f64;
                let in_pause = t % 7.0 > 6.2;
                probabilities.push(if speech(second) && !in_pause {
                    0.9
                } else {
                    0.05
                });
                vad_frame += 1;
            }
            cutter.push(&samples, &probabilities);
            blocks.extend(std::iter::from_fn(|| cutter.next_block()));
        }
        // the VAD pads a last partial frame
        let frames = (seconds * vad::SAMPLE_RATE).div_ceil(FRAME_SAMPLES);
        blocks.extend(cutter.finish(&vec![0.05; frames - vad_frame]));
        blocks
    }

    fn check_contiguous(blocks: &[Block], seconds: usize) {
        let mut at = 0;
        for b in blocks {
            assert_eq!(b.start, at);
            assert_eq!(b.start % FRAME_SAMPLES, 0);
            assert_eq!(
                b.probabilities.len(),
                b.samples.len().div_ceil(FRAME_SAMPLES)
            );
            at += b.samples.len();
        }
        assert_eq!(at, seconds * vad::SAMPLE_RATE);
        let all: Vec<f32> = blocks
            .iter()
            .flat_map(|b| b.samples.iter().copied())
            .collect();
        assert!(all.windows(2).all(|w| w[0] <= w[1]), "samples out of order");
    }

    #[test]
    fn short_audio_is_one_block() {
        let blocks = cut(8, 120, |_| true);
        assert_eq!(blocks.len(), 1);
        check_contiguous(&blocks, 120);
    }

    #[test]
    fn long_speech_is_cut_in_pauses_into_blocks_of_a_batch_of_tracks() {
        let seconds = 3600;
        let blocks = cut(8, seconds, |_| true);
        check_contiguous(&blocks, seconds);
        assert!(blocks.len() >= 6, "{} blocks", blocks.len());
        for b in &blocks[..blocks.len() - 1] {
            let n = b.samples.len();
            let speech: usize = vad::speech_regions(&b.probabilities, n, &RegionOptions::default())
                .iter()
                .map(|r| r.len() / HOP)
                .sum();
            assert!(
                speech >= 8 * TRACK_FRAMES,
                "block with {speech} speech frames"
            );
            // cut in a pause: its last frames are not speech
            let end = b.start + b.samples.len();
            let t = end as f64 / vad::SAMPLE_RATE as f64;
            assert!(t % 7.0 > 6.1, "cut at {t} s, not in a pause");
        }
    }

    #[test]
    fn silence_does_not_grow_a_block_without_bound() {
        let seconds = 7200;
        let blocks = cut(1, seconds, |s| s < 10);
        check_contiguous(&blocks, seconds);
        let longest = blocks.iter().map(|b| b.samples.len()).max().unwrap();
        let bound = MAX_LENGTH_FACTOR * (TRACK_FRAMES + MARGIN_FRAMES) * HOP;
        assert!(longest <= bound, "{longest} samples in a block");
    }
}
