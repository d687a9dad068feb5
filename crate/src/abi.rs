//! The C ABI of the WebAssembly module, and the kernel table it is generated from.
//!
//! Every kernel is declared once, in the `kernels!` table at the end of this file: its name, its
//! arguments in ABI order with their roles, and each tensor's element count as an expression of
//! the dimensions. From each entry the macro makes
//!
//! - [`checked`]`::<name>`: the safe entry point, which checks every slice against its declared
//!   length (the crate's one length check, [`crate::check_len`]) and runs the entry's body;
//! - [`ffi`]`::<name>`, exported as `nn_<name>`: the `extern "C"` function that turns each
//!   `(pointer, declared length)` into a slice (an absent optional output, the pointer 0, into
//!   `None`; a flag into a `bool`) and calls the checked entry point. There is no math here.
//!
//! The TypeScript contract (`ts/core/kernels.ts`) declares the same kernels for the TS side
//! (`affineBackward` → `nn_affine_backward`); test/kernels/contract.test.ts reads this table and
//! checks every entry against it: the names, roles and order of the arguments, the return kind,
//! and the element counts, evaluated on sample dimensions. scripts/embed-wasm.mjs reads it too
//! (every kernel must be exported by every build).
//!
//! Roles: `dim` (a size, `usize`), `scalar` (an `f32` hyper-parameter), `flag` (a `u32`, 0 or 1,
//! a `bool` in the body), `input` (`*const f32`), `output` and `inout` (`*mut f32`; an `inout` is
//! updated in place), `optional` (`*mut f32` that may be 0). Returns: `void`, `status` (a kernel
//! that needs workspace: 0 on success, otherwise the bytes that could not be reserved; it never
//! traps for lack of memory, and a failed call leaves the module usable) or `value` (an `f64`).
//!
//! # Safety contract (all functions)
//!
//! Every pointer argument points to a live block from [`nn_alloc`] (so it is 16-byte aligned)
//! holding at least the number of floats its entry declares, or that number is 0 (the pointer
//! is then not used at all, and may be anything, including 0). Outputs do not overlap any other
//! argument; an `inout` is read and written in place. `ts/core/backend.ts` checks all of this by
//! the contract's roles before it calls. Sizes are `usize` (i32 on wasm32: the TS side passes
//! byte offsets and element counts as numbers); the declared counts fit in one (each is the
//! length of a buffer the caller holds).

use crate::window::{out_size, Window};
use crate::workspace::OutOfMemory;
use crate::{
    activation, affine, alloc, batch_norm, bias, conv, conv_pool, dropout, gemm, optim, pool,
    softmax_xent,
};

/// Allocates `bytes` bytes, 16-byte aligned; returns the pointer, or 0 if memory cannot grow.
#[no_mangle]
pub extern "C" fn nn_alloc(bytes: usize) -> *mut u8 {
    alloc::alloc(bytes)
}

/// Frees a block from [`nn_alloc`].
///
/// # Safety
/// `ptr` came from `nn_alloc(bytes)` with the same `bytes` and is not freed twice.
#[no_mangle]
pub unsafe extern "C" fn nn_free(ptr: *mut u8, bytes: usize) {
    // SAFETY: forwarded contract.
    unsafe { alloc::free(ptr, bytes) }
}

/// The type of an argument of a role: at the ABI (`ffi`) and in the checked entry point (`safe`).
macro_rules! arg_type {
    (ffi dim) => { usize };
    (ffi scalar) => { f32 };
    (ffi flag) => { u32 };
    (ffi input) => { *const f32 };
    (ffi output) => { *mut f32 };
    (ffi inout) => { *mut f32 };
    (ffi optional) => { *mut f32 };
    (safe dim) => { usize };
    (safe scalar) => { f32 };
    (safe flag) => { bool };
    (safe input) => { &[f32] };
    (safe output) => { &mut [f32] };
    (safe inout) => { &mut [f32] };
    (safe optional) => { Option<&mut [f32]> };
}

