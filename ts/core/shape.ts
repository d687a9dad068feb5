import { checkDimension, describeValue } from './checks.js';

/** Product of the dimensions; 1 for a scalar shape `[]`. */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** `[100, 784]` → "[100, 784]". */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Whether two shapes are equal, dimension by dimension. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws unless `shape` is an array of integers, each in [0, 2³¹ − 1]. */
export function checkShape(where: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) throw new Error(`${where}: expected a shape (array of dimensions), got ${describeValue(shape)}`);
  for (const [i, d] of shape.entries()) {
    try {
      checkDimension(where, `dimension ${i}`, d);
    } catch {
      throw new Error(`${where}: expected dimensions to be integers from 0 to 2³¹ − 1, got shape ${formatShape(shape)}`);
    }
  }
}
