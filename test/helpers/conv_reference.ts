/**
 * The book's chapter-7 formulas in float64, written independently of both backends: `im2col`
 * and `col2im` with the book's layout (`col` is [N·OH·OW, C·FH·FW]), Convolution as
 * `col · W.reshape(FN, −1)ᵀ + b` then transposed to NCHW, and Pooling as the max over each row of
 * the pooling `col` with numpy's `argmax` (first maximum). The tests compare every backend with these.
 */
export interface Shape4 {
  n: number;
  c: number;
  h: number;
  w: number;
}
export interface Geometry extends Shape4 {
  fh: number;
  fw: number;
  stride: number;
  pad: number;
}

export const outHW = (g: Geometry) => [
  Math.floor((g.h + 2 * g.pad - g.fh) / g.stride) + 1,
  Math.floor((g.w + 2 * g.pad - g.fw) / g.stride) + 1,
];

/** The book's im2col: row (n, oy, ox), column (c, i, j) of the zero-padded input. */
export function im2colBook(g: Geometry, x: ArrayLike<number>): Float64Array {
  const [oh, ow] = outHW(g);
  const cols = g.c * g.fh * g.fw;
  const col = new Float64Array(g.n * oh * ow * cols);
  for (let n = 0; n < g.n; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let c = 0; c < g.c; c++)
          for (let i = 0; i < g.fh; i++)
            for (let j = 0; j < g.fw; j++) {
              const y = oy * g.stride + i - g.pad,
                xx = ox * g.stride + j - g.pad;
              const inside = y >= 0 && y < g.h && xx >= 0 && xx < g.w;
              col[((n * oh + oy) * ow + ox) * cols + (c * g.fh + i) * g.fw + j] = inside ? x[((n * g.c + c) * g.h + y) * g.w + xx] : 0;
            }
  return col;
}

/** The book's col2im: every column entry added back to the pixel it came from (padding dropped). */
export function col2imBook(g: Geometry, col: Float64Array): Float64Array {
  const [oh, ow] = outHW(g);
  const cols = g.c * g.fh * g.fw;
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  for (let n = 0; n < g.n; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let c = 0; c < g.c; c++)
          for (let i = 0; i < g.fh; i++)
            for (let j = 0; j < g.fw; j++) {
              const y = oy * g.stride + i - g.pad,
                xx = ox * g.stride + j - g.pad;
              if (y >= 0 && y < g.h && xx >= 0 && xx < g.w)
                dx[((n * g.c + c) * g.h + y) * g.w + xx] += col[((n * oh + oy) * ow + ox) * cols + (c * g.fh + i) * g.fw + j];
            }
  return dx;
}

/** Convolution forward and backward as the book's `Convolution` class computes them. */
export function convBook(
  g: Geometry,
  filters: number,
  x: ArrayLike<number>,
  W: ArrayLike<number>,
  b: ArrayLike<number>,
  dout: ArrayLike<number>,
) {
  const [oh, ow] = outHW(g);
  const rows = g.n * oh * ow,
    cols = g.c * g.fh * g.fw,
    p = oh * ow;
  const col = im2colBook(g, x);
  const out = new Float64Array(g.n * filters * p);
  // out2d[r, f] = Σ_k col[r, k]·W[f, k] + b[f]; out = out2d.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
  for (let r = 0; r < rows; r++)
    for (let f = 0; f < filters; f++) {
      let s = b[f];
      for (let k = 0; k < cols; k++) s += col[r * cols + k] * W[f * cols + k];
      const n = Math.floor(r / p),
        q = r % p;
      out[(n * filters + f) * p + q] = s;
    }
  // dout2d = dout.transpose(0, 2, 3, 1).reshape(−1, FN); db = Σ rows; dW = (colᵀ·dout2d)ᵀ; dcol = dout2d·W
  const db = new Float64Array(filters),
    dW = new Float64Array(filters * cols),
    dcol = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const n = Math.floor(r / p),
      q = r % p;
    for (let f = 0; f < filters; f++) {
      const d = dout[(n * filters + f) * p + q];
      db[f] += d;
      for (let k = 0; k < cols; k++) {
        dW[f * cols + k] += col[r * cols + k] * d;
        dcol[r * cols + k] += d * W[f * cols + k];
      }
    }
  }
  return { out, dW, db, dx: col2imBook(g, dcol) };
}

/** Max pooling as the book's `Pooling` class: per window the max and numpy's argmax (first maximum). */
export function poolBook(g: Geometry, x: ArrayLike<number>, dout: ArrayLike<number>) {
  const [oh, ow] = outHW(g);
  const win = g.fh * g.fw;
  const chan = { ...g, c: 1 };
  const out = new Float64Array(g.n * g.c * oh * ow);
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  // The book: col = im2col(x).reshape(−1, PH·PW) (rows ordered n, oy, ox, c); one channel at a time here.
  for (let n = 0; n < g.n; n++)
    for (let c = 0; c < g.c; c++) {
      const plane = Array.from({ length: g.h * g.w }, (_, i) => x[(n * g.c + c) * g.h * g.w + i]);
      const col = im2colBook({ ...chan, n: 1 }, plane);
      const dc = new Float64Array(col.length);
      for (let q = 0; q < oh * ow; q++) {
        let arg = 0;
        for (let k = 1; k < win; k++) if (col[q * win + k] > col[q * win + arg]) arg = k;
        const o = (n * g.c + c) * oh * ow + q;
        out[o] = col[q * win + arg];
        dc[q * win + arg] = dout[o];
      }
      const d = col2imBook({ ...chan, n: 1 }, dc);
      dx.set(d, (n * g.c + c) * g.h * g.w);
    }
  return { out, dx };
}
