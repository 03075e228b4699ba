//! The process's memory allocator, tuned once at start-up (#24, P6).
//!
//! On glibc (Linux), measured with `comptoir bench checkout` (BENCHMARKS.md), the default
//! allocator let a server at 32 concurrent clients keep 230 MiB of private memory (cart and
//! checkout) and 857 MiB (with log-ins) though it needs about 26 MiB:
//! - **arenas**: each thread that allocates while another holds the lock gets an arena of
//!   its own (up to 8 per core), and each arena keeps what its threads freed. Database work
//!   runs on a pool of blocking threads that grows with the clients, so the arenas did too.
//!   One arena: every thread reuses the same freed memory. Requests spend about a tenth of
//!   their time in the allocator and SQLite serialises writers anyway, so the single lock
//!   cost no measurable throughput (170–195 checkouts/s at 32 clients either way).
//! - **large blocks**: glibc raises its `mmap` threshold each time a large block is freed
//!   (up to 32 MiB), after which the 19 MiB an argon2id check needs comes from an arena and
//!   stays there. A fixed 1 MiB threshold gives such blocks back to the system when freed,
//!   and trimming at 1 MiB hands back the top of the heap.
//!
//! An operator can still choose otherwise with glibc's own variables (`MALLOC_ARENA_MAX`,
//! `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`): a setting given there is left alone
//! (e.g. more arenas on a machine with many cores); `GLIBC_TUNABLES` naming any
//! `glibc.malloc.` tunable leaves all three alone. Other platforms keep their allocator.

/// Arenas (`M_ARENA_MAX`).
const ARENAS: i32 = 1;
/// Blocks from this size on are mapped apart and unmapped when freed (`M_MMAP_THRESHOLD`).
const MMAP_THRESHOLD_BYTES: i32 = 1 << 20;
/// Free memory above this at the heap's top goes back to the system (`M_TRIM_THRESHOLD`).
const TRIM_THRESHOLD_BYTES: i32 = 1 << 20;

/// Applies the settings above. Call first thing in `main`, before any other thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune_allocator() {
    let settings = [
        ("MALLOC_ARENA_MAX", libc::M_ARENA_MAX, ARENAS),
        (
            "MALLOC_MMAP_THRESHOLD_",
            libc::M_MMAP_THRESHOLD,
            MMAP_THRESHOLD_BYTES,
        ),
        (
            "MALLOC_TRIM_THRESHOLD_",
            libc::M_TRIM_THRESHOLD,
            TRIM_THRESHOLD_BYTES,
        ),
    ];
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    if tunables.contains("glibc.malloc.") {
        return;
    }
    for (variable, parameter, value) in settings {
        if std::env::var_os(variable).is_none() {
            // SAFETY: `mallopt` only sets a parameter of glibc's allocator (it takes the
            // allocator's own lock); it has no pointer arguments and no other precondition.
            // A refusal (0) leaves glibc's default, which is only a larger footprint.
            unsafe {
                libc::mallopt(parameter, value);
            }
        }
    }
}

/// Other platforms: their allocator as it is.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune_allocator() {}
