//! The C ABI of the WebAssembly module: the only `extern "C"` items of the crate. Each kernel of
//! the TS contract (`ts/core/kernels.ts`) is one function here, named by the rule `camelCase` →
//! `nn_snake_case`, with the contract's raw arguments in order (test/kernels/contract.test.ts parses this
//! file and checks both). Each wrapper turns `(pointer, length)` pairs into slices and calls the
//! safe kernel; there is no math here. A flag is a `u32`, 0 or 1.
//!
//! # Safety contract (all functions)
//!
//! Every `*const f32` / `*mut f32` argument points to a live block from [`nn_alloc`] (so it is
//! 16-byte aligned) holding at least the number of floats its dimensions imply, or the length
//! is 0 (the pointer is then not used at all, and may be anything, including 0). Outputs do not
//! overlap any input, except where a function works in place on one buffer (`nn_add_bias`'s
//! `x`, the optimizers' `param` and state, `nn_accumulate`'s `target`). `ts/core/backend.ts` checks
//! all of this by the contract's roles before it calls. Sizes are `usize` (i32 on wasm32: the
//! TS side passes byte offsets and element counts as numbers).
//!
//! Functions that need a workspace (GEMM packing) return a status: 0 on success, otherwise the
//! number of bytes of workspace that could not be reserved (memory is full). They never trap for
//! lack of memory, and a failed call leaves the module usable.

use crate::conv::Window;
use crate::workspace::OutOfMemory;
use crate::{
    activation, affine, alloc, batch_norm, bias, conv, dropout, gemm, im2col, optim, pool,
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

/// `C[m×n] = A[m×k] · B[k×n]`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_gemm_nn(
    m: usize,
    k: usize,
    n: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
) -> usize {
    // SAFETY: A, B, C are live, distinct buffers of m·k, k·n, m·n floats (module contract).
    let (a, b, c) = unsafe {
        (
            slice(a, len(m, k)),
            slice(b, len(k, n)),
            slice_mut(c, len(m, n)),
        )
    };
    OutOfMemory::status(gemm::gemm_nn(m, k, n, a, b, c))
}

/// `C[m×n] = A[m×k] · B[n×k]ᵀ`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_gemm_nt(
    m: usize,
    k: usize,
    n: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
) -> usize {
    // SAFETY: A, B, C are live, distinct buffers of m·k, n·k, m·n floats (module contract).
    let (a, b, c) = unsafe {
        (
            slice(a, len(m, k)),
            slice(b, len(n, k)),
            slice_mut(c, len(m, n)),
        )
    };
    OutOfMemory::status(gemm::gemm_nt(m, k, n, a, b, c))
}

/// `C[m×n] = A[k×m]ᵀ · B[k×n]`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_gemm_tn(
    m: usize,
    k: usize,
    n: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
) -> usize {
    // SAFETY: A, B, C are live, distinct buffers of k·m, k·n, m·n floats (module contract).
    let (a, b, c) = unsafe {
        (
            slice(a, len(k, m)),
            slice(b, len(k, n)),
            slice_mut(c, len(m, n)),
        )
    };
    OutOfMemory::status(gemm::gemm_tn(m, k, n, a, b, c))
}

/// Affine forward: `out[m×n] = x[m×k] · W[k×n] + b`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_affine_forward(
    m: usize,
    k: usize,
    n: usize,
    x: *const f32,
    w: *const f32,
    b: *const f32,
    out: *mut f32,
) -> usize {
    // SAFETY: x, W, b, out are live buffers of m·k, k·n, n, m·n floats; out overlaps no input.
    let (x, w, b, out) = unsafe {
        (
            slice(x, len(m, k)),
            slice(w, len(k, n)),
            slice(b, n),
            slice_mut(out, len(m, n)),
        )
    };
    OutOfMemory::status(affine::affine_forward(m, k, n, x, w, b, out))
}

