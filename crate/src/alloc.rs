//! Backing for `nn_alloc` / `nn_free`: the Rust global allocator (dlmalloc on wasm32) with
//! 16-byte alignment, so every tensor can be read with aligned `v128` loads.

use std::alloc::Layout;
use std::ptr;

/// Alignment of every block handed to the TypeScript side.
pub(crate) const ALIGN: usize = 16;

/// `bytes` bytes, 16-byte aligned, uninitialised; null if the allocator (memory.grow) fails or
/// the size is absurd. Zero bytes give a dangling, aligned, non-null pointer that must not be
/// read (freeing it with size 0 is a no-op).
pub(crate) fn alloc(bytes: usize) -> *mut u8 {
    if bytes == 0 {
        return ptr::without_provenance_mut(ALIGN);
    }
    match Layout::from_size_align(bytes, ALIGN) {
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { std::alloc::alloc(layout) },
        Err(_) => ptr::null_mut(),
    }
}

/// Frees a block from [`alloc`].
///
/// # Safety
/// `ptr` came from `alloc(bytes)` with this same `bytes` and was not freed yet (or is null).
pub(crate) unsafe fn free(ptr: *mut u8, bytes: usize) {
    if bytes == 0 || ptr.is_null() {
        return;
    }
    // SAFETY: alloc(bytes) succeeded with this very layout, so it is valid, and the block is
    // live (caller).
    unsafe { std::alloc::dealloc(ptr, Layout::from_size_align_unchecked(bytes, ALIGN)) }
}
