import type { Value } from '../graph/op_info.js';

export interface FormatOptions {
  /** Tensors with at most this many elements show their numbers; larger ones their norm (default 4). */
  preview?: number;
  /** Tensors as their shape only, `(2, 3)`, as the book draws the batched Affine's edges (default false). */
  shapes?: boolean;
}

/**
 * A number as a person writes it: 4 significant digits, no float noise, so 3.3000000000000003
 * prints as 3.3 and 715.0000000000001 as 715 (the book's figures).
 */
export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/**
 * What an edge label shows for a value or a gradient: a number, a small tensor's numbers
 * (`[0.1, -0.2]`), or a larger tensor's shape and L2 norm (`[3, 50] ‖·‖ 1.234`). Empty for a
 * value not computed yet, `–` where no gradient exists (the targets of a loss).
 */
export function formatValue(v: Value | null | undefined, options: FormatOptions = {}): string {
  if (v === undefined) return '';
  if (v === null) return '–';
  if (typeof v === 'number') return formatNumber(v);
  if (options.shapes) return `(${v.shape.join(', ')})`;
  const data = v.data;
  if (v.size <= (options.preview ?? 4)) return `[${Array.from(data, (x) => String(Number(x.toPrecision(3)))).join(', ')}]`;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
  // formatShape's notation, written out: importing ts/core/tensor.ts would bundle its Tensor class here
  return `[${v.shape.join(', ')}] ‖·‖ ${formatNumber(Math.sqrt(sum))}`;
}
