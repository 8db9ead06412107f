//! The one thing the pipeline asks of a decoder: the next block of native-rate samples.

use crate::AudioError;

/// A block of decoded audio at the file's native rate, one plane per channel.
pub(crate) struct Block<'a> {
    pub sample_rate: u32,
    pub planes: &'a [Vec<f32>],
}

pub(crate) trait PcmSource: Send {
    /// The next decoded block, or `None` at the end of the audio. After an error the source is
    /// spent.
    fn next_block(&mut self) -> Result<Option<Block<'_>>, AudioError>;
}
