//! Splitting a kernel's work over threads, so that the result does not depend on their number.
//!
//! A kernel cuts its output into `parts` disjoint pieces (rows or columns of the output, never
//! the summed dimension) and calls [`for_each_part`]; every output element is then computed by
//! one part, in the same order as without the split, so results are bitwise identical whatever
//! the thread count. [`parts`] decides how many pieces from the work size and a threshold each
//! kernel measured (bench/threads.ts): small work stays on the calling thread.
//!
//! On the threaded build (`+atomics`, shared memory) the parts run on the calling thread and on
//! the worker pool: instances of this same module in Web Workers / `worker_threads` on the same
//! memory, each with its own stack and thread-local workspace, sitting in `pool::worker_loop`.
//! A call publishes one job (a pointer to the caller's `&dyn Fn`, valid in every instance
//! because they share memory, table and code) by bumping a generation counter; workers spin on
//! it a bounded while (kernels of a training step come back to back, and a futex wake-up costs
//! tens of µs), then sleep with `memory.atomic.wait32`. The caller and the awake workers claim
//! parts from a counter, so a worker that is not running (a busy machine) only means the caller
//! does more parts itself. Which thread runs a part never changes its result. Nothing allocates.
//! Elsewhere (native `cargo test`, the non-threaded builds) the parts run one after another on
//! the caller, so the tests exercise every partition.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::workspace::OutOfMemory;

/// Most threads a pool may have (the calling thread included); `createBackend` caps its option here.
pub const MAX_THREADS: usize = 64;

/// Runs `f(part)` for every `part` in `0..parts`, on the caller and the pool when there is one
/// (see the module docs), and returns when all have finished. Each part must touch only its own
/// outputs.
#[inline]
pub fn for_each_part<F: Fn(usize) + Sync>(parts: usize, f: F) {
    // Generic, not `&dyn Fn`: on the builds without threads `parts` folds to 1 and the part's code
    // inlines into the kernel (no indirect call, no extra code in the shipped module).
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    run_parts(parts, &f);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    for part in 0..parts {
        f(part);
    }
}

/// The threaded build's [`for_each_part`]: the part's code is reached only through this one
/// indirect call, never inlined, so each kernel's body is in the module once, not once for the
/// pool and again for the caller's own loop (that copy made the threaded module 72 KB, not 57).
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
#[inline(never)]
fn run_parts(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    if parts > 1 && pool::dispatch(parts, f) {
        return;
    }
    for part in 0..parts {
        f(part);
    }
}

/// [`for_each_part`] for parts that may run out of workspace: the error of the largest request,
/// if any part failed (the others still ran and wrote their outputs).
#[inline]
pub fn try_for_each_part<F: Fn(usize) -> Result<(), OutOfMemory> + Sync>(
    parts: usize,
    f: F,
) -> Result<(), OutOfMemory> {
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    if parts <= 1 {
        return f(0);
    }
    let failed = AtomicUsize::new(0);
    for_each_part(parts, |part| {
        if let Err(e) = f(part) {
            failed.fetch_max(e.bytes, Ordering::Relaxed);
        }
    });
    match failed.into_inner() {
        0 => Ok(()),
        bytes => Err(OutOfMemory { bytes }),
    }
}

/// Runs `f(r)` for the `parts` ranges `r` of `0..len` that [`range`] cuts (each starting on a
/// multiple of `align`); the error of the largest failed request, if any. For outputs that are
/// not `count` contiguous blocks (the GEMM's strided C, split by rows or by columns); the others
/// go through [`for_each_block`], which hands each part its own sub-slices.
#[inline]
pub fn try_for_each_range<F: Fn(std::ops::Range<usize>) -> Result<(), OutOfMemory> + Sync>(
    len: usize,
    align: usize,
    parts: usize,
    f: F,
) -> Result<(), OutOfMemory> {
    try_for_each_part(parts, |part| f(range(len, parts, part, align)))
}