/// Affine backward: `dW = xᵀ·dout`, `db = Σ_rows dout`, and `dx = dout·Wᵀ` unless `dx` is null.
///
/// # Safety
/// See the module docs; `dx` may be null (no input gradient wanted).
#[no_mangle]
pub unsafe extern "C" fn nn_affine_backward(
    m: usize,
    k: usize,
    n: usize,
    x: *const f32,
    w: *const f32,
    dout: *const f32,
    dw: *mut f32,
    db: *mut f32,
    dx: *mut f32,
) -> usize {
    // SAFETY: x, W, dout, dW, db (and dx unless null) are live buffers of m·k, k·n, m·n, k·n,
    // n (and m·k) floats; the outputs overlap no input and each other.
    let (x, w, dout, dw, db) = unsafe {
        (
            slice(x, len(m, k)),
            slice(w, len(k, n)),
            slice(dout, len(m, n)),
            slice_mut(dw, len(k, n)),
            slice_mut(db, n),
        )
    };
    let dx = if dx.is_null() {
        None
    } else {
        Some(unsafe { slice_mut(dx, len(m, k)) })
    };
    OutOfMemory::status(affine::affine_backward(m, k, n, x, w, dout, dw, db, dx))
}

/// In place: `x[i, j] += b[j]` for a `rows×cols` matrix `x`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_add_bias(rows: usize, cols: usize, x: *mut f32, b: *const f32) {
    // SAFETY: x (rows·cols floats, written in place) and b (cols floats) are live and distinct.
    let (x, b) = unsafe { (slice_mut(x, len(rows, cols)), slice(b, cols)) };
    bias::add_bias(rows, cols, x, b)
}

/// `out[j] = Σ_i x[i, j]`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_col_sum(rows: usize, cols: usize, x: *const f32, out: *mut f32) {
    // SAFETY: x (rows·cols floats) and out (cols floats) are live and distinct.
    let (x, out) = unsafe { (slice(x, len(rows, cols)), slice_mut(out, cols)) };
    bias::col_sum(rows, cols, x, out)
}

/// `out = max(x, 0)`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_relu_forward(n: usize, x: *const f32, out: *mut f32) {
    // SAFETY: x and out are live, distinct buffers of n floats.
    let (x, out) = unsafe { (slice(x, n), slice_mut(out, n)) };
    activation::relu_forward(x, out)
}

/// `dx = y > 0 ? dout : 0`, where `y` is the forward output.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_relu_backward(n: usize, y: *const f32, dout: *const f32, dx: *mut f32) {
    // SAFETY: y, dout and dx are live buffers of n floats; dx overlaps neither input.
    let (y, dout, dx) = unsafe { (slice(y, n), slice(dout, n), slice_mut(dx, n)) };
    activation::relu_backward(y, dout, dx)
}

/// `out = 1 / (1 + exp(−x))`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_sigmoid_forward(n: usize, x: *const f32, out: *mut f32) {
    // SAFETY: x and out are live, distinct buffers of n floats.
    let (x, out) = unsafe { (slice(x, n), slice_mut(out, n)) };
    activation::sigmoid_forward(x, out)
}

/// `dx = dout · (1 − y) · y`, where `y` is the forward output.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_sigmoid_backward(
    n: usize,
    y: *const f32,
    dout: *const f32,
    dx: *mut f32,
) {
    // SAFETY: y, dout and dx are live buffers of n floats; dx overlaps neither input.
    let (y, dout, dx) = unsafe { (slice(y, n), slice(dout, n), slice_mut(dx, n)) };
    activation::sigmoid_backward(y, dout, dx)
}

/// `y = softmax(x)` per row; returns the mean cross-entropy against `t`: a one-hot
/// `rows×cols` matrix, or one class index per row when `labels` is 1.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_softmax_xent(
    rows: usize,
    cols: usize,
    x: *const f32,
    t: *const f32,
    labels: u32,
    y: *mut f32,
) -> f64 {
    let size = len(rows, cols);
    // SAFETY: x and y hold rows·cols floats, t rows (labels) or rows·cols floats; y overlaps neither input.
    let (x, t, y) = unsafe {
        (
            slice(x, size),
            slice(t, targets_len(labels, rows, size)),
            slice_mut(y, size),
        )
    };
    if labels != 0 {
        softmax_xent::softmax_xent_labels(rows, cols, x, t, y)
    } else {
        softmax_xent::softmax_xent_onehot(rows, cols, x, t, y)
    }
}

