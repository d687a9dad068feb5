import { Float64Forward } from './float64_forward.js';
import type { Sequential } from './net.js';
import type { Tensor } from './tensor.js';

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

/** One element where backprop and the numerical gradient disagree most. */
export interface GradientElement {
  /** Flat (row-major) index into the parameter. */
  index: number;
  backprop: number;
  numerical: number;
}

/** How backprop and numerical gradients of one parameter compare. */
export interface GradientComparison {
  /** max |backprop − numerical| over the compared elements */
  maxAbsDiff: number;
  /** mean |backprop − numerical| (the figure the book's gradient_check.py prints) */
  meanAbsDiff: number;
  /** ‖backprop − numerical‖ / (‖backprop‖ + ‖numerical‖): 0 is perfect, 1 is unrelated (or opposite). */
  relativeError: number;
  ok: boolean;
  /** Elements compared. */
  compared: number;
  /** Elements left out because their ±h step crossed a kink (a ReLU input changing sign). */
  skipped: number;
  /** The elements with the largest |backprop − numerical|, worst first. */
  worst: GradientElement[];
  /**
   * Set by `gradientCheck`: both gradients are ≤ `vanishing` × the norm of the net's whole
   * numerical gradient, i.e. zero up to f32 rounding (a bias feeding a BatchNormalization, whose
   * mean subtraction cancels it), so the relative error compares noise with noise and the
   * parameter passes.
   */
  vanishes?: boolean;
}

export interface GradientCheckOptions {
  /** Finite-difference step (default 1e-4, the book's; the numerical side is float64). */
  h?: number;
  /** Largest relative error that passes, per parameter (default 1e-4). */
  tolerance?: number;
  /** How many of the worst elements to report per parameter (default 3). */
  worst?: number;
  /** Below this fraction of the whole gradient's norm, a parameter's gradient counts as zero (default 1e-6). */
  vanishing?: number;
}

export interface GradientCheckResult {
  ok: boolean;
  params: Record<string, GradientComparison>;
}

/**
 * The book's gradient check (§5.7.3) made trustworthy on real data: compares the backprop
 * gradient of every parameter (the net's own `gradient`, on its backend, in f32) with a
 * numerical one computed from a float64 forward pass of the same layers, by central differences
 * with the book's h = 1e-4. Elements whose ±h step crosses a ReLU kink are skipped and counted
 * (there the central difference is not the gradient). Nothing in the net is changed.
 *
 * Passes when every parameter's relative error is ≤ `tolerance`: backprop in f32 is typically
 * ~1e-6 off; a wrong gradient (scaled by 1.1, a sign, a missing mask) is 1e-2 to 1 off.
 */
export function gradientCheck(net: Sequential, x: Tensor, t: Tensor, options: GradientCheckOptions = {}): GradientCheckResult {
  const h = options.h ?? 1e-4;
  const tolerance = options.tolerance ?? 1e-4;
  const worst = options.worst ?? 3;
  if (!(h > 0 && Number.isFinite(h))) throw new Error(`gradientCheck: expected a step h > 0, got ${h}`);
  if (!(tolerance >= 0)) throw new Error(`gradientCheck: expected a tolerance ≥ 0, got ${tolerance}`);
  const backprop = Object.fromEntries(Object.entries(net.gradient(x, t)).map(([key, g]) => [key, g.toArray()]));
  const numerical = numericalGradient64(net, x, t, h);
  const params: Record<string, GradientComparison> = {};
  let total = 0;
  for (const { grad } of Object.values(numerical)) for (const g of grad) total += g * g;
  const zero = (options.vanishing ?? 1e-6) * Math.sqrt(total);
  for (const [key, { grad, skip }] of Object.entries(numerical)) {
    const c = compareGradients(backprop[key], grad, tolerance, { skip, worst });
    if (!c.ok && norm(backprop[key]) <= zero && norm(grad) <= zero) Object.assign(c, { ok: true, vanishes: true });
    params[key] = c;
  }
  return { ok: Object.values(params).every((c) => c.ok), params };
}

function norm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}

/**
 * The numerical gradient of the net's loss for every parameter, by central differences on a
 * float64 forward pass (`Float64Forward`), and per element whether its ±h step crossed a kink.
 * The net's parameters are only read.
 */
export function numericalGradient64(net: Sequential, x: Tensor, t: Tensor, h = 1e-4): Record<string, { grad: Float64Array; skip: Uint8Array }> {
  const f64 = new Float64Forward('gradientCheck', net, x, t);
  const out: Record<string, { grad: Float64Array; skip: Uint8Array }> = {};
  for (const [key, param] of Object.entries(net.params)) {
    const grad = new Float64Array(param.size);
    const skip = new Uint8Array(param.size);
    for (let i = 0; i < param.size; i++) {
      const up = f64.lossWith(param, i, h);
      const down = f64.lossWith(param, i, -h);
      grad[i] = (up.loss - down.loss) / (2 * h);
      skip[i] = up.crossedKink || down.crossedKink ? 1 : 0;
    }
    out[key] = { grad, skip };
  }
  return out;
}

/**
 * Compares two gradients of the same parameter: max and mean absolute difference and the
 * relative error ‖a − b‖ / (‖a‖ + ‖b‖) over the elements not marked in `skip`, plus the `worst`
 * elements by absolute difference. `[3, 4]` against `[0, 0]` has relative error 1.
 */
export function compareGradients(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tolerance: number,
  { skip, worst = 3 }: { skip?: ArrayLike<number>; worst?: number } = {},
): GradientComparison {
  if (a.length !== b.length) throw new Error(`compareGradients: the gradients hold ${a.length} and ${b.length} elements`);
  let maxAbsDiff = 0, sumAbsDiff = 0, diff2 = 0, a2 = 0, b2 = 0, compared = 0;
  const top: GradientElement[] = [];
  for (let i = 0; i < a.length; i++) {
    if (skip?.[i]) continue;
    compared++;
    const d = Math.abs(a[i] - b[i]);
    maxAbsDiff = Math.max(maxAbsDiff, d);
    sumAbsDiff += d;
    diff2 += d * d;
    a2 += a[i] * a[i];
    b2 += b[i] * b[i];
    if (worst > 0 && (top.length < worst || d > Math.abs(top[top.length - 1].backprop - top[top.length - 1].numerical))) {
      top.push({ index: i, backprop: a[i], numerical: b[i] });
      top.sort((p, q) => Math.abs(q.backprop - q.numerical) - Math.abs(p.backprop - p.numerical));
      if (top.length > worst) top.pop();
    }
  }
  const norms = Math.sqrt(a2) + Math.sqrt(b2);
  const relativeError = norms > 0 ? Math.sqrt(diff2) / norms : Number.isNaN(diff2) ? NaN : 0;
  return {
    maxAbsDiff,
    meanAbsDiff: compared ? sumAbsDiff / compared : 0,
    relativeError,
    ok: relativeError <= tolerance,
    compared,
    skipped: a.length - compared,
    worst: top,
  };
}