/// Runs `f(blocks, outputs)` over `parts` ranges of `0..count` (starting on multiples of `align`),
/// each with its blocks of every output: output `i` holds `count` equal blocks (rows, planes,
/// single elements), and a part gets the ones in its range. Element-wise kernels and those whose
/// blocks are independent (pooling planes) split through this without unsafe code of their own.
///
/// # Panics
/// If an output's length is not a multiple of `count`.
#[inline]
pub fn for_each_block<const N: usize, F: Fn(std::ops::Range<usize>, [&mut [f32]; N]) + Sync>(
    count: usize,
    align: usize,
    parts: usize,
    outputs: [&mut [f32]; N],
    f: F,
) {
    // The shortcut inlines the part's code: only where there is no pool to hand parts to (see
    // `run_parts`). Otherwise one part, or no blocks, go through `for_each_part` like many.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    if count == 0 || parts <= 1 {
        return f(0..count, outputs);
    }
    let block = outputs
        .each_ref()
        .map(|o| o.len().checked_div(count).unwrap_or(0));
    for (o, b) in outputs.iter().zip(block) {
        assert!(
            o.len() == b * count,
            "for_each_block: an output of {} elements does not hold {count} blocks",
            o.len()
        );
    }
    let at = outputs.map(|o| SharedMut(o.as_mut_ptr()));
    for_each_part(parts, |part| {
        let r = range(count, parts, part, align);
        // SAFETY: output i holds count·block[i] elements (asserted) and came from a `&mut`; the
        // parts' ranges are disjoint, so so are their sub-slices.
        let mine = std::array::from_fn(|i| unsafe {
            std::slice::from_raw_parts_mut(at[i].ptr().add(r.start * block[i]), r.len() * block[i])
        });
        f(r, mine);
    });
}

/// [`for_each_block`] for parts that may run out of workspace: the error of the largest request,
/// if any part failed (the others still ran and wrote their blocks).
#[inline]
pub fn try_for_each_block<
    const N: usize,
    F: Fn(std::ops::Range<usize>, [&mut [f32]; N]) -> Result<(), OutOfMemory> + Sync,
>(
    count: usize,
    align: usize,
    parts: usize,
    outputs: [&mut [f32]; N],
    f: F,
) -> Result<(), OutOfMemory> {
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    if count == 0 || parts <= 1 {
        return f(0..count, outputs);
    }
    let failed = AtomicUsize::new(0);
    for_each_block(count, align, parts, outputs, |r, blocks| {
        if let Err(e) = f(r, blocks) {
            failed.fetch_max(e.bytes, Ordering::Relaxed);
        }
    });
    match failed.into_inner() {
        0 => Ok(()),
        bytes => Err(OutOfMemory { bytes }),
    }
}

/// Elements per part below which an element-wise pass (or a pooling pass, per input element)
/// stays on one thread: `bench/threads.ts` measured `reluForward` at 100×256 (25 600 elements, one
/// part) unchanged, and the pooling and ReLU passes of the SimpleConvNet step (1.7 M elements)
/// are where its serial time went.
pub const ELEMENTWISE_MIN_PER_PART: usize = 1 << 16;

/// Into how many parts to split `work` (in any unit) when one part should have at least
/// `min_per_part` of it: 1 below that or without a pool, at most `per_thread` per thread, at most
/// `most` (the pieces the output can be cut into).
///
/// Several parts per thread let the threads balance: they claim parts in turn, so one that the OS
/// runs late (a busy machine) holds the others up by a small part, not by its share. A GEMM takes
/// one per thread all the same: each part packs its own copy of the operand it does not split.
#[inline]
pub fn parts(work: usize, min_per_part: usize, most: usize, per_thread: usize) -> usize {
    #[cfg(test)]
    if let Some(forced) = testing::forced() {
        return forced.min(most).max(1);
    }
    let threads = threads();
    if threads == 1 {
        return 1;
    }
    (work / min_per_part.max(1)).clamp(1, (threads * per_thread).min(most).max(1))
}

/// The `part`-th of `parts` contiguous, nearly equal ranges that cover `0..len`, each starting
/// on a multiple of `align` (so a GEMM part starts on a whole register tile).
#[inline]
pub fn range(len: usize, parts: usize, part: usize, align: usize) -> std::ops::Range<usize> {
    let units = len.div_ceil(align) as u64; // in u64: units · part can pass 2³² on wasm32
    let at = |p: usize| ((units * p as u64 / parts as u64) as usize * align).min(len);
    at(part)..at(part + 1)
}

/// Threads that run parts now: the caller plus the ready workers (1 without a pool, or after a
/// worker failed).
pub fn threads() -> usize {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    return pool::threads();
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    1
}

/// A raw pointer that parts may share: each part writes only its own elements through it.
#[derive(Clone, Copy)]
pub(crate) struct SharedMut(pub *mut f32);

impl SharedMut {
    /// The pointer (a method, so a closure captures the whole `Sync` wrapper, not its field).
    pub(crate) fn ptr(self) -> *mut f32 {
        self.0
    }
}
// SAFETY: the parts of one call write disjoint elements through it (each kernel's split says why).
unsafe impl Sync for SharedMut {}
unsafe impl Send for SharedMut {}

#[cfg(test)]
pub(crate) mod testing {
    use std::cell::Cell;