/// What an entry returns: from the checked entry point (`safe`) and at the ABI (`ffi`).
macro_rules! return_type {
    (safe void) => { () };
    (safe status) => { Result<(), OutOfMemory> };
    (safe value) => { f64 };
    (ffi void) => { () };
    (ffi status) => { usize };
    (ffi value) => { f64 };
}

/// The ABI form of a checked entry point's result.
macro_rules! to_abi {
    (void, $r:expr) => {
        $r
    };
    (status, $r:expr) => {
        OutOfMemory::status($r)
    };
    (value, $r:expr) => {
        $r
    };
}

/// A flag argument at the ABI (0 or 1) as a `bool`; other arguments unchanged.
macro_rules! flag_to_bool {
    (flag $arg:ident) => {
        let $arg = $arg != 0;
    };
    ($role:ident $arg:ident) => {};
}

/// A pointer argument at the ABI as a slice of its declared length.
macro_rules! to_slice {
    (input $arg:ident $len:expr) => {
        // SAFETY: the module contract: a live buffer of `$len` floats that no output overlaps.
        let $arg = unsafe { slice($arg, $len) };
    };
    (output $arg:ident $len:expr) => {
        // SAFETY: the module contract: a live buffer of `$len` floats that overlaps no other argument.
        let $arg = unsafe { slice_mut($arg, $len) };
    };
    (inout $arg:ident $len:expr) => {
        to_slice!(output $arg $len);
    };
    (optional $arg:ident $len:expr) => {
        let $arg = if $arg.is_null() {
            None
        } else {
            to_slice!(output $arg $len);
            Some($arg)
        };
    };
    ($role:ident $arg:ident) => {};
}

/// The length check of a tensor argument in the checked entry point.
macro_rules! check_arg {
    ($kernel:ident optional $arg:ident $len:expr) => {
        if let Some(s) = $arg.as_deref() {
            crate::check_len(stringify!($kernel), stringify!($arg), s, $len);
        }
    };
    ($kernel:ident $role:ident $arg:ident $len:expr) => {
        crate::check_len(stringify!($kernel), stringify!($arg), $arg, $len);
    };
    ($kernel:ident $role:ident $arg:ident) => {};
}

/// Generates [`checked`] and [`ffi`] from the table of kernels (see the module docs).
macro_rules! kernels {
    ($(
        $(#[doc = $doc:literal])*
        fn $name:ident($($arg:ident: $role:ident $([$len:expr])?),* $(,)?) -> $ret:ident
        $(where $($v:ident = $e:expr;)+)?
        $body:block
    )*) => {
        /// The kernels as safe functions: each checks its slices' lengths against its entry in the
        /// table (panicking with `{kernel}: expected {arg} to hold {n} elements, got {len}`).
        pub mod checked {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[doc = $doc])*
                ///
                /// # Panics
                /// If a slice does not hold the elements its entry in the kernel table declares.
                #[allow(clippy::too_many_arguments, unused_variables)]
                // Into the export, as the hand-written wrappers were: left a call of its own, the
                // scalar build ran softmaxXentBackward 8 % slower (the kernel compiled differently).
                #[inline(always)]
                pub fn $name($($arg: arg_type!(safe $role)),*) -> return_type!(safe $ret) {
                    $($(let $v = $e;)+)?
                    $(check_arg!($name $role $arg $($len)?);)*
                    $body
                }
            )*
        }

        /// The `extern "C"` kernels, each exported as `nn_<name>` (see the module docs).
        pub mod ffi {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[doc = $doc])*
                ///
                /// # Safety
                /// See the module docs of [`crate::abi`].
                #[export_name = concat!("nn_", stringify!($name))]
                #[allow(clippy::too_many_arguments, unused_variables)]
                pub unsafe extern "C" fn $name($($arg: arg_type!(ffi $role)),*) -> return_type!(ffi $ret) {
                    $(flag_to_bool!($role $arg);)*
                    $($(let $v = $e;)+)?
                    $(to_slice!($role $arg $($len)?);)*
                    to_abi!($ret, super::checked::$name($($arg),*))
                }
            )*
        }
    };
}

