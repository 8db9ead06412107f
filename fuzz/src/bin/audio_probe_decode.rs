//! afl target: the whole in-process audio path (sniff, probe, symphonia decode, resampling),
//! decoding both mixed down and per channel (split has paths of its own: a channel count that
//! changes mid-stream, one resampler channel per input channel).

use audio::ChannelMode;
use verbatim_fuzz::harness;

fn main() {
    let (path, _guard) = harness::setup();
    let settings = harness::settings();
    // nohook: a panic the crate catches itself (it wraps symphonia in catch_unwind) is handled
    // input, not a crash; an uncaught panic still aborts and is saved.
    afl::fuzz_nohook!(|data: &[u8]| {
        harness::run(
            &path,
            data,
            &[ChannelMode::Mix, ChannelMode::Split],
            &settings,
        );
    });
}