    thread_local! {
        static FORCED: Cell<Option<usize>> = const { Cell::new(None) };
    }

    /// The part count tests force on [`super::parts`] (ignoring the thresholds), if any.
    pub(crate) fn forced() -> Option<usize> {
        FORCED.with(Cell::get)
    }

    /// Runs `f` with every split on this thread cut into `parts` pieces (where possible).
    pub(crate) fn with_parts<R>(parts: usize, f: impl FnOnce() -> R) -> R {
        let old = FORCED.with(|c| c.replace(Some(parts)));
        let result = f();
        FORCED.with(|c| c.set(old));
        result
    }
}

/// The worker pool of the threaded build.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
pub(crate) mod pool {
    use core::arch::wasm32::{memory_atomic_notify, memory_atomic_wait32};
    use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering::SeqCst};

    use super::MAX_THREADS;

    /// Polls before sleeping: longer than the gaps between the kernels of a training step, much
    /// shorter than a person notices a busy core. 2^17 was too short for the CNN step: its workers
    /// fell asleep between kernels, and ReLU, pooling and Adam, each paying a futex wake-up, ran no
    /// faster on two threads than on one. With 2^20 the step's split kernels took 9.7–12.4 ms on two
    /// threads instead of 14.2–14.7 ms (16.6–23.9 ms on one; bench, 2026-11-29).
    const SPINS: u32 = 1 << 20;

    /// Bumped once per job; workers wait on it.
    static GENERATION: AtomicI32 = AtomicI32::new(0);
    /// The job: address of the caller's `&(dyn Fn(usize) + Sync)` and its part count.
    static JOB: AtomicUsize = AtomicUsize::new(0);
    static JOB_PARTS: AtomicUsize = AtomicUsize::new(0);
    /// The job's generation (high 32 bits) and its next unclaimed part (low 32 bits). Parts are
    /// claimed, not assigned: the caller and whichever workers are awake take them in turn, so a
    /// worker the OS has not scheduled costs one dispatch, not a wait (the caller does its parts).
    /// A claim names the generation, so a late worker can never take a part of a newer job.
    static CLAIM: AtomicU64 = AtomicU64::new(0);
    /// Parts of the current job not finished yet; the caller waits on it.
    static REMAINING: AtomicI32 = AtomicI32::new(0);
    /// Workers asleep in `memory.atomic.wait32` on GENERATION (the caller notifies only then).
    static SLEEPERS: AtomicI32 = AtomicI32::new(0);
    /// Workers ready to take parts (set by the JS pool once they all started).
    static WORKERS: AtomicUsize = AtomicUsize::new(0);
    /// Set when the pool is disposed: workers leave their loop.
    static STOP: AtomicBool = AtomicBool::new(false);
    /// Set when a worker trapped: later calls run on the caller alone.
    static BROKEN: AtomicBool = AtomicBool::new(false);
    /// A job is running (a part that splits again runs its split inline).
    static BUSY: AtomicBool = AtomicBool::new(false);
    /// Whether each worker is inside a part (its trap must count that part as done).
    static RUNNING: [AtomicBool; MAX_THREADS] = [const { AtomicBool::new(false) }; MAX_THREADS];
    /// Test hook (`test-hooks` builds only): the next part a worker runs traps.
    #[cfg(feature = "test-hooks")]
    static FAIL_NEXT: AtomicBool = AtomicBool::new(false);

    pub(crate) fn threads() -> usize {
        if BROKEN.load(SeqCst) {
            1
        } else {
            WORKERS.load(SeqCst) + 1
        }
    }

    pub(crate) fn set_workers(workers: usize) {
        WORKERS.store(workers.min(MAX_THREADS - 1), SeqCst);
    }

    /// Spins, then sleeps, until `cell` no longer holds `value`; returns what it holds then.
    fn wait_while(cell: &AtomicI32, value: i32, sleepers: Option<&AtomicI32>) -> i32 {
        for _ in 0..SPINS {
            let now = cell.load(SeqCst);
            if now != value {
                return now;
            }
            core::hint::spin_loop();
        }
        loop {
            if let Some(s) = sleepers {
                s.fetch_add(1, SeqCst);
            }
            // SAFETY: the pointer is a live static; wait32 only reads it (atomically), and
            // returns at once if it no longer holds `value`.
            unsafe { memory_atomic_wait32(cell.as_ptr(), value, -1) };
            if let Some(s) = sleepers {
                s.fetch_sub(1, SeqCst);
            }
            let now = cell.load(SeqCst);
            if now != value {
                return now;
            }
        }
    }

    fn notify(cell: &AtomicI32) {
        // SAFETY: a live static; notify only wakes waiters on that address.
        unsafe { memory_atomic_notify(cell.as_ptr(), u32::MAX) };
    }

    /// The next unclaimed part of job `generation` (of `parts`), or None when it has none left
    /// or a newer job replaced it.
    fn claim(generation: i32, parts: usize) -> Option<usize> {
        let mut now = CLAIM.load(SeqCst);
        loop {
            let (g, next) = ((now >> 32) as u32 as i32, now as u32 as usize);
            if g != generation || next >= parts {
                return None;
            }
            match CLAIM.compare_exchange(now, now + 1, SeqCst, SeqCst) {
                Ok(_) => return Some(next),
                Err(changed) => now = changed,
            }
        }
    }

    /// A part is done: count it, and wake the caller on the last one.
    fn finish_part() {
        if REMAINING.fetch_sub(1, SeqCst) == 1 {
            notify(&REMAINING);
        }
    }

    /// Runs the parts on the caller and the workers; false (nothing ran) when there are no
    /// workers, a worker failed, or a job is already running (a nested split).
    pub(crate) fn dispatch(parts: usize, f: &(dyn Fn(usize) + Sync)) -> bool {
        let workers = WORKERS.load(SeqCst);
        if workers == 0 || BROKEN.load(SeqCst) || BUSY.swap(true, SeqCst) {
            return false;
        }
        // The job lives on this (shadow) stack, in shared memory, until every part is done.
        let job: &(dyn Fn(usize) + Sync) = f;
        let generation = GENERATION.load(SeqCst).wrapping_add(1);
        REMAINING.store(parts as i32, SeqCst);
        JOB.store(&job as *const &(dyn Fn(usize) + Sync) as usize, SeqCst);
        JOB_PARTS.store(parts, SeqCst);
        CLAIM.store(u64::from(generation as u32) << 32, SeqCst);
        GENERATION.store(generation, SeqCst);
        if SLEEPERS.load(SeqCst) > 0 {
            notify(&GENERATION);
        }
        while let Some(part) = claim(generation, parts) {
            f(part);
            REMAINING.fetch_sub(1, SeqCst);
        }
        let mut left = REMAINING.load(SeqCst);
        while left != 0 {
            left = wait_while(&REMAINING, left, None);
        }
        BUSY.store(false, SeqCst);
        true
    }

    /// The loop a worker instance runs until the pool stops: it takes parts of each new job
    /// while any are left.
    pub(crate) fn worker_loop(index: usize) {
        if index >= MAX_THREADS - 1 {
            return;
        }
        let mut seen = 0;
        loop {
            let generation = wait_while(&GENERATION, seen, Some(&SLEEPERS));
            if STOP.load(SeqCst) {
                return;
            }
            let job = JOB.load(SeqCst);
            let parts = JOB_PARTS.load(SeqCst);
            if GENERATION.load(SeqCst) != generation {
                continue; // a newer job was being published while we read: read it again
            }
            seen = generation;
            while let Some(part) = claim(generation, parts) {
                RUNNING[index].store(true, SeqCst);
                #[cfg(feature = "test-hooks")]
                if FAIL_NEXT.swap(false, SeqCst) {
                    core::arch::wasm32::unreachable();
                }
                // SAFETY: the caller of `generation` published the address of its `&dyn Fn`
                // (read above, before this claim: a claim succeeds only for the job it names)
                // and keeps it alive until REMAINING reaches 0, which needs this part; all
                // instances share memory, code and table, so the pointer and vtable are valid.
                let f = unsafe { *(job as *const &(dyn Fn(usize) + Sync)) };
                f(part);
                RUNNING[index].store(false, SeqCst);
                finish_part();
            }
        }
    }

    /// A worker trapped (the JS wrapper caught it and reset its stack): mark the pool broken and
    /// count its unfinished part as done, so the caller does not wait for ever.
    pub(crate) fn worker_failed(index: usize) {
        BROKEN.store(true, SeqCst);
        if index < MAX_THREADS - 1 && RUNNING[index].swap(false, SeqCst) {
            finish_part();
        }
    }

    pub(crate) fn broken() -> bool {
        BROKEN.load(SeqCst)
    }

    /// Stops the workers: they leave [`worker_loop`] at their next wake-up.
    pub(crate) fn stop() {
        STOP.store(true, SeqCst);
        WORKERS.store(0, SeqCst);
        GENERATION.fetch_add(1, SeqCst);
        notify(&GENERATION);
    }

    /// Test hook (`test-hooks` builds only): the next part a worker runs traps there.
    #[cfg(feature = "test-hooks")]
    pub(crate) fn fail_next_part() {
        FAIL_NEXT.store(true, SeqCst);
    }
}
