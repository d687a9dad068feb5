import type { Params, Tensor } from '../core/tensor.js';
import { type Float64Net, Float64Forward } from './float64_forward.js';

/** What the gradient check needs of a net (a `Sequential` is one): the float64 forward's view, the parameters and backprop. */
export interface CheckedNet extends Float64Net {
  readonly params: Params;
  gradient(x: Tensor, t: Tensor): Params;
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
  /** Checked (enough elements compared) and the relative error within the tolerance. */
  ok: boolean;
  /**
   * Whether enough of the parameter was compared to judge it (at least `minCompared` of its
   * elements, and at least one). A parameter that is not checked is never ok.
   */
  checked: boolean;
  /** Elements compared. */
  compared: number;
  /** Elements left out: in `gradientCheck`, those whose every difference quotient crossed a kink. */
  skipped: number;
  /**
   * Set by `gradientCheck`: of the compared elements, those at or near a kink (a ReLU input at
   * 0, a max-pool tie), whose ±h step changed a choice of the forward, so their numerical
   * gradient is a one-sided difference on the side backprop's masks describe, or a central one
   * with a smaller step (see `numericalGradient64`).
   */
  nearKink?: number;
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

/** The default largest relative error that passes (pinned by test/training/gradient_check.test.ts). */
export const GRADIENT_CHECK_TOLERANCE = 1e-4;
/** The default least fraction of a parameter's elements that must be compared for it to count as checked. */
export const GRADIENT_CHECK_MIN_COMPARED = 0.9;

export interface GradientCheckOptions {
  /** Finite-difference step (default 1e-4, the book's; the numerical side is float64). */
  h?: number;
  /** Largest relative error that passes, per parameter (default 1e-4). */
  tolerance?: number;
  /** How many of the worst elements to report per parameter (default 3). */
  worst?: number;
  /** Below this fraction of the whole gradient's norm, a parameter's gradient counts as zero (default 1e-6). */
  vanishing?: number;
  /** Least fraction of each parameter's elements that must be compared, or it is not checked (default 0.9). */
  minCompared?: number;
}

export interface GradientCheckResult {
  /** Every parameter checked and within the tolerance. */
  ok: boolean;
  /** Elements compared, over all parameters (of `elements`). */
  compared: number;
  /** Elements of all parameters. */
  elements: number;
  /** One line: how much was compared and, per parameter that is not ok, why. */
  summary: string;
  params: Record<string, GradientComparison>;
}

/**
 * The book's gradient check (§5.7.3) made trustworthy on real data: compares the backprop
 * gradient of every parameter (the net's own `gradient`, on its backend, in f32) with a
 * numerical one computed from a float64 forward pass of the same layers, by central differences
 * with the book's h = 1e-4. Nothing in the net is changed.
 *
 * At a kink (a ReLU input at or within h of 0, a max-pool tie) the central difference is not the
 * gradient, so there the numerical side takes the one-sided difference on the side where the
 * forward makes the choices backprop's masks encode: at a ReLU input of exactly 0 the book's
 * mask `x <= 0` blocks, so that is the left derivative. Only an element whose both sides change
 * a choice is skipped; a parameter with less than `minCompared` of its elements compared is
 * reported as not checked, and is never ok.
 *
 * Passes when every parameter is checked and its relative error is ≤ `tolerance`: backprop in
 * f32 is typically ~1e-6 off; a wrong gradient (scaled by 1.1, a sign, a missing mask) is 1e-2
 * to 1 off.
 */
export function gradientCheck(net: CheckedNet, x: Tensor, t: Tensor, options: GradientCheckOptions = {}): GradientCheckResult {
  const h = options.h ?? 1e-4;
  const tolerance = options.tolerance ?? GRADIENT_CHECK_TOLERANCE;
  const minCompared = options.minCompared ?? GRADIENT_CHECK_MIN_COMPARED;
  const worst = options.worst ?? 3;
  if (!(h > 0 && Number.isFinite(h))) throw new Error(`gradientCheck: expected a step h > 0, got ${h}`);
  if (!(tolerance >= 0)) throw new Error(`gradientCheck: expected a tolerance ≥ 0, got ${tolerance}`);
  if (!(minCompared >= 0 && minCompared <= 1)) throw new Error(`gradientCheck: expected minCompared in [0, 1], got ${minCompared}`);
  const backprop = Object.fromEntries(Object.entries(net.gradient(x, t)).map(([key, g]) => [key, g.toArray()]));
  const numerical = numericalGradient64(net, x, t, h);
  const params: Record<string, GradientComparison> = {};
  let total = 0;
  for (const { grad } of Object.values(numerical)) for (const g of grad) total += g * g;
  const zero = (options.vanishing ?? 1e-6) * Math.sqrt(total);
  for (const [key, { grad, skip, nearKink }] of Object.entries(numerical)) {
    const c = compareGradients(backprop[key], grad, tolerance, { skip, worst, minCompared });
    c.nearKink = nearKink.reduce((n, v) => n + v, 0);
    if (c.checked && !c.ok && norm(backprop[key]) <= zero && norm(grad) <= zero) Object.assign(c, { ok: true, vanishes: true });
    params[key] = c;
  }
  return summarize(params);
}

/** The overall verdict and its one-line summary. */
function summarize(params: Record<string, GradientComparison>): GradientCheckResult {
  const all = Object.values(params);
  const compared = all.reduce((n, c) => n + c.compared, 0);
  const elements = all.reduce((n, c) => n + c.compared + c.skipped, 0);
  const nearKink = all.reduce((n, c) => n + (c.nearKink ?? 0), 0);
  const ok = all.every((c) => c.ok);
  const problems = Object.entries(params)
    .filter(([, c]) => !c.ok)
    .map(([key, c]) =>
      c.checked
        ? `${key} failed (relative error ${c.relativeError.toPrecision(2)})`
        : `${key} not checked (${c.compared} of ${c.compared + c.skipped} elements compared)`,
    );
  const counts = `${compared} of ${elements} elements compared (${nearKink} of them near a kink), ${elements - compared} skipped`;
  return {
    ok,
    compared,
    elements,
    summary: `${ok ? 'ok' : 'not ok'}: ${counts}${problems.length ? `; ${problems.join('; ')}` : ''}`,
    params,
  };
}

function norm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}

