//! Scratch memory that kernels need besides their operands: today the GEMM's packing panels,
//! later im2col buffers. One buffer per thread, grown on demand and kept, so a training step
//! that repeats its shapes allocates nothing once warmed up.
//!
//! Growing can fail when linear memory is full. It is done with `try_reserve`, never with an
//! allocation that aborts, and the failure travels to the caller as [`OutOfMemory`] (through
//! the ABI as the number of bytes that were wanted). The buffer is *moved out* of its
//! thread-local cell while a kernel uses it, not borrowed: if anything ever traps half-way, the
//! cell simply holds an empty buffer and the next call starts afresh, so no failed call can
//! leave the module unusable (a `RefCell` borrow would stay held for ever after a trap).

use std::cell::Cell;

/// A kernel could not get the scratch memory it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory {
    /// Bytes the workspace would have had to hold.
    pub bytes: usize,
}

impl OutOfMemory {
    /// The ABI's status code: 0 for success, otherwise the bytes that could not be reserved.
    pub fn status(result: Result<(), OutOfMemory>) -> usize {
        match result {
            Ok(()) => 0,
            Err(e) => e.bytes.max(1),
        }
    }
}

thread_local! {
    static BUFFER: Cell<Vec<f32>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` with a workspace of at least `floats` floats whose start is 16-byte aligned (its
/// contents are unspecified), or returns [`OutOfMemory`] without calling `f`.
pub fn with_workspace<R>(floats: usize, f: impl FnOnce(&mut [f32]) -> R) -> Result<R, OutOfMemory> {
    let need = floats.checked_add(3); // + 3: room to slide to a 16-byte boundary
    let bytes = need.and_then(|n| n.checked_mul(4)).unwrap_or(usize::MAX);
    let mut buf = BUFFER.with(Cell::take);
    let Some(need) = need else {
        BUFFER.with(|b| b.set(buf));
        return Err(OutOfMemory { bytes });
    };
    if buf.len() < need {
        if buf.try_reserve_exact(need - buf.len()).is_err() {
            BUFFER.with(|b| b.set(buf));
            return Err(OutOfMemory { bytes });
        }
        buf.resize(need, 0.0); // within capacity: cannot allocate
    }
    let skip = buf.as_ptr().align_offset(16);
    debug_assert!(
        skip < 4,
        "an f32 pointer is at most 3 floats from a 16-byte boundary"
    );
    let skip = skip.min(3);
    let result = f(&mut buf[skip..skip + floats]);
    BUFFER.with(|b| b.set(buf));
    Ok(result)
}

/// Floats held by this thread's workspace (tests check that it stops growing).
#[cfg(test)]
pub(crate) fn len() -> usize {
    BUFFER.with(|b| {
        let buf = b.take();
        let len = buf.len();
        b.set(buf);
        len
    })
}
