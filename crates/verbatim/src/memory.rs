//! Process-wide memory settings, made before anything allocates much, so that a worker's memory
//! stays flat over hours of audio (issue 10; figures in docs/recognition.md, "Memory").
//!
//! Why by hand: the two allocators involved belong to the C side (glibc's malloc, under Rust and
//! CTranslate2 alike, and MKL's own buffer cache inside CTranslate2), and neither has a Rust
//! crate that sets them; an allocator crate replacing malloc (jemalloc) measured the same.

/// Allocations from this size up are mapped on their own and returned to the system when freed.
/// glibc's default threshold starts at 128 kB and rises to the largest block freed so far (up
/// to 32 MB), after which every recognition block and CTranslate2 buffer below that size comes
/// from the heap, which fragments and is never given back over a long recording. 4 MB keeps the
/// many small buffers of the beam search on the heap (a lower threshold cost CPU time: each
/// mapping is zeroed anew).
const MMAP_THRESHOLD: i32 = 4 << 20;

pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
    // MKL (inside CTranslate2) keeps every buffer it frees for reuse, so its cache grows to the
    // largest set of buffers any window ever needed at once. It reads this once, at its first
    // allocation, which comes later (model loading); an operator's own setting wins.
    if std::env::var_os("MKL_DISABLE_FAST_MM").is_none() {
        std::env::set_var("MKL_DISABLE_FAST_MM", "1");
    }
}
