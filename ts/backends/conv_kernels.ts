/**
 * Convolution and max pooling in plain TypeScript on Float32Arrays (the oracle and baseline of
 * crate/src/conv.rs and crate/src/pool.rs, same layouts and the same order of operations where
 * it matters: see those files). A sample's im2col columns are `[C·FH·FW, OH·OW]`, so the filter
 * GEMM writes the NCHW output directly; padding reads as zeros; max pooling keeps the first
 * maximum of each window and records it as the index `i·PW + j` inside the window.
 */
import { outputSize, type Window } from '../core/window.js';

/** `col[C·FH·FW, OH·OW]` of sample `s` of `x` (written at `col[colAt…]`). */
function im2col(g: Window, x: Float32Array, s: number, col: Float32Array, colAt: number): void {
  const { oh, ow } = outputSize(g);
  const plane = g.h * g.w;
  let r = colAt;
  for (let c = 0; c < g.c; c++) {
    const xc = (s * g.c + c) * plane;
    for (let i = 0; i < g.fh; i++) {
      for (let j = 0; j < g.fw; j++) {
        for (let oy = 0; oy < oh; oy++, r += ow) {
          const y = oy * g.stride + i - g.pad;
          if (y < 0 || y >= g.h) {
            col.fill(0, r, r + ow);
            continue;
          }
          const xr = xc + y * g.w + j - g.pad;
          for (let ox = 0; ox < ow; ox++) {
            const xx = ox * g.stride + j - g.pad;
            col[r + ox] = xx >= 0 && xx < g.w ? x[xr + ox * g.stride] : 0;
          }
        }
      }
    }
  }
}

/** Adds the columns back onto sample `s` of `dx` (the adjoint of `im2col`; dx must be zeroed first). */
function col2imAdd(g: Window, col: Float32Array, dx: Float32Array, s: number): void {
  const { oh, ow } = outputSize(g);
  const plane = g.h * g.w;
  let r = 0;
  for (let c = 0; c < g.c; c++) {
    const dc = (s * g.c + c) * plane;
    for (let i = 0; i < g.fh; i++) {
      for (let j = 0; j < g.fw; j++) {
        for (let oy = 0; oy < oh; oy++, r += ow) {
          const y = oy * g.stride + i - g.pad;
          if (y < 0 || y >= g.h) continue;
          const dr = dc + y * g.w + j - g.pad;
          for (let ox = 0; ox < ow; ox++) {
            const xx = ox * g.stride + j - g.pad;
            if (xx >= 0 && xx < g.w) dx[dr + ox * g.stride] += col[r + ox];
          }
        }
      }
    }
  }
}

/** `col[N, C·FH·FW, OH·OW]` and `out[N, FN, OH·OW] = W·col_n + b`. */
function convForwardIn(
  g: Window,
  filters: number,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  col: Float32Array,
  out: Float32Array,
): void {
  const { oh, ow } = outputSize(g);
  const p = oh * ow,
    k = g.c * g.fh * g.fw;
  for (let s = 0; s < g.n; s++) {
    const cs = s * k * p;
    im2col(g, x, s, col, cs);
    for (let f = 0; f < filters; f++) {
      const o = (s * filters + f) * p;
      out.fill(b[f], o, o + p);
      // i-k-j: stream a column row into the output row
      for (let q = 0; q < k; q++) {
        const wq = w[f * k + q];
        const cr = cs + q * p;
        for (let j = 0; j < p; j++) out[o + j] += wq * col[cr + j];
      }
    }
  }
}

