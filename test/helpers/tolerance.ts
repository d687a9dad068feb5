/**
 * What the kernel tests compare with, free of any import of the library, so that the browser
 * parity page (test/e2e/kernel_parity.ts) shares it with the vitest suites.
 */

/** m, k, n: empty, one, odd, around SIMD widths and tile sizes, and the MNIST training shapes. */
export const GEMM_SHAPES: readonly (readonly [number, number, number])[] = [
  [0, 0, 0],
  [0, 3, 5],
  [3, 0, 5],
  [3, 5, 0],
  [1, 1, 1],
  [1, 7, 1],
  [2, 3, 4],
  [3, 3, 3],
  [4, 4, 4],
  [5, 7, 9],
  [7, 1, 13],
  [8, 8, 8],
  [9, 17, 5],
  [13, 11, 31],
  [16, 16, 16],
  [17, 33, 15],
  [31, 5, 33],
  [33, 64, 65],
  [64, 1, 64],
  [100, 10, 50],
  [127, 129, 3],
  [100, 784, 50], // Affine1 forward: x·W1
  [784, 100, 50], // Affine1 backward dW1 = xᵀ·dout (TN)
  [100, 50, 784], // Affine1 backward dx = dout·W1ᵀ (NT)
];

/** Max over i of |a − b| / (atol + rtol·|b|); ≤ 1 means within tolerance everywhere. */
export function toleranceRatio(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const r = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    if (Number.isNaN(r)) return Infinity;
    worst = Math.max(worst, r);
  }
  return worst;
}
