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

/** A value as an error message shows what was found: a number as itself (`2`, `NaN`), anything else described (`a string ("fast")`). */
export function valueText(v: unknown): string {
  return typeof v === 'number' ? String(v) : describeValue(v);
}

/** Throws unless `d` is an integer in [0, 2³¹ − 1]. */
export function checkDimension(where: string, name: string, d: unknown): void {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_DIMENSION) {
    throw new Error(
      `${where}: expected ${name} to be an integer from 0 to ${MAX_DIMENSION}, got ${typeof d === 'number' ? d : describeValue(d)}`,
    );
  }
}

/** Throws unless `value` is a plain object (not null, not an array). */
export function checkObject(where: string, name: string, value: unknown, example: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected ${name} to be an object such as ${example}, got ${describeValue(value)}`);
  }
}

/** The parts of a tensor the kernel checks read (ts/core/tensor.ts imports this module, so no import back). */
interface CheckedTensor {
  readonly backend: { readonly name: string };
  readonly disposed: boolean;
  readonly size: number;
  readonly shape: readonly number[];
  readonly storage: unknown;
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Throws unless `t` belongs to `backend`, is live and holds `size` elements (`expected` says which). */
export function checkKernelTensor(
  where: string,
  backend: { readonly name: string },
  name: string,
  t: CheckedTensor,
  size: number,
  expected: string,
): void {
  if (t.backend !== backend) {
    throw new Error(
      `${where}: ${name} belongs to backend '${t.backend.name}', not to this '${backend.name}' backend instance; tensors cannot be mixed across backends`,
    );
  }
  if (t.disposed) throw new Error(`${where}: ${name} (shape ${shapeText(t.shape)}) was disposed`);
  if (t.size !== size) {
    throw new Error(
      `${where}: expected ${name} to hold ${expected} = ${size} elements, got shape ${shapeText(t.shape)} (${t.size} elements)`,
    );
  }
}

/** Throws if the non-empty output `o` shares storage with `other` (an input, or an output checked before it). */
export function checkDistinct(where: string, o: CheckedTensor, other: CheckedTensor, otherIs: string): void {
  if (o.size > 0 && o.storage === other.storage) {
    throw new Error(
      `${where}: the output must not share memory with ${otherIs} (an output of shape ${shapeText(o.shape)} and ${otherIs} of shape ${shapeText(other.shape)} use the same storage)`,
    );
  }
}

/** Throws unless every label is an integer class index in [0, classes). */
export function checkLabels(where: string, labels: Float32Array, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!(Number.isInteger(v) && v >= 0 && v < classes)) {
      throw new Error(`${where}: expected class indices (integers in 0..${classes - 1}), found ${v} at row ${i}`);
    }
  }
}

/** Throws unless every value is a finite number (the scalar layers' inputs). */
export function checkNumbers(where: string, values: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: expected ${name} to be a finite number, got ${String(v)}`);
  }
}

/**
 * The index of the first element of `values` that is below 0 or NaN, or −1. Variances and
 * sums of squares (BatchNormalization's running variance, AdaGrad's and RMSprop's h, Adam's v)
 * are never negative: a negative one makes √ of it NaN at the first use.
 */
export function firstNegative(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!(values[i] >= 0)) return i;
  return -1;
}

/** Throws unless every element of `values` is ≥ 0 (`what` says why: "a variance"). */
export function checkNonNegative(where: string, name: string, values: ArrayLike<number>, what: string): void {
  const i = firstNegative(values);
  if (i >= 0) throw new Error(`${where}: expected ${name} to be ≥ 0 everywhere (${what}), got ${values[i]} at element ${i}`);
}