/// `dx = (y − t) / rows`, with `t` as in [`nn_softmax_xent`].
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_softmax_xent_backward(
    rows: usize,
    cols: usize,
    y: *const f32,
    t: *const f32,
    labels: u32,
    dx: *mut f32,
) {
    let size = len(rows, cols);
    // SAFETY: y and dx hold rows·cols floats, t rows (labels) or rows·cols floats; dx overlaps neither input.
    let (y, t, dx) = unsafe {
        (
            slice(y, size),
            slice(t, targets_len(labels, rows, size)),
            slice_mut(dx, size),
        )
    };
    if labels != 0 {
        softmax_xent::softmax_xent_backward_labels(rows, cols, y, t, dx)
    } else {
        softmax_xent::softmax_xent_backward_onehot(rows, cols, y, t, dx)
    }
}

/// Softmax-CE forward and backward in one pass: `y = softmax(x)`, `dx = (y − t) / rows`;
/// returns the mean loss, with `t` as in [`nn_softmax_xent`].
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_softmax_xent_grad(
    rows: usize,
    cols: usize,
    x: *const f32,
    t: *const f32,
    labels: u32,
    y: *mut f32,
    dx: *mut f32,
) -> f64 {
    let size = len(rows, cols);
    // SAFETY: x, y, dx hold rows·cols floats, t rows (labels) or rows·cols floats; y and dx
    // overlap no input or each other.
    let (x, t, y, dx) = unsafe {
        (
            slice(x, size),
            slice(t, targets_len(labels, rows, size)),
            slice_mut(y, size),
            slice_mut(dx, size),
        )
    };
    if labels != 0 {
        softmax_xent::softmax_xent_grad_labels(rows, cols, x, t, y, dx)
    } else {
        softmax_xent::softmax_xent_grad_onehot(rows, cols, x, t, y, dx)
    }
}

/// SGD step: `param −= lr · grad`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_sgd(n: usize, lr: f32, param: *mut f32, grad: *const f32) {
    // SAFETY: param (updated in place) and grad are live, distinct buffers of n floats.
    let (param, grad) = unsafe { (slice_mut(param, n), slice(grad, n)) };
    optim::sgd(lr, param, grad)
}

/// `target += source`.
///
/// # Safety
/// See the module docs; `target` is updated in place.
#[no_mangle]
pub unsafe extern "C" fn nn_accumulate(n: usize, target: *mut f32, source: *const f32) {
    // SAFETY: target (updated in place) and source are live, distinct buffers of n floats.
    let (target, source) = unsafe { (slice_mut(target, n), slice(source, n)) };
    optim::accumulate(target, source)
}

/// Momentum step (`optim::momentum`): `v = momentum·v − lr·grad; param += v`.
///
/// # Safety
/// See the module docs; `param` and `v` are updated in place.
#[no_mangle]
pub unsafe extern "C" fn nn_momentum(
    n: usize,
    lr: f32,
    momentum: f32,
    param: *mut f32,
    grad: *const f32,
    v: *mut f32,
) {
    // SAFETY: param, grad and v are live, pairwise distinct buffers of n floats.
    let (param, grad, v) = unsafe { (slice_mut(param, n), slice(grad, n), slice_mut(v, n)) };
    optim::momentum(lr, momentum, param, grad, v)
}

/// The book's Nesterov step (`optim::nesterov`); `mm = momentum²`, `step = (1 + momentum)·lr`.
///
/// # Safety
/// See the module docs; `param` and `v` are updated in place.
#[no_mangle]
pub unsafe extern "C" fn nn_nesterov(
    n: usize,
    lr: f32,
    momentum: f32,
    mm: f32,
    step: f32,
    param: *mut f32,
    grad: *const f32,
    v: *mut f32,
) {
    // SAFETY: param, grad and v are live, pairwise distinct buffers of n floats.
    let (param, grad, v) = unsafe { (slice_mut(param, n), slice(grad, n), slice_mut(v, n)) };
    optim::nesterov(lr, momentum, mm, step, param, grad, v)
}

