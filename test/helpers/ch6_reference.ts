/**
 * Float64 references of the book's chapter-6 layers (common/layers.py), written step by step as
 * the book computes them (xc, var, std, xn; dxn, dxc, dstd, dvar, dmu), so the layers' collapsed
 * formulas are checked against an independent derivation.
 */
import { Random } from '../../ts/index.js';

const EPS = 10e-7; // the book's constant, written as the book writes it

export interface BatchNormRef {
  out: Float64Array;
  xc: Float64Array;
  xn: Float64Array;
  std: Float64Array;
  runningMean: Float64Array;
  runningVar: Float64Array;
}

/** The book's BatchNormalization.__forward on an N×D matrix (train or test mode). */
export function batchNormForwardRef(
  x: ArrayLike<number>,
  N: number,
  D: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  momentum: number,
  train: boolean,
): BatchNormRef {
  const out = new Float64Array(N * D),
    xc = new Float64Array(N * D),
    xn = new Float64Array(N * D),
    std = new Float64Array(D);
  const rm = Float64Array.from(runningMean),
    rv = Float64Array.from(runningVar);
  for (let j = 0; j < D; j++) {
    let mu: number, sd: number;
    if (train) {
      mu = 0;
      for (let i = 0; i < N; i++) mu += x[i * D + j];
      mu /= N;
      let v = 0;
      for (let i = 0; i < N; i++) v += (x[i * D + j] - mu) ** 2;
      v /= N;
      sd = Math.sqrt(v + EPS);
      rm[j] = momentum * rm[j] + (1 - momentum) * mu;
      rv[j] = momentum * rv[j] + (1 - momentum) * v;
    } else {
      mu = runningMean[j];
      sd = Math.sqrt(runningVar[j] + EPS);
    }
    std[j] = sd;
    for (let i = 0; i < N; i++) {
      xc[i * D + j] = x[i * D + j] - mu;
      xn[i * D + j] = xc[i * D + j] / sd;
      out[i * D + j] = gamma[j] * xn[i * D + j] + beta[j];
    }
  }
  return { out, xc, xn, std, runningMean: rm, runningVar: rv };
}

/** The book's BatchNormalization.__backward, node by node. */
export function batchNormBackwardRef(dout: ArrayLike<number>, N: number, D: number, gamma: ArrayLike<number>, f: BatchNormRef) {
  const dbeta = new Float64Array(D),
    dgamma = new Float64Array(D),
    dx = new Float64Array(N * D);
  for (let j = 0; j < D; j++) {
    const dxn = new Float64Array(N),
      dxc = new Float64Array(N);
    let dstd = 0;
    for (let i = 0; i < N; i++) {
      const k = i * D + j;
      dbeta[j] += dout[k];
      dgamma[j] += f.xn[k] * dout[k];
      dxn[i] = gamma[j] * dout[k];
      dxc[i] = dxn[i] / f.std[j];
      dstd -= (dxn[i] * f.xc[k]) / (f.std[j] * f.std[j]);
    }
    const dvar = (0.5 * dstd) / f.std[j];
    let dmu = 0;
    for (let i = 0; i < N; i++) {
      dxc[i] += (2 / N) * f.xc[i * D + j] * dvar;
      dmu += dxc[i];
    }
    for (let i = 0; i < N; i++) dx[i * D + j] = dxc[i] - dmu / N;
  }
  return { dx, dgamma, dbeta };
}

/** The book's Dropout mask (rand > ratio) with `rand` from the same seeded generator as the layer. */
export function dropoutMaskRef(size: number, ratio: number, seed: number): Float64Array {
  const random = new Random(seed);
  const mask = new Float64Array(size);
  for (let i = 0; i < size; i++) mask[i] = random.uniform() > ratio ? 1 : 0;
  return mask;
}

/** max |got − want| / max(|want|, floor): one relative figure for a whole array. */
export function relativeMaxError(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-30): number {
  if (got.length !== want.length) throw new Error(`relativeMaxError: ${got.length} vs ${want.length} elements`);
  let maxDiff = 0,
    maxRef = floor;
  for (let i = 0; i < want.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    if (Number.isNaN(got[i])) return Infinity;
    maxRef = Math.max(maxRef, Math.abs(want[i]));
  }
  return maxDiff === 0 ? 0 : maxDiff / maxRef;
}
