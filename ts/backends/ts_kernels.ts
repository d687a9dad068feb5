/**
 * The kernel set in plain TypeScript on Float32Arrays: the test oracle and the speed baseline of
 * the WASM backend. These are written to be fast in V8 (row-major inner loops that walk memory
 * contiguously, k unrolled by four, no allocation), because a slow baseline would make the
 * WASM-vs-TS comparison dishonest.
 */

/** C[m×n] = A[m×k] · B[k×n]: i-k-j order, so the inner loop streams a row of B into a row of C. */
export function gemmNN(m: number, k: number, n: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  c.fill(0, 0, m * n);
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    let p = 0;
    for (; p < k4; p += 4) {
      const a0 = a[ai + p], a1 = a[ai + p + 1], a2 = a[ai + p + 2], a3 = a[ai + p + 3];
      const b0 = p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
      }
    }
    for (; p < k; p++) {
      const a0 = a[ai + p];
      const b0 = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += a0 * b[b0 + j];
    }
  }
}

/** C[m×n] = A[m×k] · B[n×k]ᵀ: each entry is a dot product of two contiguous rows. */
export function gemmNT(m: number, k: number, n: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let p = 0;
      for (; p < k4; p += 4) {
        s0 += a[ai + p] * b[bj + p];
        s1 += a[ai + p + 1] * b[bj + p + 1];
        s2 += a[ai + p + 2] * b[bj + p + 2];
        s3 += a[ai + p + 3] * b[bj + p + 3];
      }
      for (; p < k; p++) s0 += a[ai + p] * b[bj + p];
      c[i * n + j] = s0 + s1 + s2 + s3;
    }
  }
}

/** C[m×n] = A[k×m]ᵀ · B[k×n]: p-i-j order, so the inner loop streams rows of B into rows of C. */
export function gemmTN(m: number, k: number, n: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  c.fill(0, 0, m * n);
  const k4 = k - (k % 4);
  let p = 0;
  for (; p < k4; p += 4) {
    const b0 = p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    for (let i = 0; i < m; i++) {
      const a0 = a[p * m + i], a1 = a[(p + 1) * m + i], a2 = a[(p + 2) * m + i], a3 = a[(p + 3) * m + i];
      const ci = i * n;
      for (let j = 0; j < n; j++) {
        c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
      }
    }
  }
  for (; p < k; p++) {
    const b0 = p * n;
    for (let i = 0; i < m; i++) {
      const a0 = a[p * m + i];
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += a0 * b[b0 + j];
    }
  }
}

/** In place: x[i, j] += b[j]. */
export function addBias(rows: number, cols: number, x: Float32Array, b: Float32Array): void {
  for (let i = 0; i < rows; i++) {
    const xi = i * cols;
    for (let j = 0; j < cols; j++) x[xi + j] += b[j];
  }
}

/** out[j] = Σ_i x[i, j]. */
export function colSum(rows: number, cols: number, x: Float32Array, out: Float32Array): void {
  out.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) {
    const xi = i * cols;
    for (let j = 0; j < cols; j++) out[j] += x[xi + j];
  }
}

export function reluForward(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    out[i] = v > 0 ? v : 0;
  }
}

export function reluBackward(y: Float32Array, dout: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < dx.length; i++) dx[i] = y[i] > 0 ? dout[i] : 0;
}

export function sigmoidForward(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
}

export function sigmoidBackward(y: Float32Array, dout: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < dx.length; i++) {
    const v = y[i];
    dx[i] = dout[i] * (1 - v) * v;
  }
}

/**
 * Row-wise softmax of x into y and the mean cross-entropy against t, computed as a
 * log-softmax (x − max − log Σ exp) so it neither overflows nor takes log(0).
 * `labels`: t holds one class index per row; otherwise t is rows×cols.
 */
export function softmaxXent(rows: number, cols: number, x: Float32Array, t: Float32Array, labels: boolean, y: Float32Array): number {
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const xi = i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[xi + j] > max) max = x[xi + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[xi + j] - max);
      y[xi + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < cols; j++) y[xi + j] *= inv;
    const logSum = Math.log(sum);
    if (labels) {
      total -= x[xi + t[i]] - max - logSum;
    } else {
      for (let j = 0; j < cols; j++) {
        const tij = t[xi + j];
        if (tij !== 0) total -= tij * (x[xi + j] - max - logSum);
      }
    }
  }
  return rows > 0 ? total / rows : 0;
}

/** dx = (y − t) / rows. */
export function softmaxXentBackward(rows: number, cols: number, y: Float32Array, t: Float32Array, labels: boolean, dx: Float32Array): void {
  const scale = rows > 0 ? 1 / rows : 0;
  if (labels) {
    for (let i = 0; i < rows * cols; i++) dx[i] = y[i] * scale;
    for (let i = 0; i < rows; i++) {
      const at = i * cols + t[i];
      dx[at] = (y[at] - 1) * scale;
    }
  } else {
    for (let i = 0; i < rows * cols; i++) dx[i] = (y[i] - t[i]) * scale;
  }
}

/** param −= lr · grad. */
export function sgd(lr: number, param: Float32Array, grad: Float32Array): void {
  for (let i = 0; i < param.length; i++) param[i] -= lr * grad[i];
}