/// AdaGrad step (`optim::adagrad`).
///
/// # Safety
/// See the module docs; `param` and `h` are updated in place.
#[no_mangle]
pub unsafe extern "C" fn nn_adagrad(
    n: usize,
    lr: f32,
    eps: f32,
    param: *mut f32,
    grad: *const f32,
    h: *mut f32,
) {
    // SAFETY: param, grad and h are live, pairwise distinct buffers of n floats.
    let (param, grad, h) = unsafe { (slice_mut(param, n), slice(grad, n), slice_mut(h, n)) };
    optim::adagrad(lr, eps, param, grad, h)
}

/// RMSprop step (`optim::rmsprop`); `keep = 1 − decay`.
///
/// # Safety
/// See the module docs; `param` and `h` are updated in place.
#[no_mangle]
pub unsafe extern "C" fn nn_rmsprop(
    n: usize,
    lr: f32,
    decay: f32,
    keep: f32,
    eps: f32,
    param: *mut f32,
    grad: *const f32,
    h: *mut f32,
) {
    // SAFETY: param, grad and h are live, pairwise distinct buffers of n floats.
    let (param, grad, h) = unsafe { (slice_mut(param, n), slice(grad, n), slice_mut(h, n)) };
    optim::rmsprop(lr, decay, keep, eps, param, grad, h)
}

/// Adam step (`optim::adam`); `k1 = 1 − β1`, `k2 = 1 − β2`; `lr_t` holds the bias corrections.
///
/// # Safety
/// See the module docs; `param`, `m` and `v` are updated in place.
#[no_mangle]
pub unsafe extern "C" fn nn_adam(
    n: usize,
    lr_t: f32,
    k1: f32,
    k2: f32,
    eps: f32,
    param: *mut f32,
    grad: *const f32,
    m: *mut f32,
    v: *mut f32,
) {
    // SAFETY: param, grad, m and v are live, pairwise distinct buffers of n floats.
    let (param, grad, m, v) = unsafe {
        (
            slice_mut(param, n),
            slice(grad, n),
            slice_mut(m, n),
            slice_mut(v, n),
        )
    };
    optim::adam(lr_t, k1, k2, eps, param, grad, m, v)
}

/// Convolution forward (`crate::conv`): `col[N, C·FH·FW, OH·OW]` and `out[N, FN, OH·OW] = W·col_n + b`.
///
/// # Safety
/// See the module docs; the window fits the padded input (stride ≥ 1).
#[no_mangle]
pub unsafe extern "C" fn nn_conv_forward(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
    filters: usize,
    x: *const f32,
    weights: *const f32,
    b: *const f32,
    col: *mut f32,
    out: *mut f32,
) -> usize {
    let g = Window {
        n,
        c,
        h,
        w,
        fh,
        fw,
        stride,
        pad,
    };
    let (k, p) = (g.patch(), g.positions());
    // SAFETY: x, W, b, col, out are live, distinct buffers of the sizes the window implies.
    let (x, weights, b, col, out) = unsafe {
        (
            slice(x, n * c * h * w),
            slice(weights, filters * k),
            slice(b, filters),
            slice_mut(col, n * k * p),
            slice_mut(out, n * filters * p),
        )
    };
    OutOfMemory::status(conv::conv_forward(&g, filters, x, weights, b, col, out))
}

