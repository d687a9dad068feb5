import { checkBackend, type Backend } from '../core/backend.js';
import { describeValue } from '../core/checks.js';
import { initFilters, initStd, initWeights, type WeightInit } from '../training/init.js';
import { Affine } from '../layers/affine.js';
import { Convolution } from '../layers/convolution.js';
import { Pooling } from '../layers/pooling.js';
import { Relu } from '../layers/relu.js';
import { Sequential } from './sequential.js';
import { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { outputSize, windowFits } from '../core/window.js';

export interface SimpleConvNetOptions {
  /** [channels, height, width] of one input (default [1, 28, 28]). */
  inputDim?: readonly [number, number, number];
  /** Number of 5×5 (filterSize) filters of the convolution (default 30). */
  filterNum?: number;
  filterSize?: number;
  pad?: number;
  stride?: number;
  hiddenSize?: number;
  outputSize?: number;
  /** The book's `weight_init_std` (default 0.01), or 'he' / 'xavier' (per layer, from its fan-in). */
  weightInitStd?: WeightInit;
  /** Seed of the initialisation (default 42). */
  seed?: number;
}

/**
 * The book's SimpleConvNet (§7.5): Conv1 → Relu1 → Pool1 (2×2, stride 2) → Affine1 → Relu2 →
 * Affine2 → SoftmaxWithLoss. Its params are W1/b1 (the filters, [filterNum, C, filterSize,
 * filterSize]), W2/b2 and W3/b3; `predict`, `loss`, `accuracy`, `gradient` and
 * `numericalGradient` are Sequential's.
 */
export class SimpleConvNet extends Sequential {
  /** [channels, height, width] of one input: `predict` takes x of shape [N, ...inputDim]. */
  readonly inputDim: readonly [number, number, number];

  constructor(backend: Backend, options: SimpleConvNetOptions = {}) {
    const where = 'new SimpleConvNet';
    checkBackend(where, backend);
    if (typeof options !== 'object' || options === null) throw new Error(`${where}: expected options, got ${describeValue(options)}`);
    const [channels, height, width] = options.inputDim ?? [1, 28, 28];
    const { filterNum = 30, filterSize = 5, pad = 0, stride = 1, hiddenSize = 100, outputSize: classes = 10 } = options;
    const sizes = { channels, height, width, filterNum, filterSize, hiddenSize, outputSize: classes, stride };
    for (const [name, v] of Object.entries(sizes)) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: expected ${name} to be a positive integer, got ${describeValue(v)}`);
    }
    if (!Number.isInteger(pad) || pad < 0) throw new Error(`${where}: expected pad to be an integer ≥ 0, got ${describeValue(pad)}`);
    const conv = { n: 1, c: channels, h: height, w: width, fh: filterSize, fw: filterSize, stride, pad };
    if (!windowFits(conv)) {
      throw new Error(`${where}: a ${filterSize}×${filterSize} filter with pad ${pad} does not fit a ${height}×${width} input`);
    }
    const { oh, ow } = outputSize(conv);
    if (oh < 2 || ow < 2) throw new Error(`${where}: the convolution output ${oh}×${ow} is too small for the 2×2 pooling`);
    const pooled = filterNum * Math.floor(oh / 2) * Math.floor(ow / 2);
    const init = options.weightInitStd ?? 0.01;
    initStd(init, 1); // refuses a bad init before anything is allocated
    const rng = new Random(options.seed ?? 42);
    const made: Tensor[] = [];
    try {
      const W1 = initFilters(backend, [filterNum, channels, filterSize, filterSize], init, rng);
      made.push(W1);
      const W2 = initWeights(backend, pooled, hiddenSize, init, rng);
      made.push(W2);
      const W3 = initWeights(backend, hiddenSize, classes, init, rng);
      made.push(W3);
      const [b1, b2, b3] = [filterNum, hiddenSize, classes].map((d) => backend.zeros([d]));
      super([
        ['Conv1', new Convolution(W1, b1, { stride, pad })],
        ['Relu1', new Relu()],
        ['Pool1', new Pooling(2, 2, { stride: 2 })],
        ['Affine1', new Affine(W2, b2)],
        ['Relu2', new Relu()],
        ['Affine2', new Affine(W3, b3)],
      ]);
    } catch (e) {
      for (const t of made) t.dispose();
      throw e;
    }
    this.inputDim = Object.freeze([channels, height, width] as const);
  }
}
