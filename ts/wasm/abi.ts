/**
 * The raw exports of the Rust crate. This interface must match `crate/src/abi.rs` one to one.
 *
 * Conventions (BLAS order): dimensions first, then inputs, then outputs. Every pointer is a byte
 * offset into the module's linear memory of a 16-byte-aligned f32 buffer that the TS side
 * allocated with `nn_alloc`; the TS side validates all shapes before calling, so the Rust side
 * never sees a length it has to doubt. Outputs never alias inputs unless a function says so.
 * Label vectors are f32 buffers holding integer class indices (exact below 2^24).
 *
 * The memory is imported (`env.memory`, created by `load.ts` with the backend's maximum) and
 * re-exported. Kernels that need workspace (GEMM packing) return a status: 0 on success, else the
 * bytes of workspace they could not reserve; they wrote nothing then and the module stays usable.
 */
export interface NnExports {
  readonly memory: WebAssembly.Memory;

  /** Allocates `bytes` (> 0) bytes, 16-byte aligned; returns the pointer, or 0 when memory cannot grow. */
  nn_alloc(bytes: number): number;
  /** Frees a block from `nn_alloc` with the same byte count. */
  nn_free(ptr: number, bytes: number): void;

  /** C[m×n] = A[m×k] · B[k×n]. */
  nn_gemm_nn(m: number, k: number, n: number, a: number, b: number, c: number): number;
  /** C[m×n] = A[m×k] · B[n×k]ᵀ. */
  nn_gemm_nt(m: number, k: number, n: number, a: number, b: number, c: number): number;
  /** C[m×n] = A[k×m]ᵀ · B[k×n]. */
  nn_gemm_tn(m: number, k: number, n: number, a: number, b: number, c: number): number;

  // Fused Affine passes (crate/src/affine.rs): one call per layer and direction.
  /** out[m×n] = x[m×k] · W[k×n] + b. */
  nn_affine_forward(m: number, k: number, n: number, x: number, w: number, b: number, out: number): number;
  /** dW[k×n] = xᵀ·dout, db[n] = Σ_rows dout, and dx[m×k] = dout·Wᵀ unless dx is 0 (null: skipped). */
  nn_affine_backward(m: number, k: number, n: number, x: number, w: number, dout: number, dw: number, db: number, dx: number): number;

  /** In place: x[i, j] += b[j] for a rows×cols matrix x. */
  nn_add_bias(rows: number, cols: number, x: number, b: number): void;
  /** out[j] = Σ_i x[i, j]. */
  nn_col_sum(rows: number, cols: number, x: number, out: number): void;

  /** out = max(x, 0). */
  nn_relu_forward(n: number, x: number, out: number): void;
  /** dx = y > 0 ? dout : 0, where y is the forward output. */
  nn_relu_backward(n: number, y: number, dout: number, dx: number): void;
  /** out = 1 / (1 + exp(−x)). */
  nn_sigmoid_forward(n: number, x: number, out: number): void;
  /** dx = dout · (1 − y) · y, where y is the forward output. */
  nn_sigmoid_backward(n: number, y: number, dout: number, dx: number): void;

  /**
   * y = softmax(x) row by row (max-subtracted); returns the mean cross-entropy over the rows,
   * −(1/rows) Σ_i Σ_j t[i, j] · log y[i, j], with log y computed as a log-softmax and the sum
   * accumulated in f64 (the return type is f64).
   */
  nn_softmax_xent_onehot(rows: number, cols: number, x: number, t: number, y: number): number;
  /** As above with t given as one class index per row: −(1/rows) Σ_i log y[i, labels[i]]. */
  nn_softmax_xent_labels(rows: number, cols: number, x: number, labels: number, y: number): number;
  /** dx = (y − t) / rows. */
  nn_softmax_xent_backward_onehot(rows: number, cols: number, y: number, t: number, dx: number): void;
  /** dx = (y − onehot(labels)) / rows. */
  nn_softmax_xent_backward_labels(rows: number, cols: number, y: number, labels: number, dx: number): void;

  /** Forward and backward in one pass: y = softmax(x), dx = (y − t) / rows; returns the mean loss (f64). */
  nn_softmax_xent_grad_onehot(rows: number, cols: number, x: number, t: number, y: number, dx: number): number;
  /** As above with t given as one class index per row. */
  nn_softmax_xent_grad_labels(rows: number, cols: number, x: number, labels: number, y: number, dx: number): number;

  /** SGD step: param −= lr · grad (lr is an f32 on the Rust side). */
  nn_sgd(n: number, lr: number, param: number, grad: number): void;

  // Chapter-6 optimizers (crate/src/optim.rs): param and the state buffers are updated in place.
  // Hyper-parameters are f32; the derived constants (mm, step, keep, k1, k2) come from the TS
  // side, computed in f64 (ts/backend.ts).
  /** Momentum: v = momentum·v − lr·grad; param += v. */
  nn_momentum(n: number, lr: number, momentum: number, param: number, grad: number, v: number): void;
  /** The book's Nesterov: param += momentum²·v − (1 + momentum)·lr·grad (old v); v = momentum·v − lr·grad. */
  nn_nesterov(n: number, lr: number, momentum: number, mm: number, step: number, param: number, grad: number, v: number): void;
  /** AdaGrad: h += grad²; param −= lr·grad / (√h + eps). */
  nn_adagrad(n: number, lr: number, eps: number, param: number, grad: number, h: number): void;
  /** RMSprop: h = decay·h + keep·grad²; param −= lr·grad / (√h + eps), keep = 1 − decay. */
  nn_rmsprop(n: number, lr: number, decay: number, keep: number, eps: number, param: number, grad: number, h: number): void;
  /** Adam: m += k1·(grad − m); v += k2·(grad² − v); param −= lrT·m / (√v + eps), k = 1 − β. */
  nn_adam(n: number, lrT: number, k1: number, k2: number, eps: number, param: number, grad: number, m: number, v: number): void;
}
