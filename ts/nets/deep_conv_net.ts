import { checkBackend, type Backend } from '../core/backend.js';
import { describeValue } from '../core/checks.js';
import { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { outputSize, windowFits } from '../core/window.js';
import { Affine } from '../layers/affine.js';
import { Convolution } from '../layers/convolution.js';
import { Dropout } from '../layers/dropout.js';
import type { Layer } from '../layers/layer.js';
import { Pooling } from '../layers/pooling.js';
import { Relu } from '../layers/relu.js';
import { initFilters, initStd, initWeights, type WeightInit } from '../training/init.js';
import { Sequential } from './sequential.js';

/** One convolution of a DeepConvNet, as the book's `conv_param_N` dictionaries. */
export interface ConvParam {
  filterNum: number;
  filterSize: number;
  pad: number;
  stride: number;
}

/**
 * The book's six `conv_param_1` … `conv_param_6` defaults: 3×3 filters, 16, 16, 32, 32, 64, 64
 * of them, pad 1 (which keeps the size) except pad 2 on the fourth (14×14 → 16×16, so that the
 * three poolings end at 4×4), stride 1.
 */
export const DEEP_CONV_PARAMS: readonly Readonly<ConvParam>[] = Object.freeze(
  [16, 16, 32, 32, 64, 64].map((filterNum, i) => Object.freeze({ filterNum, filterSize: 3, pad: i === 3 ? 2 : 1, stride: 1 })),
);

export interface DeepConvNetOptions {
  /** [channels, height, width] of one input (default [1, 28, 28]). */
  inputDim?: readonly [number, number, number];
  /**
   * The six convolutions, each merged over the book's default at its position (so
   * `[{}, {}, {}, { pad: 1 }, {}, {}]` changes only conv 4): see `DEEP_CONV_PARAMS`.
   */
  convParams?: readonly Partial<ConvParam>[];
  /** Units of the hidden Affine layer (default 50). */
  hiddenSize?: number;
  /** Classes (default 10). */
  outputSize?: number;
  /** Ratio of both Dropout layers (default 0.5, the book's). */
  dropoutRatio?: number;
  /** Weight init (default 'he', √(2 / fan-in) per layer as the book's deep_convnet), 'xavier' or a std. */
  weightInitStd?: WeightInit;
  /** Seed of the weights and of the Dropout masks (default 42). */
  seed?: number;
}

/**
 * The book's DeepConvNet (§8.1), which reaches 99.38 % on MNIST in the book:
 *
 *     conv → relu → conv → relu → pool → conv → relu → conv → relu → pool →
 *     conv → relu → conv → relu → pool → affine → relu → dropout → affine → dropout → softmax
 *
 * Pools are 2×2 with stride 2. Its params are W1…W6 / b1…b6 (the filters, [FN, C, FH, FW]),
 * W7 / b7 (flattened features → hidden) and W8 / b8 (hidden → classes), numbered as the book's.
 * Everything else (predict, loss, accuracy, gradient, train-mode Dropout) is Sequential's.
 */
export class DeepConvNet extends Sequential {
  /** [channels, height, width] of one input: `predict` takes x of shape [N, ...inputDim]. */
  readonly inputDim: readonly [number, number, number];
  /** The six convolutions as built (defaults merged). */
  readonly convParams: readonly Readonly<ConvParam>[];

  constructor(backend: Backend, options: DeepConvNetOptions = {}) {
    const where = 'new DeepConvNet';
    checkBackend(where, backend);
    if (typeof options !== 'object' || options === null) throw new Error(`${where}: expected options, got ${describeValue(options)}`);
    const inputDim = options.inputDim ?? [1, 28, 28];
    if (!Array.isArray(inputDim) || inputDim.length !== 3)
      throw new Error(`${where}: expected inputDim [channels, height, width], got ${describeValue(inputDim)}`);
    const { hiddenSize = 50, outputSize: classes = 10, dropoutRatio = 0.5 } = options;
    const [channels, height, width] = inputDim;
    for (const [name, v] of Object.entries({ channels, height, width, hiddenSize, outputSize: classes }))
      if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: expected ${name} to be a positive integer, got ${describeValue(v)}`);
    Dropout.checkRatio(`${where}: dropoutRatio`, dropoutRatio);
    const convs = mergeConvParams(where, options.convParams);
    const { shapes, features } = convShapes(where, channels, height, width, convs);
    const init = options.weightInitStd ?? 'he';
    initStd(init, 1); // refuses a bad init before anything is allocated
    const rng = new Random(options.seed ?? 42);
    const made: Tensor[] = [];
    const keep = <T extends Tensor>(t: T): T => {
      made.push(t);
      return t;
    };
    try {
      const layers: [string, Layer][] = [];
      for (const [i, conv] of convs.entries()) {
        const W = keep(initFilters(backend, shapes[i], init, rng));
        const b = keep(backend.zeros([conv.filterNum]));
        layers.push([`Conv${i + 1}`, new Convolution(W, b, { stride: conv.stride, pad: conv.pad })], [`Relu${i + 1}`, new Relu()]);
        if (i % 2 === 1) layers.push([`Pool${(i + 1) / 2}`, new Pooling(2, 2, { stride: 2 })]);
      }
      const W7 = keep(initWeights(backend, features, hiddenSize, init, rng));
      const W8 = keep(initWeights(backend, hiddenSize, classes, init, rng));
      // the masks' seeds come after the weights, so the weights are those of the seed whatever the ratio
      const dropout = () => new Dropout({ ratio: dropoutRatio, seed: rng.int(2 ** 32) });
      layers.push(
        ['Affine1', new Affine(W7, keep(backend.zeros([hiddenSize])))],
        ['Relu7', new Relu()],
        ['Dropout1', dropout()],
        ['Affine2', new Affine(W8, keep(backend.zeros([classes])))],
        ['Dropout2', dropout()],
      );
      super(layers);
    } catch (e) {
      for (const t of made) t.dispose();
      throw e;
    }
    this.inputDim = Object.freeze([channels, height, width] as const);
    this.convParams = convs;
  }
}

/** The six convolutions: each given entry over the book's default at its position, checked. */
function mergeConvParams(where: string, given: readonly Partial<ConvParam>[] | undefined): Readonly<ConvParam>[] {
  if (given === undefined) return [...DEEP_CONV_PARAMS];
  if (!Array.isArray(given) || given.length !== DEEP_CONV_PARAMS.length)
    throw new Error(
      `${where}: expected convParams to be ${DEEP_CONV_PARAMS.length} objects (one per convolution), got ${describeValue(given)}`,
    );
  return given.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null)
      throw new Error(`${where}: expected convParams[${i}] to be an object such as { pad: 1 }, got ${describeValue(entry)}`);
    const conv = Object.freeze({ ...DEEP_CONV_PARAMS[i], ...entry });
    for (const key of ['filterNum', 'filterSize', 'stride'] as const)
      if (!Number.isInteger(conv[key]) || conv[key] < 1)
        throw new Error(`${where}: expected convParams[${i}].${key} to be a positive integer, got ${describeValue(conv[key])}`);
    if (!Number.isInteger(conv.pad) || conv.pad < 0)
      throw new Error(`${where}: expected convParams[${i}].pad to be an integer ≥ 0, got ${describeValue(conv.pad)}`);
    return conv;
  });
}

/**
 * The filter shape of each convolution and the feature count after the last pooling (64·4·4 on
 * MNIST), following a sample through conv, conv, pool three times; a size that does not fit is
 * named with the layer it fails at.
 */
function convShapes(
  where: string,
  channels: number,
  height: number,
  width: number,
  convs: readonly Readonly<ConvParam>[],
): { shapes: [number, number, number, number][]; features: number } {
  let [c, h, w] = [channels, height, width];
  const shapes: [number, number, number, number][] = [];
  for (const [i, { filterNum, filterSize, pad, stride }] of convs.entries()) {
    const window = { n: 1, c, h, w, fh: filterSize, fw: filterSize, stride, pad };
    if (!windowFits(window))
      throw new Error(`${where}: conv ${i + 1}'s ${filterSize}×${filterSize} filter with pad ${pad} does not fit its ${h}×${w} input`);
    shapes.push([filterNum, c, filterSize, filterSize]);
    ({ oh: h, ow: w } = outputSize(window));
    c = filterNum;
    if (i % 2 === 1) {
      if (h < 2 || w < 2) throw new Error(`${where}: conv ${i + 1}'s output ${h}×${w} is too small for the 2×2 pooling after it`);
      [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
    }
  }
  return { shapes, features: c * h * w };
}
