import { formatShape } from './shape.js';

/** Values a tensor can be made from: flat numbers with a shape, or nested arrays. */
export type TensorValues = ArrayLike<number> | NestedArray;
export interface NestedArray extends ReadonlyArray<number | NestedArray> {}

/** The largest finite f32, 3.4028234663852886e38: a tensor element or hyper-parameter beyond it becomes ±Infinity. */
export const F32_MAX = 3.4028234663852886e38;

/** The f32 range as error messages state it. */
export const F32_RANGE = `the f32 range (|x| ≤ ${F32_MAX.toPrecision(8)})`;

/** True when `value` is a number that stays finite once rounded to f32 (the backends' storage). */
export function isF32Finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(Math.fround(value));
}

/** Returns `value` if it is finite in f32, else throws naming `name`, the value and (when it is finite in f64) the f32 range. */
export function checkF32(where: string, name: string, value: number): number {
  if (isF32Finite(value)) return value;
  const why = typeof value === 'number' && Number.isFinite(value) ? `, which is beyond ${F32_RANGE}` : '';
  throw new Error(`${where}: expected a finite ${name}, got ${String(value)}${why}`);
}

/** The shape of nested arrays, `[[1, 2], [3, 4]]` → `[2, 2]`; throws on ragged input. */
export function inferShape(values: TensorValues): number[] {
  const shape: number[] = [];
  let level: unknown = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  if (shape.length === 0) shape.push((values as ArrayLike<number>).length);
  return shape;
}

/** True for `[[...], ...]`. */
export function isNested(values: TensorValues): values is NestedArray {
  return Array.isArray(values) && values.length > 0 && Array.isArray(values[0]);
}

/**
 * Copies nested or flat values into `out` (row-major), checking that nested arrays are not
 * ragged, that the count matches `out.length`, and that every value is a number that stays
 * finite in f32 (1e39 would silently become Infinity).
 */
export function fillFlat(where: string, values: TensorValues, out: Float32Array): void {
  let pos = 0;
  const shape = inferShape(values);
  const visit = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length - 1) {
      const row = v as ArrayLike<unknown>;
      const n = shape[depth];
      if (!Array.isArray(row) || row.length !== n) throw ragged(where, shape, path, n, Array.isArray(row) ? row.length : 'a number');
      for (let i = 0; i < n; i++) {
        const x = row[i];
        if (!isF32Finite(x)) throw notF32(where, x, formatIndex([...path, i]));
        out[pos++] = x;
      }
      return;
    }
    const arr = v as ArrayLike<unknown>;
    if (!Array.isArray(arr) || arr.length !== shape[depth]) {
      throw ragged(where, shape, path, shape[depth], Array.isArray(arr) ? arr.length : 'a number');
    }
    for (let i = 0; i < arr.length; i++) visit(arr[i], depth + 1, [...path, i]);
  };
  if (isNested(values)) {
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== out.length) {
      throw new Error(`${where}: nested values of shape ${formatShape(shape)} hold ${count} numbers, but the tensor needs ${out.length}`);
    }
    visit(values, 0, []);
    return;
  }
  // Flat input: any shape whose size matches.
  const flat = values as ArrayLike<unknown>;
  if (flat.length !== out.length) {
    throw new Error(`${where}: expected ${out.length} values for the shape, got ${flat.length}`);
  }
  for (let i = 0; i < flat.length; i++) {
    const x = flat[i];
    if (!isF32Finite(x)) throw notF32(where, x, String(i));
    out[i] = x;
  }
}

function notF32(where: string, x: unknown, index: string): Error {
  const why = typeof x === 'number' && Number.isFinite(x) ? `, which is beyond ${F32_RANGE} and would become ${Math.fround(x)}` : '';
  return new Error(`${where}: expected finite numbers, found ${String(x)} at index ${index}${why}`);
}

function formatIndex(path: number[]): string {
  return path.map((i) => `[${i}]`).join('');
}

function ragged(where: string, shape: readonly number[], path: number[], expected: number, got: number | string): Error {
  const at = path.length ? `values${formatIndex(path)}` : 'values';
  return new Error(
    `${where}: nested arrays are ragged or do not match shape ${formatShape(shape)}: expected ${at} to have length ${expected}, got ${got}`,
  );
}

/** The index of the largest of `count` values from `start` (the first on ties): a row's predicted class. */
export function argmax(values: ArrayLike<number>, start: number, count: number): number {
  let best = 0;
  for (let j = 1; j < count; j++) if (values[start + j] > values[start + best]) best = j;
  return best;
}
