import { convOutSize } from '../core/kernels.js';

/**
 * im2col (chapter 7): the windows of x [n, c, h, w] as the rows of col [n·oh·ow, c·fh·fw], in
 * the book's layout: row (img, oy, ox), column (channel, fy, fx); element
 * x[img, channel, oy·stride + fy − pad, ox·stride + fx − pad], or 0 where that falls in the
 * padding. Each (channel, fy) run of fw values is copied from one row of x, with the padded
 * ends written as zeros, so the inner loop is a straight copy when stride is 1.
 */
export function im2col(
  n: number,
  c: number,
  h: number,
  w: number,
  fh: number,
  fw: number,
  stride: number,
  pad: number,
  x: Float32Array,
  col: Float32Array,
): void {
  const oh = convOutSize(h, fh, stride, pad);
  const ow = convOutSize(w, fw, stride, pad);
  const rowLen = c * fh * fw;
  let r = 0; // the col row being written
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, r++) {
        let o = r * rowLen;
        const x0 = ox * stride - pad;
        for (let ch = 0; ch < c; ch++) {
          const plane = (img * c + ch) * h * w;
          for (let fy = 0; fy < fh; fy++) {
            const y = oy * stride + fy - pad;
            if (y < 0 || y >= h) {
              col.fill(0, o, o + fw);
              o += fw;
              continue;
            }
            const xr = plane + y * w;
            for (let fx = 0; fx < fw; fx++, o++) {
              const xx = x0 + fx;
              col[o] = xx >= 0 && xx < w ? x[xr + xx] : 0;
            }
          }
        }
      }
    }
  }
}
