import type { Tensor } from './tensor.js';

/**
 * Central-difference gradient of `f` with respect to every element of `param` (the book's
 * `numerical_gradient`): (f(w + h) − f(w − h)) / 2h, one element at a time, restoring each value.
 * In f32, w ± h is rounded, so the divisor is the step actually taken, not 2h.
 */
export function numericalGradient(f: () => number, param: Tensor, h = 1e-3): Float32Array {
  if (!(h > 0)) throw new Error(`numericalGradient: expected a step h > 0, got ${h}`);
  const grad = new Float32Array(param.size);
  const step = new Float32Array(2);
  for (let i = 0; i < param.size; i++) {
    const original = param.data[i];
    step[0] = original + h;
    step[1] = original - h;
    param.data[i] = step[0];
    const up = f();
    param.data[i] = step[1];
    const down = f();
    param.data[i] = original;
    grad[i] = (up - down) / (step[0] - step[1]);
  }
  return grad;
}

/** How backprop and numerical gradients of one parameter compare. */
export interface GradientComparison {
  /** max |backprop − numerical| */
  maxAbsDiff: number;
  /** mean |backprop − numerical| (the figure the book's gradient_check.py prints) */
  meanAbsDiff: number;
  /** ‖backprop − numerical‖ / (‖backprop‖ + ‖numerical‖): 0 is perfect, 1 is unrelated. */
  relativeError: number;
  ok: boolean;
}

export interface GradientCheckOptions {
  /** Finite-difference step (default 1e-3: small steps drown in f32 rounding of the loss). */
  h?: number;
  /** Largest relative error that passes (default 1e-2, which f32 backprop meets easily). */
  tolerance?: number;
}

export interface GradientCheckable {
  readonly params: Record<string, Tensor>;
  gradient(x: Tensor, t: Tensor): Record<string, Tensor>;
  loss(x: Tensor, t: Tensor): number;
}

/**
 * The book's gradient check (§5.7.3): compares the backprop gradient of every parameter with
 * the numerical one on a (small) batch. Returns one comparison per parameter key and `ok` when
 * all pass.
 */
export function gradientCheck(
  net: GradientCheckable,
  x: Tensor,
  t: Tensor,
  options: GradientCheckOptions = {},
): { ok: boolean; params: Record<string, GradientComparison> } {
  const h = options.h ?? 1e-3;
  const tolerance = options.tolerance ?? 1e-2;
  const backprop = Object.fromEntries(Object.entries(net.gradient(x, t)).map(([key, g]) => [key, g.toArray()]));
  const params: Record<string, GradientComparison> = {};
  for (const [key, param] of Object.entries(net.params)) {
    const numerical = numericalGradient(() => net.loss(x, t), param, h);
    params[key] = compareGradients(backprop[key], numerical, tolerance);
  }
  return { ok: Object.values(params).every((c) => c.ok), params };
}

export function compareGradients(a: Float32Array, b: Float32Array, tolerance: number): GradientComparison {
  let maxAbsDiff = 0, sumAbsDiff = 0, diff2 = 0, a2 = 0, b2 = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    maxAbsDiff = Math.max(maxAbsDiff, d);
    sumAbsDiff += d;
    diff2 += d * d;
    a2 += a[i] * a[i];
    b2 += b[i] * b[i];
  }
  const norms = Math.sqrt(a2) + Math.sqrt(b2);
  const relativeError = norms > 0 ? Math.sqrt(diff2) / norms : 0;
  return { maxAbsDiff, meanAbsDiff: a.length ? sumAbsDiff / a.length : 0, relativeError, ok: relativeError <= tolerance };
}
