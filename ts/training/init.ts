import type { Backend } from '../core/backend.js';
import type { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { F32_RANGE, isF32Finite } from '../core/values.js';

/**
 * How to draw initial weights: a fixed standard deviation (the book's `weight_init_std`, 0.01 in
 * TwoLayerNet), `'he'` (√(2 / fan-in), for ReLU) or `'xavier'` (√(1 / fan-in), for sigmoid),
 * as in the book's §6.2.
 */
export type WeightInit = number | 'he' | 'xavier';

export function initStd(init: WeightInit, fanIn: number): number {
  if (init === 'he') return Math.sqrt(2 / Math.max(fanIn, 1));
  if (init === 'xavier') return Math.sqrt(1 / Math.max(fanIn, 1));
  if (typeof init === 'number' && isF32Finite(init) && init >= 0) return init;
  throw new Error(`weight init: expected 'he', 'xavier' or a non-negative standard deviation within ${F32_RANGE}, got ${String(init)}`);
}

/** A [fanIn, fanOut] weight matrix of normal values with the chosen standard deviation. */
export function initWeights(backend: Backend, fanIn: number, fanOut: number, init: WeightInit, rng: Random): Tensor {
  return drawNormal(backend, [fanIn, fanOut], initStd(init, fanIn), rng);
}

/**
 * A filter bank [FN, C, FH, FW] of normal values; its fan-in is C·FH·FW, the inputs one output
 * pixel sums (the book's `pre_node_nums` in deep_convnet.py).
 */
export function initFilters(backend: Backend, shape: readonly [number, number, number, number], init: WeightInit, rng: Random): Tensor {
  return drawNormal(backend, shape, initStd(init, shape[1] * shape[2] * shape[3]), rng);
}

/** A tensor of `std`·N(0, 1) values drawn in storage order; refuses a std that overflows f32. */
function drawNormal(backend: Backend, shape: readonly number[], std: number, rng: Random): Tensor {
  const W = backend.zeros(shape);
  const data = W.data;
  for (let i = 0; i < data.length; i++) {
    const w = std * rng.normal();
    data[i] = w;
    if (!Number.isFinite(data[i])) {
      W.dispose();
      throw new Error(
        `weight init: a standard deviation of ${std} draws the weight ${w} (index ${i}), beyond ${F32_RANGE}; use a smaller one`,
      );
    }
  }
  return W;
}
