/** Textbook references in f64, written for obviousness, not speed: they pin the TS oracle. */

/** C = op(A)·op(B) with op = transpose where the form says so; A, B row-major. */
export function naiveGemm(
  form: 'nn' | 'nt' | 'tn',
  m: number,
  k: number,
  n: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const aip = form === 'tn' ? a[p * m + i] : a[i * k + p];
        const bpj = form === 'nt' ? b[j * k + p] : b[p * n + j];
        s += aip * bpj;
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Softmax per row and mean cross-entropy, straight from the definitions (f64). */
export function naiveSoftmaxXent(
  rows: number,
  cols: number,
  x: ArrayLike<number>,
  t: ArrayLike<number>,
  labels: boolean,
): { y: Float64Array; loss: number } {
  const y = new Float64Array(rows * cols);
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[i * cols + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[i * cols + j] - max);
    for (let j = 0; j < cols; j++) {
      y[i * cols + j] = Math.exp(x[i * cols + j] - max) / sum;
      const tij = labels ? (t[i] === j ? 1 : 0) : t[i * cols + j];
      if (tij !== 0) loss -= tij * Math.log(y[i * cols + j]);
    }
  }
  return { y, loss: rows ? loss / rows : 0 };
}

/** im2col by the book's definition: col[(img, oy, ox), (ch, fy, fx)] = x[img, ch, oy·s + fy − pad, ox·s + fx − pad], 0 outside. */
export function naiveIm2col(
  n: number,
  c: number,
  h: number,
  w: number,
  fh: number,
  fw: number,
  stride: number,
  pad: number,
  x: ArrayLike<number>,
): number[] {
  const oh = Math.floor((h + 2 * pad - fh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - fw) / stride) + 1;
  const col: number[] = [];
  for (let img = 0; img < n; img++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++)
          for (let fy = 0; fy < fh; fy++)
            for (let fx = 0; fx < fw; fx++) {
              const [y, xx] = [oy * stride + fy - pad, ox * stride + fx - pad];
              col.push(y >= 0 && y < h && xx >= 0 && xx < w ? x[((img * c + ch) * h + y) * w + xx] : 0);
            }
  return col;
}