/**
 * The numerical gradient of the net's loss for every parameter, on a float64 forward pass
 * (`Float64Forward`): per element the central difference (f(w + h) − f(w − h)) / 2h when neither
 * step changes a choice of the forward (a ReLU's pass or block, a max pool's winner). When one
 * step does, the element sits at or near a kink and the other side is the one backprop's masks
 * describe (at a ReLU input of exactly 0 the mask `x <= 0` blocks: the left side), so it takes
 * the second-order one-sided difference on that side, from f(w), f(w ± h/2) and f(w ± h). When
 * both sides change a choice (a bias moves a whole feature map, some of whose inputs sit at 0 and
 * some just above), it retries with steps h/10, h/100, … down to h·1e-4 (float64 keeps those
 * exact enough). Elements that needed either are marked in `nearKink`; an element whose every
 * step crosses on both sides is marked in `skip`. The net's parameters are only read.
 */
export function numericalGradient64(
  net: CheckedNet,
  x: Tensor,
  t: Tensor,
  h = 1e-4,
): Record<string, { grad: Float64Array; skip: Uint8Array; nearKink: Uint8Array }> {
  const f64 = new Float64Forward('gradientCheck', net, x, t);
  const base = f64.loss();
  const out: Record<string, { grad: Float64Array; skip: Uint8Array; nearKink: Uint8Array }> = {};
  for (const [key, param] of Object.entries(net.params)) {
    const grad = new Float64Array(param.size);
    const skip = new Uint8Array(param.size);
    const nearKink = new Uint8Array(param.size);
    for (let i = 0; i < param.size; i++) {
      const d = derivative(f64, base, param, i, h);
      if (d === null) skip[i] = 1;
      else [grad[i], nearKink[i]] = [d.value, d.nearKink ? 1 : 0];
    }
    out[key] = { grad, skip, nearKink };
  }
  return out;
}

/** How many times `derivative` divides its step by 10 when both sides of an element cross a kink. */
const SMALLER_STEPS = 4;

/** d loss / d param[i] by the difference quotients of `numericalGradient64`, or null if every step crossed a kink on both sides. */
function derivative(f64: Float64Forward, base: number, param: Tensor, i: number, h: number): { value: number; nearKink: boolean } | null {
  for (let tries = 0, step = h; tries <= SMALLER_STEPS; tries++, step /= 10) {
    const up = f64.lossWith(param, i, step);
    const down = f64.lossWith(param, i, -step);
    if (!up.crossedKink && !down.crossedKink) return { value: (up.loss - down.loss) / (2 * step), nearKink: tries > 0 };
    if (up.crossedKink && down.crossedKink) continue;
    const side = up.crossedKink ? -1 : 1;
    const half = f64.lossWith(param, i, (side * step) / 2);
    if (half.crossedKink) continue;
    // f'(0) = (−3 f(0) + 4 f(d) − f(2d)) / 2d + O(d²), with d = side·step/2
    return { value: (side * (4 * half.loss - 3 * base - (side > 0 ? up : down).loss)) / step, nearKink: true };
  }
  return null;
}

/**
 * Compares two gradients of the same parameter: max and mean absolute difference and the
 * relative error ‖a − b‖ / (‖a‖ + ‖b‖) over the elements not marked in `skip`, plus the `worst`
 * elements by absolute difference. `[3, 4]` against `[0, 0]` has relative error 1. It is
 * `checked` when at least one element and at least `minCompared` (a fraction, default 0) of
 * them were compared, and `ok` only when checked: comparing nothing proves nothing.
 */
export function compareGradients(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tolerance: number,
  { skip, worst = 3, minCompared = 0 }: { skip?: ArrayLike<number>; worst?: number; minCompared?: number } = {},
): GradientComparison {
  if (a.length !== b.length) throw new Error(`compareGradients: the gradients hold ${a.length} and ${b.length} elements`);
  let maxAbsDiff = 0,
    sumAbsDiff = 0,
    diff2 = 0,
    a2 = 0,
    b2 = 0,
    compared = 0;
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
  const checked = compared >= Math.max(1, minCompared * a.length);
  return {
    maxAbsDiff,
    meanAbsDiff: compared ? sumAbsDiff / compared : 0,
    relativeError,
    ok: checked && relativeError <= tolerance,
    checked,
    compared,
    skipped: a.length - compared,
    worst: top,
  };
}