/** dW = Σ_n dout_n·col_nᵀ, db = Σ dout per filter, and dx = col2im(Wᵀ·dout_n) unless dx is null. */
function convBackwardIn(
  g: Window,
  filters: number,
  col: Float32Array,
  w: Float32Array,
  dout: Float32Array,
  dw: Float32Array,
  db: Float32Array,
  dcol: Float32Array | null,
  dx: Float32Array | null,
): void {
  const { oh, ow } = outputSize(g);
  const p = oh * ow,
    k = g.c * g.fh * g.fw;
  dw.fill(0);
  db.fill(0);
  for (let s = 0; s < g.n; s++) {
    for (let f = 0; f < filters; f++) {
      const o = (s * filters + f) * p;
      let sum = 0;
      for (let j = 0; j < p; j++) sum += dout[o + j];
      db[f] += sum;
      for (let q = 0; q < k; q++) {
        const cr = (s * k + q) * p;
        let dot = 0;
        for (let j = 0; j < p; j++) dot += dout[o + j] * col[cr + j];
        dw[f * k + q] += dot;
      }
    }
  }
  if (dx === null || dcol === null) return;
  dx.fill(0);
  for (let s = 0; s < g.n; s++) {
    dcol.fill(0);
    for (let f = 0; f < filters; f++) {
      const o = (s * filters + f) * p;
      for (let q = 0; q < k; q++) {
        const wq = w[f * k + q];
        const r = q * p;
        for (let j = 0; j < p; j++) dcol[r + j] += wq * dout[o + j];
      }
    }
    col2imAdd(g, dcol, dx, s);
  }
}

/**
 * Whether `v` takes over as its window's maximum from `best`, the winner so far: it is larger,
 * or it is the window's first NaN (numpy's max and argmax, which the book pools with, pick the
 * first NaN, so a diverged value propagates; a later NaN does not move argmax).
 */
export function poolBeats(v: number, best: number): boolean {
  return !(v <= best) && !Number.isNaN(best);
}

/** `out` and `argmax` (`[N, C, OH·OW]`): the first maximum of each window (or its first NaN), padding read as 0. */
function maxPoolForwardIn(g: Window, x: Float32Array, out: Float32Array, argmax: Float32Array): void {
  const { oh, ow } = outputSize(g);
  const plane = g.h * g.w;
  let o = 0;
  for (let pc = 0; pc < g.n * g.c; pc++) {
    const xc = pc * plane;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, o++) {
        let best = -Infinity,
          at = 0;
        for (let i = 0; i < g.fh; i++) {
          const y = oy * g.stride + i - g.pad;
          for (let j = 0; j < g.fw; j++) {
            const xx = ox * g.stride + j - g.pad;
            const v = y >= 0 && y < g.h && xx >= 0 && xx < g.w ? x[xc + y * g.w + xx] : 0;
            if ((i === 0 && j === 0) || poolBeats(v, best)) {
              best = v;
              at = i * g.fw + j;
            }
          }
        }
        out[o] = best;
        argmax[o] = at;
      }
    }
  }
}

/** dx: each dout added at the input its window's argmax chose (overwrites dx). */
function maxPoolBackwardIn(g: Window, dout: Float32Array, argmax: Float32Array, dx: Float32Array): void {
  const { oh, ow } = outputSize(g);
  const plane = g.h * g.w;
  dx.fill(0);
  let o = 0;
  for (let pc = 0; pc < g.n * g.c; pc++) {
    const xc = pc * plane;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, o++) {
        const at = argmax[o];
        if (!(at >= 0 && at < g.fh * g.fw)) continue; // not a window index: dropped, as in Rust
        const i = Math.floor(at / g.fw),
          j = Math.floor(at - i * g.fw);
        const y = oy * g.stride + i - g.pad,
          xx = ox * g.stride + j - g.pad;
        if (y >= 0 && y < g.h && xx >= 0 && xx < g.w) dx[xc + y * g.w + xx] += dout[o];
      }
    }
  }
}

/**
 * dW and db of Convolution → ReLU → max pooling from the pooling's output, argmax and dout
 * (crate/src/conv_pool.rs): per filter, over samples, then windows in row-major order, each window's
 * gradient (none where ReLU blocks: the pooled value, its output there, is ≤ 0; a NaN passes) times
 * the input patch its chosen position read.
 */
