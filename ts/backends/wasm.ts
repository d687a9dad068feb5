import { Backend, type GemmForm, type TargetKind } from '../backend.js';
import type { Storage, Tensor } from '../tensor.js';
import type { NnExports } from '../wasm/abi.js';
import { WASM32_MAX_BYTES, type WasmVariant } from '../wasm/load.js';

/**
 * A block of WASM linear memory. Growing the memory detaches the old ArrayBuffer (every view on
 * it drops to length 0), so the view is re-derived whenever its buffer is no longer the
 * memory's buffer.
 */
class LinearStorage implements Storage {
  #view: Float32Array;
  #freed = false;
  constructor(
    private readonly exports: NnExports,
    readonly ptr: number,
    readonly size: number,
  ) {
    this.#view = new Float32Array(exports.memory.buffer, ptr, size);
  }
  get freed(): boolean {
    return this.#freed;
  }
  view(): Float32Array {
    if (this.#freed) throw new Error('storage was freed');
    const buffer = this.exports.memory.buffer;
    if (this.#view.buffer !== buffer) this.#view = new Float32Array(buffer, this.ptr, this.size);
    return this.#view;
  }
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    if (this.size > 0) this.exports.nn_free(this.ptr, this.size * 4);
  }
}

/**
 * The WebAssembly backend: tensors live in the module's linear memory and every kernel is one
 * call into Rust with pointers, so nothing is copied between JS and WASM.
 */
export class WasmBackend extends Backend {
  readonly name: string;
  readonly kind = 'wasm';
  readonly variant: WasmVariant;
  readonly #x: NnExports;
  /** The most the linear memory may grow to (the maximum it was created with). */
  readonly #maxMemoryBytes: number;

  /** Use `createBackend('wasm')`, which loads the module. */
  constructor(exports: NnExports, variant: WasmVariant, maxMemoryBytes = WASM32_MAX_BYTES) {
    super();
    this.#x = exports;
    this.variant = variant;
    this.name = `wasm-${variant}`;
    this.#maxMemoryBytes = maxMemoryBytes;
  }