/// Convolution backward: `dW`, `db`, and `dx` (with the one-sample scratch `dcol`) unless `dx` is null.
///
/// # Safety
/// See the module docs; `dcol` and `dx` are both null or both live.
#[no_mangle]
pub unsafe extern "C" fn nn_conv_backward(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
    filters: usize,
    col: *const f32,
    weights: *const f32,
    dout: *const f32,
    dw: *mut f32,
    db: *mut f32,
    dcol: *mut f32,
    dx: *mut f32,
) -> usize {
    let g = Window {
        n,
        c,
        h,
        w,
        fh,
        fw,
        stride,
        pad,
    };
    let (k, p) = (g.patch(), g.positions());
    // SAFETY: as above; the outputs overlap no input and each other.
    let (col, weights, dout, dw, db) = unsafe {
        (
            slice(col, n * k * p),
            slice(weights, filters * k),
            slice(dout, n * filters * p),
            slice_mut(dw, filters * k),
            slice_mut(db, filters),
        )
    };
    let dx = if dx.is_null() {
        None
    } else {
        Some(unsafe { (slice_mut(dcol, k * p), slice_mut(dx, n * c * h * w)) })
    };
    OutOfMemory::status(conv::conv_backward(
        &g, filters, col, weights, dout, dw, db, dx,
    ))
}

/// Max pooling forward (`crate::pool`): `out` and `argmax` (`[N, C, OH·OW]`) from `x[N, C, H, W]`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_max_pool_forward(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
    x: *const f32,
    out: *mut f32,
    argmax: *mut f32,
) {
    let g = Window {
        n,
        c,
        h,
        w,
        fh,
        fw,
        stride,
        pad,
    };
    let o = n * c * g.positions();
    // SAFETY: x, out, argmax are live, distinct buffers of the sizes the window implies.
    let (x, out, argmax) = unsafe {
        (
            slice(x, n * c * h * w),
            slice_mut(out, o),
            slice_mut(argmax, o),
        )
    };
    pool::max_pool_forward(&g, x, out, argmax)
}

/// Max pooling backward: `dx[N, C, H, W]` from `dout` and the forward's `argmax`.
///
/// # Safety
/// See the module docs; `argmax` holds window indices written by [`nn_max_pool_forward`].
#[no_mangle]
pub unsafe extern "C" fn nn_max_pool_backward(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
    dout: *const f32,
    argmax: *const f32,
    dx: *mut f32,
) {
    let g = Window {
        n,
        c,
        h,
        w,
        fh,
        fw,
        stride,
        pad,
    };
    let o = n * c * g.positions();
    // SAFETY: as above.
    let (dout, argmax, dx) = unsafe {
        (
            slice(dout, o),
            slice(argmax, o),
            slice_mut(dx, n * c * h * w),
        )
    };
    pool::max_pool_backward(&g, dout, argmax, dx)
}

/// im2col (chapter 7): the windows of `x` `[n, c, h, w]` as the rows of
/// `col` `[n·oh·ow, c·fh·fw]` (see [`im2col::im2col`]).
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_im2col(
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    fh: usize,
    fw: usize,
    stride: usize,
    pad: usize,
    x: *const f32,
    col: *mut f32,
) {
    let (oh, ow) = (
        im2col::conv_out_size(h, fh, stride, pad),
        im2col::conv_out_size(w, fw, stride, pad),
    );
    // SAFETY: x holds n·c·h·w floats and col n·oh·ow·c·fh·fw; col overlaps x nowhere.
    let (x, col) = unsafe {
        (
            slice(x, len(len(n, c), len(h, w))),
            slice_mut(col, len(len(n, len(oh, ow)), len(c, len(fh, fw)))),
        )
    };
    im2col::im2col(n, c, h, w, fh, fw, stride, pad, x, col)
}

