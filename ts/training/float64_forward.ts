import { poolBeats } from '../backends/conv_kernels.js';
import { reluBlocks } from '../backends/ts_kernels.js';
import { BATCH_NORM_EPS } from '../backends/ts_normalization.js';
import { formatShape, type Tensor } from '../core/tensor.js';
import { outputSize, type Window, windowFits } from '../core/window.js';
import type { Affine } from '../layers/affine.js';
import type { BatchNormalization } from '../layers/batch_normalization.js';
import type { Convolution } from '../layers/convolution.js';
import type { Dropout } from '../layers/dropout.js';
import { entryOf, type LayerOf, typeList } from '../layers/kinds.js';
import type { Layer, LayerType } from '../layers/layer.js';
import type { Pooling } from '../layers/pooling.js';
import { checkTargets } from '../layers/softmax_with_loss.js';

/** What the float64 forward reads of a net (a `Sequential` is one): its layers in order and its weight decay λ. */
export interface Float64Net {
  readonly layers: ReadonlyMap<string, Layer>;
  readonly weightDecayLambda: number;
}

/**
 * The forward pass of a `Sequential` in float64 on the JS side, for the numerical side of the
 * gradient check. A central difference divides the rounding error of the loss by 2h: in f32
 * (the backends' precision) that error drowns a step of h = 1e-4, in float64 it is ~1e-12 of
 * the difference. (PyTorch's gradcheck insists on double precision for the same reason.)
 *
 * The weights are read once (the f32 values, exactly); nothing is written back to the net.
 *
 * Perturbing one weight W[i, j] (or b[j]) of an Affine layer changes only column j of its output,
 * by δ·x[:, i] (or δ), so `lossWith` starts from the cached output of that layer, updates that
 * column, and runs only the layers after it: the check costs a few thousand flops per weight
 * instead of a whole forward pass. A Convolution's filter weight W[f, c, i, j] likewise changes
 * only output channel f, by δ times the input pixels it meets.
 *
 * Layers with a training mode run as in the layer's last forward (which, in `gradientCheck`, is
 * the training-mode forward of `net.gradient`): BatchNormalization with the batch statistics
 * (or the running ones after a test-mode forward), Dropout with the mask that forward drew (or
 * the test-mode scaling). A perturbed γ or β of a BatchNormalization reruns that layer from its
 * cached input. The net's weight decay 0.5·λ·ΣW² is part of the loss here too.
 *
 * Non-differentiable points: a layer that chooses (ReLU: pass or block; max pooling:
 * which input of a window wins) records the choices of the unperturbed pass, and `lossWith` reports
 * whether a perturbed pass chose differently. A central difference across such a kink measures
 * a mix of the two one-sided slopes, not the gradient, so the check differentiates on the side
 * that chose as the unperturbed pass did (see `numericalGradient64`).
 */
export class Float64Forward {
  readonly rows: number;
  readonly #layers: F64Layer[];
  /** Per layer, its input in the unperturbed pass ([0] is x); [layers.length] is the scores. */
  readonly #acts: Float64Array[];
  readonly #targets: Float64Array;
  readonly #labels: boolean;
  readonly #classes: number;
  /** Where each parameter tensor lives: its layer and which of its parameters it is ('W', 'gamma', …). */
  readonly #where = new Map<Tensor, { layer: number; part: string }>();
  readonly #scratch: Float64Array;
  readonly #lambda: number;
  /** 0.5·λ·ΣW² of the unperturbed weights. */
  readonly #decay: number;