/// The window of a convolution or pooling from its eight dimensions.
#[allow(clippy::too_many_arguments)]
fn window(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
) -> Window {
    Window {
        n,
        c,
        h,
        w,
        fh,
        fw,
        stride,
        pad,
    }
}

// The table. Element counts may use the dimensions, flags, `where` values, `out_size` and `if`
// (test/kernels/contract.test.ts evaluates them on sample dimensions).
#[rustfmt::skip]
kernels! {
    /// `C[m×n] = A[m×k] · B[k×n]`.
    fn gemm_nn(m: dim, k: dim, n: dim, a: input[m * k], b: input[k * n], c: output[m * n]) -> status {
        gemm::gemm_nn(m, k, n, a, b, c)
    }
    /// `C[m×n] = A[m×k] · B[n×k]ᵀ`.
    fn gemm_nt(m: dim, k: dim, n: dim, a: input[m * k], b: input[n * k], c: output[m * n]) -> status {
        gemm::gemm_nt(m, k, n, a, b, c)
    }
    /// `C[m×n] = A[k×m]ᵀ · B[k×n]`.
    fn gemm_tn(m: dim, k: dim, n: dim, a: input[k * m], b: input[k * n], c: output[m * n]) -> status {
        gemm::gemm_tn(m, k, n, a, b, c)
    }
    /// In place: `x[i, j] += b[j]` for a `rows×cols` matrix `x`.
    fn add_bias(rows: dim, cols: dim, x: inout[rows * cols], b: input[cols]) -> void {
        bias::add_bias(rows, cols, x, b)
    }
    /// `out[j] = Σ_i x[i, j]`.
    fn col_sum(rows: dim, cols: dim, x: input[rows * cols], out: output[cols]) -> void {
        bias::col_sum(rows, cols, x, out)
    }
    /// `out = max(x, 0)`.
    fn relu_forward(n: dim, x: input[n], out: output[n]) -> void {
        activation::relu_forward(x, out)
    }
    /// `dx = y > 0 ? dout : 0`, where `y` is the forward output.
    fn relu_backward(n: dim, y: input[n], dout: input[n], dx: output[n]) -> void {
        activation::relu_backward(y, dout, dx)
    }
    /// `out = 1 / (1 + exp(−x))`.
    fn sigmoid_forward(n: dim, x: input[n], out: output[n]) -> void {
        activation::sigmoid_forward(x, out)
    }
    /// `dx = dout · (1 − y) · y`, where `y` is the forward output.
    fn sigmoid_backward(n: dim, y: input[n], dout: input[n], dx: output[n]) -> void {
        activation::sigmoid_backward(y, dout, dx)
    }
    /// `y = softmax(x)` per row; returns the mean cross-entropy against `t`: a one-hot
    /// `rows×cols` matrix, or one class index per row when `labels`.
    fn softmax_xent(
        rows: dim, cols: dim, x: input[rows * cols], t: input[if labels { rows } else { rows * cols }],
        labels: flag, y: output[rows * cols],
    ) -> value {
        if labels {
            softmax_xent::softmax_xent_labels(rows, cols, x, t, y)
        } else {
            softmax_xent::softmax_xent_onehot(rows, cols, x, t, y)
        }
    }
    /// `dx = (y − t) / rows`, with `t` as in `softmax_xent`.
    fn softmax_xent_backward(
        rows: dim, cols: dim, y: input[rows * cols], t: input[if labels { rows } else { rows * cols }],
        labels: flag, dx: output[rows * cols],
    ) -> void {
        if labels {
            softmax_xent::softmax_xent_backward_labels(rows, cols, y, t, dx)
        } else {
            softmax_xent::softmax_xent_backward_onehot(rows, cols, y, t, dx)
        }
    }
    /// Softmax-CE forward and backward in one pass: `y = softmax(x)`, `dx = (y − t) / rows`;
    /// returns the mean loss, with `t` as in `softmax_xent`.
    fn softmax_xent_grad(
        rows: dim, cols: dim, x: input[rows * cols], t: input[if labels { rows } else { rows * cols }],
        labels: flag, y: output[rows * cols], dx: output[rows * cols],
    ) -> value {
        if labels {
            softmax_xent::softmax_xent_grad_labels(rows, cols, x, t, y, dx)
        } else {
            softmax_xent::softmax_xent_grad_onehot(rows, cols, x, t, y, dx)
        }
    }
    /// Affine forward: `out[m×n] = x[m×k] · W[k×n] + b`.
    fn affine_forward(
        m: dim, k: dim, n: dim, x: input[m * k], w: input[k * n], b: input[n], out: output[m * n],
    ) -> status {
        affine::affine_forward(m, k, n, x, w, b, out)
    }
    /// Affine backward: `dW = xᵀ·dout`, `db = Σ_rows dout`, and `dx = dout·Wᵀ` unless `dx` is absent.
    fn affine_backward(
        m: dim, k: dim, n: dim, x: input[m * k], w: input[k * n], dout: input[m * n],
        dw: output[k * n], db: output[n], dx: optional[m * k],
    ) -> status {
        affine::affine_backward(m, k, n, x, w, dout, dw, db, dx)
    }
    /// SGD step: `param −= lr · grad`.
    fn sgd(n: dim, lr: scalar, param: inout[n], grad: input[n]) -> void {
        optim::sgd(lr, param, grad)
    }
    /// `target += source`.
    fn accumulate(n: dim, target: inout[n], source: input[n]) -> void {
        optim::accumulate(target, source)
    }
    /// Momentum step (`optim::momentum`): `v = momentum·v − lr·grad; param += v`.
    fn momentum(n: dim, lr: scalar, momentum: scalar, param: inout[n], grad: input[n], v: inout[n]) -> void {
        optim::momentum(lr, momentum, param, grad, v)
    }
    /// The book's Nesterov step (`optim::nesterov`); `mm = momentum²`, `step = (1 + momentum)·lr`.
    fn nesterov(
        n: dim, lr: scalar, momentum: scalar, mm: scalar, step: scalar, param: inout[n], grad: input[n], v: inout[n],
    ) -> void {
        optim::nesterov(lr, momentum, mm, step, param, grad, v)
    }
    /// AdaGrad step (`optim::adagrad`).
    fn adagrad(n: dim, lr: scalar, eps: scalar, param: inout[n], grad: input[n], h: inout[n]) -> void {
        optim::adagrad(lr, eps, param, grad, h)
    }
    /// RMSprop step (`optim::rmsprop`); `keep = 1 − decay`.
    fn rmsprop(
        n: dim, lr: scalar, decay: scalar, keep: scalar, eps: scalar, param: inout[n], grad: input[n], h: inout[n],
    ) -> void {
        optim::rmsprop(lr, decay, keep, eps, param, grad, h)
    }
    /// Adam step (`optim::adam`); `k1 = 1 − β1`, `k2 = 1 − β2`; `lr_t` holds the bias corrections.
    fn adam(
        n: dim, lr_t: scalar, k1: scalar, k2: scalar, eps: scalar, param: inout[n], grad: input[n],
        m: inout[n], v: inout[n],
    ) -> void {
        optim::adam(lr_t, k1, k2, eps, param, grad, m, v)
    }
    /// Batch normalization, training mode (see `batch_norm::batch_norm_forward_train`).
    fn batch_norm_forward_train(
        rows: dim, cols: dim, momentum: scalar, x: input[rows * cols], gamma: input[cols], beta: input[cols],
        running_mean: inout[cols], running_var: inout[cols], xn: output[rows * cols], inv_std: output[cols],
        out: output[rows * cols],
    ) -> void {
        batch_norm::batch_norm_forward_train(
            rows, cols, momentum, x, gamma, beta, running_mean, running_var, xn, inv_std, out,
        )
    }
    /// Batch normalization, test mode: the running statistics instead of the batch's.
    fn batch_norm_forward_test(
        rows: dim, cols: dim, x: input[rows * cols], gamma: input[cols], beta: input[cols],
        running_mean: input[cols], running_var: input[cols], out: output[rows * cols],
    ) -> void {
        batch_norm::batch_norm_forward_test(rows, cols, x, gamma, beta, running_mean, running_var, out)
    }
    /// Batch normalization backward: `dgamma`, `dbeta` and `dx` from `dout` and the training
    /// forward's `xn` and `inv_std`.
    fn batch_norm_backward(
        rows: dim, cols: dim, dout: input[rows * cols], xn: input[rows * cols], inv_std: input[cols],
        gamma: input[cols], dgamma: output[cols], dbeta: output[cols], dx: output[rows * cols],
    ) -> void {
        batch_norm::batch_norm_backward(rows, cols, dout, xn, inv_std, gamma, dgamma, dbeta, dx)
    }
    /// Dropout: `out = x·mask`.
    fn apply_mask(n: dim, x: input[n], mask: input[n], out: output[n]) -> void {
        dropout::apply_mask(x, mask, out)
    }
    /// `out = s·x` (dropout at test time).
    fn scale(n: dim, s: scalar, x: input[n], out: output[n]) -> void {
        dropout::scale(s, x, out)
    }
    /// Convolution forward (`crate::conv`): `col[N, C·FH·FW, OH·OW]` and `out[N, FN, OH·OW] = W·col_n + b`.
    fn conv_forward(
        n: dim, c: dim, h: dim, w: dim, fh: dim, fw: dim, stride: dim, pad: dim, filters: dim,
        x: input[n * c * h * w], weights: input[filters * k], b: input[filters],
        col: output[n * k * p], out: output[n * filters * p],
    ) -> status
    where k = c * fh * fw; p = out_size(h, fh, stride, pad) * out_size(w, fw, stride, pad);
    {
        conv::conv_forward(&window(n, c, h, w, fh, fw, stride, pad), filters, x, weights, b, col, out)
    }
    /// Convolution backward: `dW`, `db`, and `dx` (with the one-sample scratch `dcol`) unless
    /// both are absent.
    fn conv_backward(
        n: dim, c: dim, h: dim, w: dim, fh: dim, fw: dim, stride: dim, pad: dim, filters: dim,
        col: input[n * k * p], weights: input[filters * k], dout: input[n * filters * p],
        dw: output[filters * k], db: output[filters], dcol: optional[k * p], dx: optional[n * c * h * w],
    ) -> status
    where k = c * fh * fw; p = out_size(h, fh, stride, pad) * out_size(w, fw, stride, pad);
    {
        let g = window(n, c, h, w, fh, fw, stride, pad);
        conv::conv_backward(&g, filters, col, weights, dout, dw, db, dcol.zip(dx))
    }
    /// The first layers Convolution → ReLU → max pooling, backward, without the convolution's dx
    /// (`crate::conv_pool`): `dW`, `db` from the input `x` and the pooling's output `pooled`,
    /// `argmax` and `dout`.
    fn conv_relu_pool_backward(
        n: dim, c: dim, h: dim, w: dim, fh: dim, fw: dim, stride: dim, pad: dim, filters: dim,
        pool_h: dim, pool_w: dim, pool_stride: dim, pool_pad: dim,
        x: input[n * c * h * w], pooled: input[n * filters * pp], argmax: input[n * filters * pp],
        dout: input[n * filters * pp], dw: output[filters * c * fh * fw], db: output[filters],
    ) -> void
    where oh = out_size(h, fh, stride, pad); ow = out_size(w, fw, stride, pad);
        pp = out_size(oh, pool_h, pool_stride, pool_pad) * out_size(ow, pool_w, pool_stride, pool_pad);
    {
        let g = window(n, c, h, w, fh, fw, stride, pad);
        let pool = window(n, filters, oh, ow, pool_h, pool_w, pool_stride, pool_pad);
        conv_pool::conv_relu_pool_backward(&g, filters, &pool, x, pooled, argmax, dout, dw, db)
    }
    /// Max pooling forward (`crate::pool`): `out` and `argmax` (`[N, C, OH·OW]`) from `x[N, C, H, W]`.
    fn max_pool_forward(
        n: dim, c: dim, h: dim, w: dim, fh: dim, fw: dim, stride: dim, pad: dim,
        x: input[n * c * h * w], out: output[n * c * p], argmax: output[n * c * p],
    ) -> void
    where p = out_size(h, fh, stride, pad) * out_size(w, fw, stride, pad);
    {
        pool::max_pool_forward(&window(n, c, h, w, fh, fw, stride, pad), x, out, argmax)
    }
    /// Max pooling backward: `dx[N, C, H, W]` from `dout` and the forward's `argmax`.
    fn max_pool_backward(
        n: dim, c: dim, h: dim, w: dim, fh: dim, fw: dim, stride: dim, pad: dim,
        dout: input[n * c * p], argmax: input[n * c * p], dx: output[n * c * h * w],
    ) -> void
    where p = out_size(h, fh, stride, pad) * out_size(w, fw, stride, pad);
    {
        pool::max_pool_backward(&window(n, c, h, w, fh, fw, stride, pad), dout, argmax, dx)
    }
}

