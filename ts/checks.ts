/**
 * Small argument checks shared by the public entry points (backend kernels, layers, nets,
 * optimizers, graphs). Each throws an `Error` that names the call, what it expected and what it
 * found, so misuse from plain JavaScript never surfaces as a raw `TypeError` from deep inside.
 */

/** The largest dimension a shape, kernel or layer accepts: 2³¹ − 1 (an i32, like the WASM ABI). */
export const MAX_DIMENSION = 2 ** 31 - 1;

/** A short description of any value for an error message: `null`, `an array of length 2`, `a number (3)`, `Object`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'number') return `a number (${v})`;
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object without prototype';
  return typeof v;
}

/** Throws unless `d` is an integer in [0, 2³¹ − 1]. */
export function checkDimension(where: string, name: string, d: unknown): void {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_DIMENSION) {
    throw new Error(`${where}: expected ${name} to be an integer from 0 to ${MAX_DIMENSION}, got ${typeof d === 'number' ? d : describeValue(d)}`);
  }
}

/** Throws unless `value` is a plain object (not null, not an array). */
export function checkObject(where: string, name: string, value: unknown, example: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected ${name} to be an object such as ${example}, got ${describeValue(value)}`);
  }
}
