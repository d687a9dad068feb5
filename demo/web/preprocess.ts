/**
 * Turns a drawing into an MNIST-like input, the way the MNIST digits were made: crop to the ink,
 * scale the longer side to 20 pixels (keeping the aspect ratio, averaging the source pixels each
 * target pixel covers), then place it in a 28×28 box so that its centre of mass sits at the
 * centre. Pure arrays, so it is testable without a canvas.
 */
import { IMAGE_SIDE, IMAGE_SIZE } from '../mnist_format.js';

const BOX = 20;
const INK = 0.05;

/** `gray`: width×height intensities in [0, 1] (1 = ink). Returns 784 values in [0, 1]. */
export function preprocessDrawing(gray: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(IMAGE_SIZE);
  let x0 = width,
    y0 = height,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (gray[y * width + x] > INK) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return out; // nothing drawn
  const bw = x1 - x0 + 1,
    bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale)),
    th = Math.max(1, Math.round(bh * scale));
  // Box-filter downscale: each target pixel averages the source rectangle it covers.
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const sy0 = y0 + Math.floor(ty / scale),
      sy1 = Math.max(sy0 + 1, y0 + Math.floor((ty + 1) / scale));
    for (let tx = 0; tx < tw; tx++) {
      const sx0 = x0 + Math.floor(tx / scale),
        sx1 = Math.max(sx0 + 1, x0 + Math.floor((tx + 1) / scale));
      let sum = 0,
        n = 0;
      for (let sy = sy0; sy < Math.min(sy1, height); sy++)
        for (let sx = sx0; sx < Math.min(sx1, width); sx++, n++) sum += gray[sy * width + sx];
      small[ty * tw + tx] = n > 0 ? sum / n : 0;
    }
  }
  // Centre of mass → the centre of the 28×28 box.
  let mass = 0,
    cx = 0,
    cy = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  const ox = Math.round(IMAGE_SIDE / 2 - (mass > 0 ? cx / mass : tw / 2) - 0.5);
  const oy = Math.round(IMAGE_SIDE / 2 - (mass > 0 ? cy / mass : th / 2) - 0.5);
  for (let y = 0; y < th; y++) {
    const yy = y + oy;
    if (yy < 0 || yy >= IMAGE_SIDE) continue;
    for (let x = 0; x < tw; x++) {
      const xx = x + ox;
      if (xx >= 0 && xx < IMAGE_SIDE) out[yy * IMAGE_SIDE + xx] = Math.min(1, small[y * tw + x]);
    }
  }
  return out;
}
