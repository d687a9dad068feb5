/**
 * Which first-layer units the page draws, and what. With He init and a few epochs, a wide first
 * layer's weights are still mostly their random start, so drawing them shows noise; drawing what
 * training changed (W − W0) of the units that changed most shows the strokes they learned.
 */
import { IMAGE_SIZE } from '../mnist_format.js';

/**
 * The `count` units (columns of the 784×hidden matrix `W`) with the largest squared change from
 * `W0`, most changed first, and their changes W − W0 as `count` rows of 784.
 */
export function mostChangedUnits(
  W: ArrayLike<number>,
  W0: ArrayLike<number>,
  hidden: number,
  count: number,
): { units: number[]; weights: Float32Array } {
  const change = new Float64Array(hidden);
  for (let p = 0; p < IMAGE_SIZE; p++) {
    for (let j = 0; j < hidden; j++) {
      const d = W[p * hidden + j] - W0[p * hidden + j];
      change[j] += d * d;
    }
  }
  const units = Array.from({ length: hidden }, (_, j) => j)
    .sort((a, b) => change[b] - change[a] || a - b)
    .slice(0, Math.min(count, hidden));
  const weights = new Float32Array(units.length * IMAGE_SIZE);
  units.forEach((j, k) => {
    for (let p = 0; p < IMAGE_SIZE; p++) weights[k * IMAGE_SIZE + p] = W[p * hidden + j] - W0[p * hidden + j];
  });
  return { units, weights };
}
