import { checkBackend, type Backend } from '../core/backend.js';
import { initWeights } from '../training/init.js';
import { Affine } from '../layers/affine.js';
import { Relu } from '../layers/relu.js';
import { Sequential } from './sequential.js';
import { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';

export interface TwoLayerNetOptions {
  /** Standard deviation of the initial weights (the book's `weight_init_std`, default 0.01). */
  weightInitStd?: number;
  /** Seed of the initialisation (default 42). */
  seed?: number;
}

/**
 * The book's TwoLayerNet (§5.7.2): Affine1 → Relu1 → Affine2 → SoftmaxWithLoss, with W1, b1,
 * W2, b2 drawn as `weight_init_std * randn`, biases zero.
 */
export class TwoLayerNet extends Sequential {
  constructor(backend: Backend, inputSize: number, hiddenSize: number, outputSize: number, options: TwoLayerNetOptions = {}) {
    checkBackend('new TwoLayerNet', backend);
    for (const [name, v] of Object.entries({ inputSize, hiddenSize, outputSize })) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`new TwoLayerNet: expected ${name} to be a positive integer, got ${v}`);
    }
    const std = options.weightInitStd ?? 0.01;
    const rng = new Random(options.seed ?? 42);
    const W1 = initWeights(backend, inputSize, hiddenSize, std, rng);
    let W2: Tensor;
    try {
      W2 = initWeights(backend, hiddenSize, outputSize, std, rng);
    } catch (e) {
      W1.dispose(); // a refused W2 (weights beyond f32) must not leak W1
      throw e;
    }
    super([
      ['Affine1', new Affine(W1, backend.zeros([hiddenSize]))],
      ['Relu1', new Relu()],
      ['Affine2', new Affine(W2, backend.zeros([outputSize]))],
    ]);
  }
}
