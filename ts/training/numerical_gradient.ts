import type { Tensor } from '../core/tensor.js';

/**
 * Central-difference gradient of `f` with respect to every element of `param` (the book's
 * `numerical_gradient`): (f(w + h) − f(w − h)) / 2h, one element at a time, restoring each value.
 * It runs `f` on the tensor's backend, in f32: w ± h is rounded, so the divisor is the step
 * actually taken, not 2h, and a step much below 1e-3 drowns in the rounding of the loss
 * (`gradientCheck` computes its numerical side in float64 instead).
 */
export function numericalGradient(f: () => number, param: Tensor, h = 1e-3): Float32Array {
  if (!(h > 0)) throw new Error(`numericalGradient: expected a step h > 0, got ${h}`);
  const grad = new Float32Array(param.size);
  const step = new Float32Array(2);
  for (let i = 0; i < param.size; i++) {
    const original = param.data[i];
    step[0] = original + h;
    step[1] = original - h;
    try {
      param.data[i] = step[0];
      const up = f();
      param.data[i] = step[1];
      const down = f();
      grad[i] = (up - down) / (step[0] - step[1]);
    } finally {
      param.data[i] = original; // also when f throws: the parameter is never left shifted
    }
  }
  return grad;
}