/// Batch normalization, training mode (chapter 6; see [`batch_norm::batch_norm_forward_train`]):
/// `x`, `xn`, `out` are `rows×cols`; `gamma`, `beta`, the running statistics (updated in place)
/// and `inv_std` hold `cols`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_batch_norm_forward_train(
    rows: usize,
    cols: usize,
    momentum: f32,
    x: *const f32,
    gamma: *const f32,
    beta: *const f32,
    running_mean: *mut f32,
    running_var: *mut f32,
    xn: *mut f32,
    inv_std: *mut f32,
    out: *mut f32,
) {
    let size = len(rows, cols);
    // SAFETY: live buffers of the stated lengths; the five outputs overlap no other argument.
    let (x, gamma, beta, running_mean, running_var, xn, inv_std, out) = unsafe {
        (
            slice(x, size),
            slice(gamma, cols),
            slice(beta, cols),
            slice_mut(running_mean, cols),
            slice_mut(running_var, cols),
            slice_mut(xn, size),
            slice_mut(inv_std, cols),
            slice_mut(out, size),
        )
    };
    batch_norm::batch_norm_forward_train(
        rows,
        cols,
        momentum,
        x,
        gamma,
        beta,
        running_mean,
        running_var,
        xn,
        inv_std,
        out,
    )
}

/// Batch normalization, test mode: the running statistics instead of the batch's.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_batch_norm_forward_test(
    rows: usize,
    cols: usize,
    x: *const f32,
    gamma: *const f32,
    beta: *const f32,
    running_mean: *const f32,
    running_var: *const f32,
    out: *mut f32,
) {
    let size = len(rows, cols);
    // SAFETY: live buffers of the stated lengths; out overlaps no input.
    let (x, gamma, beta, running_mean, running_var, out) = unsafe {
        (
            slice(x, size),
            slice(gamma, cols),
            slice(beta, cols),
            slice(running_mean, cols),
            slice(running_var, cols),
            slice_mut(out, size),
        )
    };
    batch_norm::batch_norm_forward_test(rows, cols, x, gamma, beta, running_mean, running_var, out)
}

/// Batch normalization backward: `dgamma`, `dbeta` and `dx` from `dout` and the training
/// forward's `xn` and `inv_std`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_batch_norm_backward(
    rows: usize,
    cols: usize,
    dout: *const f32,
    xn: *const f32,
    inv_std: *const f32,
    gamma: *const f32,
    dgamma: *mut f32,
    dbeta: *mut f32,
    dx: *mut f32,
) {
    let size = len(rows, cols);
    // SAFETY: live buffers of the stated lengths; the three outputs overlap no other argument.
    let (dout, xn, inv_std, gamma, dgamma, dbeta, dx) = unsafe {
        (
            slice(dout, size),
            slice(xn, size),
            slice(inv_std, cols),
            slice(gamma, cols),
            slice_mut(dgamma, cols),
            slice_mut(dbeta, cols),
            slice_mut(dx, size),
        )
    };
    batch_norm::batch_norm_backward(rows, cols, dout, xn, inv_std, gamma, dgamma, dbeta, dx)
}

/// Dropout: `out = x·mask`.
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_apply_mask(n: usize, x: *const f32, mask: *const f32, out: *mut f32) {
    // SAFETY: x, mask and out are live buffers of n floats; out overlaps neither input.
    let (x, mask, out) = unsafe { (slice(x, n), slice(mask, n), slice_mut(out, n)) };
    dropout::apply_mask(x, mask, out)
}

/// `out = s·x` (dropout at test time).
///
/// # Safety
/// See the module docs.
#[no_mangle]
pub unsafe extern "C" fn nn_scale(n: usize, s: f32, x: *const f32, out: *mut f32) {
    // SAFETY: x and out are live, distinct buffers of n floats.
    let (x, out) = unsafe { (slice(x, n), slice_mut(out, n)) };
    dropout::scale(s, x, out)
}

/// The length of a softmax's targets: one class index per row, or a `rows×cols` matrix.
fn targets_len(labels: u32, rows: usize, size: usize) -> usize {
    if labels != 0 {
        rows
    } else {
        size
    }
}

/// `rows · cols`, trapping instead of wrapping.
fn len(rows: usize, cols: usize) -> usize {
    rows.checked_mul(cols)
        .expect("nn: matrix size overflows usize")
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

/// Test hook: the next part a worker (not the caller) runs traps there.
#[no_mangle]
pub extern "C" fn nn_pool_fail_next_part() {
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    crate::parallel::pool::fail_next_part();
}
