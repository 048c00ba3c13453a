//! The C allocator's arenas, limited to one per core before the first thread starts.
//!
//! glibc's `malloc` gives a thread that finds its arena busy an arena of its own, up to eight
//! per core, and each arena keeps what was freed in it for later use in that arena. A sweep
//! runs the runtime's workers, the capture thread, SQLite's connection threads and the
//! blocking pool (36 threads in a 10,000-site sweep): its resident memory came to about three
//! times its live heap. Measured on `bench/crawl.sh --rss-10k`'s sweep (10,000 simweb sites,
//! 102,517 pages, 2026-12-08, one run each): heap peak 58.8 MB (`heaptrack`) against a
//! resident peak of 195.7 MB with glibc's default; 122.5 MB with two arenas
//! (`MALLOC_ARENA_MAX=2`), the sweep no slower (172 s against 188 s). The other allocators
//! tried, preloaded on the same sweep, peaked higher: mimalloc 187.3 MB, jemalloc 167.4 MB.
//!
//! The one `unsafe` call of the binary: `mallopt` changes a setting of the allocator and is
//! made before any other thread exists. `MALLOC_ARENA_MAX` in the environment, glibc's own
//! setting, is left to win.
#![allow(unsafe_code)]

/// Limits glibc's arenas to the number of cores (at least two); elsewhere nothing.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
            return;
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let arenas = libc::c_int::try_from(cores.clamp(2, 64)).unwrap_or(2);
        // SAFETY: mallopt only changes a setting of the allocator; no other thread is running
        // (called first thing in `main`) and M_ARENA_MAX takes any positive count.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