  protected elementLimit(): { elements: number; reason: string } {
    return { elements: Math.floor((this.#maxMemoryBytes - 1) / 4), reason: `its linear memory is limited to ${this.#maxMemoryBytes} bytes` };
  }
  protected allocateImpl(size: number): Storage {
    if (size === 0) return new LinearStorage(this.#x, 0, 0);
    const bytes = size * 4;
    const ptr = this.#x.nn_alloc(bytes) >>> 0;
    if (ptr === 0) throw new Error(`${this.name}: out of memory: cannot allocate ${bytes} bytes (${this.#memoryState()}); dispose tensors you no longer need`);
    const storage = new LinearStorage(this.#x, ptr, size);
    storage.view().fill(0); // the allocator hands back freed blocks as they were left
    return storage;
  }
  protected linearMemoryBytes(): number {
    return this.#x.memory.buffer.byteLength;
  }
  #memoryState(): string {
    return `linear memory is ${this.linearMemoryBytes()} bytes and may grow to at most ${this.#maxMemoryBytes}`;
  }
  /**
   * Turns a kernel's status into an Error: 0 is success, anything else the bytes of workspace the
   * kernel could not reserve (it wrote nothing then, and the module stays usable).
   */
  #checkStatus(where: string, status: number): void {
    if (status === 0) return;
    throw new Error(`${this.name}.${where}: out of memory: the kernel needs ${status >>> 0} bytes of workspace (${this.#memoryState()}); dispose tensors you no longer need`);
  }
  protected gemmImpl(form: GemmForm, m: number, k: number, n: number, a: Tensor, b: Tensor, c: Tensor): void {
    const gemm = form === 'nn' ? this.#x.nn_gemm_nn : form === 'nt' ? this.#x.nn_gemm_nt : this.#x.nn_gemm_tn;
    this.#checkStatus(`gemm${form.toUpperCase()}`, gemm(m, k, n, a.storage.ptr, b.storage.ptr, c.storage.ptr));
  }
  protected addBiasImpl(rows: number, cols: number, x: Tensor, b: Tensor): void {
    this.#x.nn_add_bias(rows, cols, x.storage.ptr, b.storage.ptr);
  }
  protected colSumImpl(rows: number, cols: number, x: Tensor, out: Tensor): void {
    this.#x.nn_col_sum(rows, cols, x.storage.ptr, out.storage.ptr);
  }
  protected reluForwardImpl(x: Tensor, out: Tensor): void {
    this.#x.nn_relu_forward(out.size, x.storage.ptr, out.storage.ptr);
  }
  protected reluBackwardImpl(y: Tensor, dout: Tensor, dx: Tensor): void {
    this.#x.nn_relu_backward(dx.size, y.storage.ptr, dout.storage.ptr, dx.storage.ptr);
  }
  protected sigmoidForwardImpl(x: Tensor, out: Tensor): void {
    this.#x.nn_sigmoid_forward(out.size, x.storage.ptr, out.storage.ptr);
  }
  protected sigmoidBackwardImpl(y: Tensor, dout: Tensor, dx: Tensor): void {
    this.#x.nn_sigmoid_backward(dx.size, y.storage.ptr, dout.storage.ptr, dx.storage.ptr);
  }
  protected softmaxXentImpl(rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, y: Tensor): number {
    const xent = targets === 'labels' ? this.#x.nn_softmax_xent_labels : this.#x.nn_softmax_xent_onehot;
    return xent(rows, cols, x.storage.ptr, t.storage.ptr, y.storage.ptr);
  }
  protected softmaxXentBackwardImpl(rows: number, cols: number, y: Tensor, t: Tensor, targets: TargetKind, dx: Tensor): void {
    const backward = targets === 'labels' ? this.#x.nn_softmax_xent_backward_labels : this.#x.nn_softmax_xent_backward_onehot;
    backward(rows, cols, y.storage.ptr, t.storage.ptr, dx.storage.ptr);
  }
  protected affineForwardImpl(m: number, k: number, n: number, x: Tensor, W: Tensor, b: Tensor, out: Tensor): void {
    this.#checkStatus('affineForward', this.#x.nn_affine_forward(m, k, n, x.storage.ptr, W.storage.ptr, b.storage.ptr, out.storage.ptr));
  }
  protected affineBackwardImpl(m: number, k: number, n: number, x: Tensor, W: Tensor, dout: Tensor, dW: Tensor, db: Tensor, dx: Tensor | null): void {
    // A null dx pointer tells Rust to skip dx = dout·Wᵀ.
    const status = this.#x.nn_affine_backward(m, k, n, x.storage.ptr, W.storage.ptr, dout.storage.ptr, dW.storage.ptr, db.storage.ptr, dx === null ? 0 : dx.storage.ptr);
    this.#checkStatus('affineBackward', status);
  }
  protected softmaxXentGradImpl(rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, y: Tensor, dx: Tensor): number {
    const grad = targets === 'labels' ? this.#x.nn_softmax_xent_grad_labels : this.#x.nn_softmax_xent_grad_onehot;
    return grad(rows, cols, x.storage.ptr, t.storage.ptr, y.storage.ptr, dx.storage.ptr);
  }
  protected sgdImpl(lr: number, param: Tensor, grad: Tensor): void {
    this.#x.nn_sgd(param.size, lr, param.storage.ptr, grad.storage.ptr);
  }
  protected momentumImpl(lr: number, momentum: number, param: Tensor, grad: Tensor, v: Tensor): void {
    this.#x.nn_momentum(param.size, lr, momentum, param.storage.ptr, grad.storage.ptr, v.storage.ptr);
  }
  protected nesterovImpl(lr: number, momentum: number, mm: number, step: number, param: Tensor, grad: Tensor, v: Tensor): void {
    this.#x.nn_nesterov(param.size, lr, momentum, mm, step, param.storage.ptr, grad.storage.ptr, v.storage.ptr);
  }
  protected adagradImpl(lr: number, eps: number, param: Tensor, grad: Tensor, h: Tensor): void {
    this.#x.nn_adagrad(param.size, lr, eps, param.storage.ptr, grad.storage.ptr, h.storage.ptr);
  }
  protected rmspropImpl(lr: number, decay: number, keep: number, eps: number, param: Tensor, grad: Tensor, h: Tensor): void {
    this.#x.nn_rmsprop(param.size, lr, decay, keep, eps, param.storage.ptr, grad.storage.ptr, h.storage.ptr);
  }
  protected adamImpl(lrT: number, k1: number, k2: number, eps: number, param: Tensor, grad: Tensor, m: Tensor, v: Tensor): void {
    this.#x.nn_adam(param.size, lrT, k1, k2, eps, param.storage.ptr, grad.storage.ptr, m.storage.ptr, v.storage.ptr);
  }
}