function convReluPoolBackwardIn(
  g: Window,
  filters: number,
  pool: Window,
  x: Float32Array,
  pooled: Float32Array,
  argmax: Float32Array,
  dout: Float32Array,
  dw: Float32Array,
  db: Float32Array,
): void {
  const { oh: ph, ow: pw } = outputSize(pool);
  const [oh, ow] = [pool.h, pool.w];
  const k = g.c * g.fh * g.fw,
    plane = g.h * g.w,
    window = pool.fh * pool.fw;
  dw.fill(0);
  for (let f = 0; f < filters; f++) {
    let sum = 0;
    for (let n = 0; n < g.n; n++) {
      const row = (n * filters + f) * ph * pw,
        xn = n * g.c * plane;
      for (let q = 0; q < ph * pw; q++) {
        const at = argmax[row + q];
        if (!(at >= 0 && at < window) || pooled[row + q] <= 0) continue; // not a window index (dropped), or ReLU blocks
        const i = Math.floor(at / pool.fw),
          j = Math.floor(at - i * pool.fw);
        const oy = Math.floor(q / pw) * pool.stride + i - pool.pad,
          ox = (q % pw) * pool.stride + j - pool.pad;
        if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue; // padding won: dropped
        const grad = dout[row + q];
        sum += grad;
        for (let c = 0; c < g.c; c++) {
          for (let fy = 0; fy < g.fh; fy++) {
            const y = oy * g.stride + fy - g.pad;
            if (y < 0 || y >= g.h) continue;
            for (let fx = 0; fx < g.fw; fx++) {
              const xx = ox * g.stride + fx - g.pad;
              if (xx >= 0 && xx < g.w) dw[f * k + (c * g.fh + fy) * g.fw + fx] += grad * x[xn + c * plane + y * g.w + xx];
            }
          }
        }
      }
    }
    db[f] = sum;
  }
}

// The contract's raw signatures (ts/core/kernels.ts): the window as eight dimensions.

export function convForward(
  n: number,
  c: number,
  h: number,
  w: number,
  fh: number,
  fw: number,
  stride: number,
  pad: number,
  filters: number,
  x: Float32Array,
  W: Float32Array,
  b: Float32Array,
  col: Float32Array,
  out: Float32Array,
): void {
  convForwardIn({ n, c, h, w, fh, fw, stride, pad }, filters, x, W, b, col, out);
}
export function convBackward(
  n: number,
  c: number,
  h: number,
  w: number,
  fh: number,
  fw: number,
  stride: number,
  pad: number,
  filters: number,
  col: Float32Array,
  W: Float32Array,
  dout: Float32Array,
  dW: Float32Array,
  db: Float32Array,
  dcol: Float32Array | null,
  dx: Float32Array | null,
): void {
  convBackwardIn({ n, c, h, w, fh, fw, stride, pad }, filters, col, W, dout, dW, db, dcol, dx);
}
export function maxPoolForward(
  n: number,
  c: number,
  h: number,
  w: number,
  fh: number,
  fw: number,
  stride: number,
  pad: number,
  x: Float32Array,
  out: Float32Array,
  argmax: Float32Array,
): void {
  maxPoolForwardIn({ n, c, h, w, fh, fw, stride, pad }, x, out, argmax);
}
export function maxPoolBackward(
  n: number,
  c: number,
  h: number,
  w: number,
  fh: number,
  fw: number,
  stride: number,
  pad: number,
  dout: Float32Array,
  argmax: Float32Array,
  dx: Float32Array,
): void {
  maxPoolBackwardIn({ n, c, h, w, fh, fw, stride, pad }, dout, argmax, dx);
}
export function convReluPoolBackward(
  n: number,
  c: number,
  h: number,
  w: number,
  fh: number,
  fw: number,
  stride: number,
  pad: number,
  filters: number,
  poolH: number,
  poolW: number,
  poolStride: number,
  poolPad: number,
  x: Float32Array,
  pooled: Float32Array,
  argmax: Float32Array,
  dout: Float32Array,
  dW: Float32Array,
  db: Float32Array,
): void {
  const g = { n, c, h, w, fh, fw, stride, pad };
  const { oh, ow } = outputSize(g);
  const pool = { n, c: filters, h: oh, w: ow, fh: poolH, fw: poolW, stride: poolStride, pad: poolPad };
  convReluPoolBackwardIn(g, filters, pool, x, pooled, argmax, dout, dW, db);
}
