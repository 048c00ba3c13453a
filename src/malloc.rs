//! The C allocator's arenas, limited to one per core before the first thread starts, and
//! what they hold free given back to the system every few seconds.
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
//! An arena gives memory back to the system only from its top: what a sweep's crawl freed
//! below what it still held stayed resident through the sweep's later phases. A thread calls
//! `malloc_trim` every [`TRIM_EVERY`], which returns every free page of every arena (a few
//! milliseconds; what is handed out again later costs a page fault).
//!
//! The binary's only `unsafe` calls: `mallopt` changes a setting of the allocator and is made
//! before any other thread exists; `malloc_trim` takes each arena's lock like any `malloc`.
//! `MALLOC_ARENA_MAX` in the environment, glibc's own setting, is left to win.
#![allow(unsafe_code)]

/// How often free memory is given back.
pub const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

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

/// Starts the thread that gives free memory back every [`TRIM_EVERY`]; elsewhere than on
/// glibc, nothing.
pub fn start_trimming() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let started = std::thread::Builder::new()
            .name("malloc-trim".into())
            .spawn(|| loop {
                std::thread::sleep(TRIM_EVERY);
                // SAFETY: malloc_trim takes each arena's lock as malloc does; 0 keeps no pad.
                unsafe {
                    libc::malloc_trim(0);
                }
            });
        if let Err(e) = started {
            tracing::debug!(error = %e, "malloc-trim thread not started");
        }
    }
}