/// The `len` floats at `ptr` as a slice; an empty slice when `len = 0` (any `ptr`, even null).
///
/// # Safety
/// If `len > 0`: `ptr` is aligned and valid for reads of `len` floats, which nobody writes
/// while the slice lives.
unsafe fn slice<'a>(ptr: *const f32, len: usize) -> &'a [f32] {
    if len == 0 {
        return &[];
    }
    // SAFETY: forwarded contract.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

/// The `len` floats at `ptr` as a mutable slice; empty when `len = 0` (any `ptr`, even null).
///
/// # Safety
/// If `len > 0`: `ptr` is aligned and valid for reads and writes of `len` floats, which nobody
/// else reads or writes while the slice lives.
unsafe fn slice_mut<'a>(ptr: *mut f32, len: usize) -> &'a mut [f32] {
    if len == 0 {
        return &mut [];
    }
    // SAFETY: forwarded contract.
    unsafe { std::slice::from_raw_parts_mut(ptr, len) }
}

// ---- the worker pool of the threaded build (crate/src/parallel.rs; ts/wasm/threads.ts) -------
// On the builds without threads these do nothing: `nn_set_threads` answers 1.

/// Tells the module that workers `0..threads − 1` run [`nn_worker_loop`]; returns the threads
/// that will take parts (the caller included): 1 on a build without threads.
#[no_mangle]
pub extern "C" fn nn_set_threads(threads: usize) -> usize {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    crate::parallel::pool::set_workers(threads.saturating_sub(1));
    let _ = threads;
    crate::parallel::threads()
}

/// Runs worker `index`'s loop (in that worker's own instance, after its stack and TLS are set
/// up) until [`nn_pool_stop`].
#[no_mangle]
pub extern "C" fn nn_worker_loop(index: usize) {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    crate::parallel::pool::worker_loop(index);
    let _ = index;
}

/// Worker `index` trapped: the pool is marked broken (later calls run on the caller alone) and
/// its unfinished part counts as done, so the caller stops waiting.
#[no_mangle]
pub extern "C" fn nn_worker_failed(index: usize) {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    crate::parallel::pool::worker_failed(index);
    let _ = index;
}

/// 1 once a worker has failed, else 0.
#[no_mangle]
pub extern "C" fn nn_pool_broken() -> u32 {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    return crate::parallel::pool::broken() as u32;
    #[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
    0
}

/// Makes the workers leave their loop (`dispose`).
#[no_mangle]
pub extern "C" fn nn_pool_stop() {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    crate::parallel::pool::stop();
}

/// Test hook, only in builds with the `test-hooks` feature (never shipped): the next part a
/// worker (not the caller) runs traps there.
#[cfg(feature = "test-hooks")]
#[no_mangle]
pub extern "C" fn nn_pool_fail_next_part() {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    crate::parallel::pool::fail_next_part();
}
