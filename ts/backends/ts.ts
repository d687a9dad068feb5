import { Backend, type GemmForm, type TargetKind } from '../backend.js';
import { MAX_DIMENSION } from '../checks.js';
import type { Storage, Tensor } from '../tensor.js';
import * as k from './ts_kernels.js';

/** Storage on the JS heap: the view is the array itself and never goes stale. */
class HeapStorage implements Storage {
  readonly ptr = -1;
  #array: Float32Array | null;
  constructor(readonly size: number) {
    this.#array = new Float32Array(size);
  }
  get freed(): boolean {
    return this.#array === null;
  }
  view(): Float32Array {
    if (this.#array === null) throw new Error('storage was freed');
    return this.#array;
  }
  free(): void {
    this.#array = null;
  }
}

/** The pure-TypeScript backend: no WASM, runs anywhere; the oracle and baseline for WASM. */
export class TsBackend extends Backend {
  readonly name = 'ts';
  readonly kind = 'ts';

  protected elementLimit(): { elements: number; reason: string } {
    return { elements: MAX_DIMENSION, reason: `a tensor on the TS backend holds at most 2³¹ − 1 = ${MAX_DIMENSION} elements` };
  }
  protected allocateImpl(size: number): Storage {
    try {
      return new HeapStorage(size);
    } catch (e) {
      // The engine refuses a typed array this large ("Array buffer allocation failed").
      throw new Error(`${this.name}: out of memory: cannot allocate ${size} floats (${size * 4} bytes): ${(e as Error).message}`);
    }
  }
  protected linearMemoryBytes(): number {
    return 0;
  }
  protected gemmImpl(form: GemmForm, m: number, kk: number, n: number, a: Tensor, b: Tensor, c: Tensor): void {
    const gemm = form === 'nn' ? k.gemmNN : form === 'nt' ? k.gemmNT : k.gemmTN;
    gemm(m, kk, n, a.data, b.data, c.data);
  }
  protected addBiasImpl(rows: number, cols: number, x: Tensor, b: Tensor): void {
    k.addBias(rows, cols, x.data, b.data);
  }
  protected colSumImpl(rows: number, cols: number, x: Tensor, out: Tensor): void {
    k.colSum(rows, cols, x.data, out.data);
  }
  protected reluForwardImpl(x: Tensor, out: Tensor): void {
    k.reluForward(x.data, out.data);
  }
  protected reluBackwardImpl(y: Tensor, dout: Tensor, dx: Tensor): void {
    k.reluBackward(y.data, dout.data, dx.data);
  }
  protected sigmoidForwardImpl(x: Tensor, out: Tensor): void {
    k.sigmoidForward(x.data, out.data);
  }
  protected sigmoidBackwardImpl(y: Tensor, dout: Tensor, dx: Tensor): void {
    k.sigmoidBackward(y.data, dout.data, dx.data);
  }
  protected softmaxXentImpl(rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, y: Tensor): number {
    return k.softmaxXent(rows, cols, x.data, t.data, targets === 'labels', y.data);
  }
  protected softmaxXentBackwardImpl(rows: number, cols: number, y: Tensor, t: Tensor, targets: TargetKind, dx: Tensor): void {
    k.softmaxXentBackward(rows, cols, y.data, t.data, targets === 'labels', dx.data);
  }
  protected affineForwardImpl(m: number, kk: number, n: number, x: Tensor, W: Tensor, b: Tensor, out: Tensor): void {
    k.affineForward(m, kk, n, x.data, W.data, b.data, out.data);
  }
  protected affineBackwardImpl(m: number, kk: number, n: number, x: Tensor, W: Tensor, dout: Tensor, dW: Tensor, db: Tensor, dx: Tensor | null): void {
    k.affineBackward(m, kk, n, x.data, W.data, dout.data, dW.data, db.data, dx === null ? null : dx.data);
  }
  protected softmaxXentGradImpl(rows: number, cols: number, x: Tensor, t: Tensor, targets: TargetKind, y: Tensor, dx: Tensor): number {
    return k.softmaxXentGrad(rows, cols, x.data, t.data, targets === 'labels', y.data, dx.data);
  }
  protected sgdImpl(lr: number, param: Tensor, grad: Tensor): void {
    k.sgd(lr, param.data, grad.data);
  }
  protected momentumImpl(lr: number, momentum: number, param: Tensor, grad: Tensor, v: Tensor): void {
    k.momentum(lr, momentum, param.data, grad.data, v.data);
  }
  protected nesterovImpl(lr: number, momentum: number, mm: number, step: number, param: Tensor, grad: Tensor, v: Tensor): void {
    k.nesterov(lr, momentum, mm, step, param.data, grad.data, v.data);
  }
  protected adagradImpl(lr: number, eps: number, param: Tensor, grad: Tensor, h: Tensor): void {
    k.adagrad(lr, eps, param.data, grad.data, h.data);
  }
  protected rmspropImpl(lr: number, decay: number, keep: number, eps: number, param: Tensor, grad: Tensor, h: Tensor): void {
    k.rmsprop(lr, decay, keep, eps, param.data, grad.data, h.data);
  }
  protected adamImpl(lrT: number, k1: number, k2: number, eps: number, param: Tensor, grad: Tensor, m: Tensor, v: Tensor): void {
    k.adam(lrT, k1, k2, eps, param.data, grad.data, m.data, v.data);
  }
}