  constructor(where: string, net: Float64Net, x: Tensor, t: Tensor) {
    this.rows = x.shape[0] ?? 0;
    let shape = x.shape.slice(1); // one sample's shape, layer by layer
    this.#layers = [...net.layers.entries()].map(([name, layer]) => {
      const f64 = toF64(where, name, layer, shape);
      shape = f64.outputShape;
      return f64;
    });
    [...net.layers.values()].forEach((layer, i) => {
      for (const [part, tensor] of Object.entries(layer.params())) this.#where.set(tensor, { layer: i, part });
    });
    this.#lambda = net.weightDecayLambda;
    let sumSquares = 0;
    for (const [tensor, { part }] of this.#where) {
      if (part !== 'W') continue;
      for (const w of tensor.data) sumSquares += w * w;
    }
    this.#decay = 0.5 * this.#lambda * sumSquares;
    this.#acts = [Float64Array.from(x.data)];
    for (const layer of this.#layers) {
      const out = layer.forward(this.#acts[this.#acts.length - 1], this.rows);
      layer.remember();
      this.#acts.push(out.slice());
    }
    const scores = this.#acts[this.#acts.length - 1];
    this.#classes = this.rows > 0 ? scores.length / this.rows : 0;
    this.#labels = checkTargets(where, t, { backend: x.backend, shape: [this.rows, this.#classes] }) === 'labels';
    this.#targets = Float64Array.from(t.data);
    this.#scratch = new Float64Array(Math.max(0, ...this.#acts.map((a) => a.length)));
  }

  /** The mean cross-entropy loss of the unperturbed pass, plus the weight-decay term. */
  loss(): number {
    return softmaxXent64(this.#acts[this.#acts.length - 1], this.rows, this.#classes, this.#targets, this.#labels) + this.#decay;
  }

  /**
   * The loss with element `index` of the parameter `param` changed by `delta` (in float64,
   * without rounding the weight to f32), and whether that changed a choice of a later layer
   * (a ReLU input crossing 0) compared with the unperturbed pass.
   */
  lossWith(param: Tensor, index: number, delta: number): { loss: number; crossedKink: boolean } {
    const at = this.#where.get(param);
    if (!at)
      throw new Error(`Float64Forward.lossWith: the tensor ${param.toString()} is not a parameter of this net's layers (their params())`);
    const out = this.#scratch.subarray(0, this.#acts[at.layer + 1].length);
    out.set(this.#acts[at.layer + 1]);
    this.#layers[at.layer].perturb!(this.#acts[at.layer], out, this.rows, at.part, index, delta);
    let h: Float64Array = out;
    let decay = this.#decay;
    if (at.part === 'W') {
      const w = param.data[index];
      decay += 0.5 * this.#lambda * ((w + delta) * (w + delta) - w * w);
    }
    let crossedKink = false;
    for (let l = at.layer + 1; l < this.#layers.length; l++) {
      h = this.#layers[l].forward(h, this.rows);
      crossedKink ||= this.#layers[l].choseDifferently();
    }
    return { loss: softmaxXent64(h, this.rows, this.#classes, this.#targets, this.#labels) + decay, crossedKink };
  }
}

/** A layer's forward in float64. Outputs are the layer's own buffers, overwritten by the next call. */
interface F64Layer {
  /** One sample's output shape. */
  readonly outputShape: number[];
  forward(x: Float64Array, rows: number): Float64Array;
  /** Keeps the non-differentiable choices of the last forward as the reference (no-op if none). */
  remember(): void;
  /** True when the last forward chose differently from the remembered one. */
  choseDifferently(): boolean;
  /**
   * Layers with parameters: adds to `out` (a copy of the unperturbed output, for `input`) the
   * change from element `index` of parameter `part` ('W', 'gamma', …) moving by `delta`.
   */
  perturb?(input: Float64Array, out: Float64Array, rows: number, part: string, index: number, delta: number): void;
}

/** How to make the float64 twin of a layer of one type, whose input sample has shape `input`. */
interface F64Entry<L extends Layer> {
  twin(layer: L, input: number[], at: { where: string; name: string }): F64Layer;
}

/** The float64 twin of every layer type: a new layer type needs its entry here (tsc says so). */
const FLOAT64: { readonly [K in LayerType]: F64Entry<LayerOf<K>> } = {
  Affine: {
    twin: (layer, input, at) => {
      const features = input.reduce((a, d) => a * d, 1);
      if (features !== layer.W.shape[0])
        throw new Error(
          `${at.where}: layer '${at.name}' (Affine) expects ${layer.W.shape[0]} features per row, but its input has shape ${formatShape(input)} per row`,
        );
      return new F64Affine(layer);
    },
  },
  Convolution: {
    twin: (layer, input, at) =>
      new F64Convolution(layer, imageWindow(layer, input, at, layer.W.shape[1], layer.W.shape[2], layer.W.shape[3])),
  },
  Pooling: { twin: (layer, input, at) => new F64MaxPool(imageWindow(layer, input, at, null, layer.poolH, layer.poolW)) },
  Relu: { twin: (_layer, input) => new F64Relu(input) },
  Sigmoid: { twin: (_layer, input) => new F64Sigmoid(input) },
  BatchNormalization: { twin: (layer, input) => new F64BatchNorm(layer, input) },
  Dropout: { twin: (layer, input) => new F64Dropout(layer, input) },
};

/** The float64 twin of a layer whose input sample has shape `input`. */
function toF64(where: string, name: string, layer: Layer, input: number[]): F64Layer {
  const entry = entryOf<F64Entry<Layer>>(FLOAT64, layer);
  if (!entry) {
    const kind = (layer as object)?.constructor?.name ?? typeof layer;
    throw new Error(`${where}: layer '${name}' (${kind}) has no float64 forward; the check supports ${typeList(FLOAT64)} layers`);
  }
  return entry.twin(layer, input, { where, name });
}

/** The window of a Convolution or Pooling over one sample [C, H, W] (`channels` when the layer requires a count); it must fit. */
function imageWindow(
  layer: Convolution | Pooling,
  input: number[],
  at: { where: string; name: string },
  channels: number | null,
  fh: number,
  fw: number,
): Window {
  const [c, h, w] = input;
  const fits = input.length === 3 && (channels === null || c === channels) && windowFits({ h, w, fh, fw, pad: layer.pad });
  if (!fits)
    throw new Error(
      `${at.where}: layer '${at.name}' (${layer.constructor.name}) cannot take an input of shape ${formatShape(input)} per sample`,
    );
  return { n: 1, c, h, w, fh, fw, stride: layer.stride, pad: layer.pad };
}

/** A layer without non-differentiable choices. */
abstract class F64Smooth implements F64Layer {
  abstract readonly outputShape: number[];
  abstract forward(x: Float64Array, rows: number): Float64Array;
  remember(): void {}
  choseDifferently(): boolean {
    return false;
  }
}

/**
 * BatchNormalization with the batch statistics of its input (training mode, also before any
 * forward, as `gradient` runs it) or with the running statistics (after a test-mode forward).
 */
class F64BatchNorm extends F64Smooth {
  readonly outputShape: number[];
  readonly #gamma: Float64Array;
  readonly #beta: Float64Array;
  readonly #train: boolean;
  readonly #runningMean: Float64Array;
  readonly #runningVar: Float64Array;
  #out = new Float64Array(0);
  constructor(layer: BatchNormalization, input: number[]) {
    super();
    this.outputShape = input;
    this.#gamma = Float64Array.from(layer.gamma.data);
    this.#beta = Float64Array.from(layer.beta.data);
    this.#train = layer.lastTrain !== false;
    this.#runningMean = Float64Array.from(layer.runningMean.data);
    this.#runningVar = Float64Array.from(layer.runningVar.data);
  }
  forward(x: Float64Array, rows: number): Float64Array {
    const cols = this.#gamma.length;
    if (this.#out.length !== x.length) this.#out = new Float64Array(x.length);
    const out = this.#out;
    for (let j = 0; j < cols; j++) {
      let mean = this.#runningMean[j],
        variance = this.#runningVar[j];
      if (this.#train) {
        mean = 0;
        for (let r = 0; r < rows; r++) mean += x[r * cols + j] / rows;
        variance = 0;
        for (let r = 0; r < rows; r++) variance += (x[r * cols + j] - mean) ** 2 / rows;
      }
      const std = Math.sqrt(variance + BATCH_NORM_EPS);
      for (let r = 0; r < rows; r++) out[r * cols + j] = (this.#gamma[j] * (x[r * cols + j] - mean)) / std + this.#beta[j];
    }
    return out;
  }
  /** The forward with γ[index] or β[index] changed by delta (restored afterwards), from the cached input. */
  perturb(input: Float64Array, out: Float64Array, rows: number, part: string, index: number, delta: number): void {
    const values = part === 'gamma' ? this.#gamma : this.#beta;
    const original = values[index];
    values[index] = original + delta;
    try {
      out.set(this.forward(input, rows));
    } finally {
      values[index] = original;
    }
  }
}

/** Dropout with the mask of the layer's last training forward, or x·(1 − ratio) after a test-mode one. */
class F64Dropout extends F64Smooth {
  readonly outputShape: number[];
  readonly #mask: Float64Array | null;
  readonly #keep: number;
  #out = new Float64Array(0);
  constructor(layer: Dropout, input: number[]) {
    super();
    this.outputShape = input;
    this.#mask = layer.lastTrain && layer.mask ? Float64Array.from(layer.mask.data) : null;
    this.#keep = 1 - layer.ratio;
  }
  forward(x: Float64Array): Float64Array {
    if (this.#mask && this.#mask.length !== x.length)
      throw new Error(
        `gradientCheck: a Dropout mask of ${this.#mask.length} elements cannot apply to ${x.length}; run the net's gradient on the same batch first`,
      );
    if (this.#out.length !== x.length) this.#out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) this.#out[i] = x[i] * (this.#mask ? this.#mask[i] : this.#keep);
    return this.#out;
  }
}

class F64Affine implements F64Layer {
  readonly inputs: number;
  readonly outputs: number;
  readonly outputShape: number[];
  readonly #W: Float64Array;
  readonly #b: Float64Array;
  #out = new Float64Array(0);
  constructor(layer: Affine) {
    [this.inputs, this.outputs] = layer.W.shape;
    this.outputShape = [this.outputs];
    this.#W = Float64Array.from(layer.W.data);
    this.#b = Float64Array.from(layer.b.data);
  }
  /** `out` (the unperturbed output) += the change from W[i, j] or b[j] moving by delta. */
  perturb(input: Float64Array, out: Float64Array, rows: number, part: string, index: number, delta: number): void {
    const n = this.outputs;
    if (part === 'b') {
      for (let r = 0; r < rows; r++) out[r * n + index] += delta;
    } else {
      const i = Math.floor(index / n),
        j = index % n,
        k = this.inputs;
      for (let r = 0; r < rows; r++) out[r * n + j] += delta * input[r * k + i];
    }
  }
  forward(x: Float64Array, rows: number): Float64Array {
    const { inputs: k, outputs: n } = this;
    if (this.#out.length !== rows * n) this.#out = new Float64Array(rows * n);
    const out = this.#out;
    for (let r = 0; r < rows; r++) {
      out.set(this.#b, r * n);
      for (let p = 0; p < k; p++) {
        const xp = x[r * k + p];
        if (xp === 0) continue;
        for (let j = 0; j < n; j++) out[r * n + j] += xp * this.#W[p * n + j];
      }
    }
    return out;
  }
  remember(): void {}
  choseDifferently(): boolean {
    return false;
  }
}

/**
 * Convolution by its definition: out[n, f, oy, ox] = b[f] + Σ W[f, c, i, j]·x[n, c, oy·s + i − pad, ox·s + j − pad],
 * pixels outside the input being 0.
 */
class F64Convolution implements F64Layer {
  readonly outputShape: number[];
  readonly #W: Float64Array;
  readonly #b: Float64Array;
  readonly #g: Window;
  readonly #filters: number;
  #out = new Float64Array(0);
  constructor(layer: Convolution, g: Window) {
    this.#g = g;
    this.#filters = layer.W.shape[0];
    const { oh, ow } = outputSize(g);
    this.outputShape = [this.#filters, oh, ow];
    this.#W = Float64Array.from(layer.W.data);
    this.#b = Float64Array.from(layer.b.data);
  }
  forward(x: Float64Array, rows: number): Float64Array {
    const g = this.#g,
      F = this.#filters,
      { oh, ow } = outputSize(g);
    if (this.#out.length !== rows * F * oh * ow) this.#out = new Float64Array(rows * F * oh * ow);
    for (let n = 0; n < rows; n++) {
      for (let f = 0; f < F; f++) {
        for (let q = 0; q < oh * ow; q++) {
          let s = this.#b[f];
          for (let k = 0; k < g.c * g.fh * g.fw; k++) s += this.#W[f * g.c * g.fh * g.fw + k] * this.#pixel(x, n, k, q);
          this.#out[(n * F + f) * oh * ow + q] = s;
        }
      }
    }
    return this.#out;
  }
  /** The input pixel that filter element k = (c, i, j) meets at output position q of sample n (0 on padding). */
  #pixel(x: Float64Array, n: number, k: number, q: number): number {
    const g = this.#g,
      { ow } = outputSize(g);
    const c = Math.floor(k / (g.fh * g.fw)),
      i = Math.floor(k / g.fw) % g.fh,
      j = k % g.fw;
    const y = Math.floor(q / ow) * g.stride + i - g.pad,
      xx = (q % ow) * g.stride + j - g.pad;
    return y >= 0 && y < g.h && xx >= 0 && xx < g.w ? x[((n * g.c + c) * g.h + y) * g.w + xx] : 0;
  }
  perturb(input: Float64Array, out: Float64Array, rows: number, part: string, index: number, delta: number): void {
    const g = this.#g,
      { oh, ow } = outputSize(g),
      k = g.c * g.fh * g.fw;
    const f = part === 'b' ? index : Math.floor(index / k);
    for (let n = 0; n < rows; n++) {
      const o = (n * this.#filters + f) * oh * ow;
      for (let q = 0; q < oh * ow; q++) out[o + q] += part === 'b' ? delta : delta * this.#pixel(input, n, index % k, q);
    }
  }
  remember(): void {}
  choseDifferently(): boolean {
    return false;
  }
}

/** Max pooling: its choice per window is which input wins (the first maximum or first NaN, as the kernels; padding reads 0). */
class F64MaxPool implements F64Layer {
  readonly outputShape: number[];
  readonly #g: Window;
  #out = new Float64Array(0);
  #choice = new Int32Array(0);
  #reference = new Int32Array(0);
  #changed = false;
  constructor(g: Window) {
    this.#g = g;
    const { oh, ow } = outputSize(g);
    this.outputShape = [g.c, oh, ow];
  }
  forward(x: Float64Array, rows: number): Float64Array {
    const g = this.#g,
      { oh, ow } = outputSize(g);
    const size = rows * g.c * oh * ow;
    if (this.#out.length !== size) [this.#out, this.#choice] = [new Float64Array(size), new Int32Array(size)];
    const ref = this.#reference.length === size ? this.#reference : null;
    let changed = false,
      o = 0;
    for (let plane = 0; plane < rows * g.c; plane++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++, o++) {
          let best = -Infinity,
            at = 0;
          for (let k = 0; k < g.fh * g.fw; k++) {
            const y = oy * g.stride + Math.floor(k / g.fw) - g.pad,
              xx = ox * g.stride + (k % g.fw) - g.pad;
            const v = y >= 0 && y < g.h && xx >= 0 && xx < g.w ? x[(plane * g.h + y) * g.w + xx] : 0;
            if (k === 0 || poolBeats(v, best)) [best, at] = [v, k];
          }
          this.#out[o] = best;
          this.#choice[o] = at;
          if (ref && ref[o] !== at) changed = true;
        }
      }
    }
    this.#changed = changed;
    return this.#out;
  }
  remember(): void {
    this.#reference = this.#choice.slice();
  }
  choseDifferently(): boolean {
    return this.#changed;
  }
}

/** ReLU: its choice per element is block (the book's mask x ≤ 0) or pass (NaN passes), as the kernels. */
class F64Relu implements F64Layer {
  constructor(readonly outputShape: number[]) {}
  #out = new Float64Array(0);
  #mask = new Uint8Array(0);
  #reference = new Uint8Array(0);
  #changed = false;
  forward(x: Float64Array): Float64Array {
    if (this.#out.length !== x.length) [this.#out, this.#mask] = [new Float64Array(x.length), new Uint8Array(x.length)];
    const ref = this.#reference.length === x.length ? this.#reference : null;
    let changed = false;
    for (let i = 0; i < x.length; i++) {
      const pass = reluBlocks(x[i]) ? 0 : 1;
      this.#out[i] = pass ? x[i] : 0;
      this.#mask[i] = pass;
      if (ref && ref[i] !== pass) changed = true;
    }
    this.#changed = changed;
    return this.#out;
  }
  remember(): void {
    this.#reference = this.#mask.slice();
  }
  choseDifferently(): boolean {
    return this.#changed;
  }
}

class F64Sigmoid implements F64Layer {
  constructor(readonly outputShape: number[]) {}
  #out = new Float64Array(0);
  forward(x: Float64Array): Float64Array {
    if (this.#out.length !== x.length) this.#out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) this.#out[i] = 1 / (1 + Math.exp(-x[i]));
    return this.#out;
  }
  remember(): void {}
  choseDifferently(): boolean {
    return false;
  }
}

/** Mean cross-entropy of softmax(scores) against labels or one-hot rows, as a log-softmax in float64. */
function softmaxXent64(scores: Float64Array, rows: number, classes: number, t: Float64Array, labels: boolean): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const s = r * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, scores[s + j]);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(scores[s + j] - max);
    const logZ = max + Math.log(sum);
    if (labels) total += logZ - scores[s + t[r]];
    else for (let j = 0; j < classes; j++) if (t[s + j] !== 0) total -= t[s + j] * (scores[s + j] - logZ);
  }
  return rows > 0 ? total / rows : 0;
}
