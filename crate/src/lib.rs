//! f32 kernels for backpropagation (Deep Learning from Scratch, ch. 5), compiled to
//! `wasm32-unknown-unknown` and called from TypeScript through the C ABI in [`abi`]
//! (bound by name to the kernel contract `ts/core/kernels.ts`).
//!
//! # Conventions
//!
//! - Matrices are **row-major**: element `(i, j)` of an `r×c` matrix `x` is `x[i * c + j]`.
//!   The GEMM core takes explicit strides instead: element `(i, j)` of A is `a[i * rsa + j * csa]`,
//!   so a transpose is the same matrix with its two strides swapped.
//! - Argument order follows BLAS: dimensions first (`m, k, n` or `rows, cols`), then inputs,
//!   then outputs. Outputs are overwritten, never accumulated into, unless a function says it
//!   works in place ([`add_bias`], [`accumulate`] and the optimizers in [`optim`]).
//!
//! # Contracts
//!
//! Each kernel is declared once, in the table of [`abi`]: its arguments with their roles and each
//! tensor's element count as an expression of the dimensions. The safe entry points
//! [`abi::checked`] check every slice against those counts and panic on a mismatch (a trap in
//! WebAssembly), with one message form ([`check_len`]); the kernel modules' own functions take
//! the lengths the table declares and do not check them again. That is the last line of defence:
//! the TypeScript side validates shapes first and throws a readable error. Inputs and outputs are
//! distinct slices, so Rust's borrow rules already forbid aliasing; at the ABI, the caller
//! promises it.
//!
//! Unsafe code lives in these places, and each `unsafe` block says why it is sound: [`abi`]
//! (pointers from JavaScript become slices); the internals of [`gemm`] (the packing, the loop
//! nest and the micro-kernels work on raw pointers, and `gemm_with` hands them the parts of a
//! strided C); the allocator (`alloc`); the SIMD intrinsics of [`exp`]; [`parallel`] (the
//! sub-slices `for_each_block` gives each part, the `Sync` pointer wrapper the GEMM's parts
//! share, and the worker pool's futex wait and notify); and, in tests only, the wasm32 test
//! harness. The crate keeps no global state apart from the allocator, the worker pool and the
//! kernels' [`workspace`] (one per thread, grown on demand and reused, so a training step does
//! not allocate once warmed up).
//!
//! Nothing here panics for lack of memory: the workspace grows with `try_reserve`, and the
//! kernels that use it return [`workspace::OutOfMemory`] (a status code at the ABI); no other
//! kernel allocates.
//!
//! SIMD128 is chosen at compile time: building with `-C target-feature=+simd128` selects the
//! `core::arch::wasm32` micro-kernel; otherwise the portable scalar one, which is always
//! compiled and is what native `cargo test` exercises.

#![deny(unsafe_op_in_unsafe_fn)]
// The pool's futex (memory.atomic.wait32) is still unstable in core::arch::wasm32.
#![cfg_attr(
    all(target_arch = "wasm32", target_feature = "atomics"),
    feature(stdarch_wasm_atomic_wait)
)]
#![warn(missing_docs)]
// On wasm32 the tests run under Node through our own runner (see `wasm_harness`).
#![cfg_attr(
    all(test, target_family = "wasm"),
    feature(custom_test_frameworks, test)
)]
#![cfg_attr(
    all(test, target_family = "wasm"),
    test_runner(crate::wasm_harness::run)
)]

pub mod abi;
pub mod activation;
pub mod affine;
mod alloc;
pub mod batch_norm;
pub mod bias;
pub mod conv;
pub mod conv_pool;
pub mod dropout;
pub mod exp;
pub mod gemm;
pub mod optim;
pub mod parallel;
pub mod pool;
pub mod softmax_xent;
pub mod window;
pub mod workspace;

#[cfg(test)]
mod naive;
#[cfg(test)]
mod tests;
#[cfg(all(test, target_family = "wasm"))]
mod wasm_harness;

pub use activation::{relu_backward, relu_forward, sigmoid_backward, sigmoid_forward};
pub use affine::{affine_backward, affine_forward};
pub use bias::{add_bias, col_sum};
pub use gemm::{gemm, gemm_acc, gemm_nn, gemm_nt, gemm_tn};
pub use optim::{accumulate, sgd};
pub use softmax_xent::{
    softmax_xent_backward_labels, softmax_xent_backward_onehot, softmax_xent_grad_labels,
    softmax_xent_grad_onehot, softmax_xent_labels, softmax_xent_onehot,
};

/// Panics unless `x` holds `expected` elements: the crate's one length check (`{op}: expected
/// {name} to hold {expected} elements, got {len}`), the last line of defence behind the TS checks.
/// [`abi::checked`] calls it for every tensor of every kernel, from the kernel table.
#[track_caller]
pub(crate) fn check_len(op: &str, name: &str, x: &[f32], expected: usize) {
    assert!(
        x.len() == expected,
        "{op}: expected {name} to hold {expected} elements, got {}",
        x.len()
    );
}
