import { checkBackend, type Backend } from '../core/backend.js';
import { checkObject, describeValue } from '../core/checks.js';
import { initWeights, type WeightInit } from '../training/init.js';
import { Affine } from '../layers/affine.js';
import { BatchNormalization } from '../layers/batch_normalization.js';
import { Dropout } from '../layers/dropout.js';
import type { Layer } from '../layers/layer.js';
import { Relu } from '../layers/relu.js';
import { Sigmoid } from '../layers/sigmoid.js';
import { Sequential } from './sequential.js';
import { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';

export interface MultiLayerNetExtendOptions {
  /** Hidden activation (default `'relu'`). */
  activation?: 'relu' | 'sigmoid';
  /**
   * Initial weights' standard deviation: a number, `'relu'`/`'he'` (√(2/fan-in)) or
   * `'sigmoid'`/`'xavier'` (√(1/fan-in)); default `'relu'`, as in the book.
   */
  weightInitStd?: number | 'relu' | 'he' | 'sigmoid' | 'xavier';
  /** Weight decay λ: loss + 0.5·λ·ΣW², dW + λ·W (default 0). */
  weightDecayLambda?: number;
  /** A Dropout after each hidden activation (default false). */
  useDropout?: boolean;
  /** Dropout ratio (default 0.5). */
  dropoutRatio?: number;
  /** A BatchNormalization between each hidden Affine and its activation (default false). */
  useBatchnorm?: boolean;
  /** Seed of the initialisation and of the dropout masks (default 42). */
  seed?: number;
}

/**
 * The book's MultiLayerNetExtend (common/multi_layer_net_extend.py): for each hidden size,
 * Affine → [BatchNorm] → activation → [Dropout], then a last Affine and SoftmaxWithLoss, with
 * weight decay on every W. Layer names and params follow the book: `Affine1`, `BatchNorm1`,
 * `Activation_function1`, `Dropout1`, …; W1, b1, gamma1 (ones), beta1 (zeros), …
 */
export class MultiLayerNetExtend extends Sequential {
  readonly inputSize: number;
  readonly hiddenSizeList: readonly number[];
  readonly outputSize: number;

  constructor(
    backend: Backend,
    inputSize: number,
    hiddenSizeList: readonly number[],
    outputSize: number,
    options: MultiLayerNetExtendOptions = {},
  ) {
    const where = 'new MultiLayerNetExtend';
    checkBackend(where, backend);
    checkObject(where, 'options', options, '{ useBatchnorm: true, weightDecayLambda: 0.1 }');
    if (!Array.isArray(hiddenSizeList))
      throw new Error(`${where}: expected hiddenSizeList to be an array of positive integers, got ${describeValue(hiddenSizeList)}`);
    for (const [name, v] of [
      ['inputSize', inputSize],
      ['outputSize', outputSize],
      ...hiddenSizeList.map((h, i) => [`hiddenSizeList[${i}]`, h] as const),
    ] as const) {
      if (!Number.isInteger(v) || (v as number) <= 0)
        throw new Error(`${where}: expected ${name} to be a positive integer, got ${String(v)}`);
    }
    const {
      activation = 'relu',
      weightInitStd = 'relu',
      weightDecayLambda = 0,
      useDropout = false,
      dropoutRatio = 0.5,
      useBatchnorm = false,
      seed = 42,
    } = options;
    if (activation !== 'relu' && activation !== 'sigmoid')
      throw new Error(`${where}: expected activation 'relu' or 'sigmoid', got ${String(activation)}`);
    const init = bookInit(weightInitStd);
    const rng = new Random(seed);
    const sizes = [inputSize, ...hiddenSizeList, outputSize];
    const layers: [string, Layer][] = [];
    const owned: Tensor[] = [];
    try {
      for (let i = 1; i < sizes.length; i++) {
        const W = initWeights(backend, sizes[i - 1], sizes[i], init, rng);
        owned.push(W);
        const b = backend.zeros([sizes[i]]);
        owned.push(b);
        layers.push([`Affine${i}`, new Affine(W, b)]);
        if (i === sizes.length - 1) break;
        if (useBatchnorm) {
          const gamma = backend.tensor(new Float32Array(sizes[i]).fill(1), [sizes[i]]);
          owned.push(gamma);
          const beta = backend.zeros([sizes[i]]);
          owned.push(beta);
          layers.push([`BatchNorm${i}`, new BatchNormalization(gamma, beta)]);
        }
        layers.push([`Activation_function${i}`, activation === 'relu' ? new Relu() : new Sigmoid()]);
        if (useDropout) layers.push([`Dropout${i}`, new Dropout({ ratio: dropoutRatio, seed: rng.int(2 ** 32) })]);
      }
      super(layers, undefined, { weightDecayLambda });
    } catch (e) {
      // a refused option or weights beyond f32: free what was allocated before throwing
      for (const [, layer] of layers) layer.dispose();
      for (const t of owned) t.dispose();
      throw e;
    }
    this.inputSize = inputSize;
    this.hiddenSizeList = Object.freeze([...hiddenSizeList]);
    this.outputSize = outputSize;
  }
}

function bookInit(std: MultiLayerNetExtendOptions['weightInitStd']): WeightInit {
  if (std === 'relu' || std === 'he') return 'he';
  if (std === 'sigmoid' || std === 'xavier') return 'xavier';
  if (typeof std === 'number') return std;
  throw new Error(
    `new MultiLayerNetExtend: expected weightInitStd to be a number, 'relu', 'he', 'sigmoid' or 'xavier', got ${describeValue(std)}`,
  );
}
