import { checkDimension, describeValue } from './checks.js';

/**
 * The geometry of a convolution or pooling window sliding over a batch `x[n, c, h, w]`: a
 * `fh×fw` window moved by `stride`, over the input padded with `pad` zeros on each side.
 */
export interface Window {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly fh: number;
  readonly fw: number;
  readonly stride: number;
  readonly pad: number;
}

/**
 * Positions of a window sweep along one axis, the book's `1 + (H + 2·pad − FH) // stride`: the
 * one copy of the formula in TypeScript (crate/src/window.rs `out_size` is the Rust one).
 */
export function convOutSize(size: number, filter: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - filter) / stride) + 1;
}

/** The output height and width of the sweep. */
export function outputSize(g: Window): { oh: number; ow: number } {
  return { oh: convOutSize(g.h, g.fh, g.stride, g.pad), ow: convOutSize(g.w, g.fw, g.stride, g.pad) };
}

/** Whether a `fh×fw` window fits an `h×w` input padded with `pad` zeros on each side. */
export function windowFits(g: Pick<Window, 'h' | 'w' | 'fh' | 'fw' | 'pad'>): boolean {
  return g.fh <= g.h + 2 * g.pad && g.fw <= g.w + 2 * g.pad;
}

/**
 * Throws unless every field is an integer in range (stride ≥ 1, window ≥ 1×1) and the window fits
 * the padded input: "Convolution.forward: a 5×5 filter with pad 0 does not fit a 4×4 input".
 */
export function checkWindow(where: string, g: Window, what = 'filter'): void {
  for (const key of ['n', 'c', 'h', 'w', 'fh', 'fw', 'stride', 'pad'] as const) checkDimension(where, key, g[key]);
  checkWindowFits(where, g, what);
}

/** `checkWindow` for a window whose fields are known integers (a kernel's checked dimensions). */
export function checkWindowFits(where: string, g: Window, what = 'filter'): void {
  if (g.stride < 1) throw new Error(`${where}: expected stride ≥ 1, got ${g.stride}`);
  if (g.fh < 1 || g.fw < 1) throw new Error(`${where}: expected a ${what} of at least 1×1, got ${g.fh}×${g.fw}`);
  if (!windowFits(g)) throw new Error(`${where}: a ${g.fh}×${g.fw} ${what} with pad ${g.pad} does not fit a ${g.h}×${g.w} input`);
}

/**
 * The `{ stride, pad }` options of a Convolution or Pooling, checked: stride an integer ≥ 1
 * (default 1), pad an integer ≥ 0 (default 0).
 */
export function windowOptions(where: string, options: unknown): { stride: number; pad: number } {
  if (typeof options !== 'object' || options === null)
    throw new Error(`${where}: expected options { stride, pad }, got ${describeValue(options)}`);
  const { stride = 1, pad = 0 } = options as { stride?: unknown; pad?: unknown };
  if (!Number.isInteger(stride) || (stride as number) < 1)
    throw new Error(`${where}: expected stride to be an integer ≥ 1, got ${describeValue(stride)}`);
  if (!Number.isInteger(pad) || (pad as number) < 0)
    throw new Error(`${where}: expected pad to be an integer ≥ 0, got ${describeValue(pad)}`);
  return { stride: stride as number, pad: pad as number };
}
