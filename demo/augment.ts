/**
 * Data augmentation for the MNIST trainer: each training image is moved (and, with `rotate` or
 * `scale`, turned and resized) at random every time it is drawn, so a net that fits the 8,000
 * training digits keeps seeing new ones. What moves in from outside is 0, the background.
 */
import { IMAGE_SIDE } from './mnist_format.js';

/** Copies a 28×28 image moved by whole (dx, dy) pixels; what moves in from outside is 0 (background). */
export function shiftImage(src: Float32Array, from: number, dst: Float32Array, to: number, dx: number, dy: number): void {
  const side = IMAGE_SIDE;
  for (let y = 0; y < side; y++) {
    const sy = y - dy;
    const row = to + y * side;
    if (sy < 0 || sy >= side) {
      dst.fill(0, row, row + side);
      continue;
    }
    for (let x = 0; x < side; x++) {
      const sx = x - dx;
      dst[row + x] = sx >= 0 && sx < side ? src[from + sy * side + sx] : 0;
    }
  }
}

/** An affine move of an image about its centre: turned by `angle` radians, resized by `scale`, then moved by (dx, dy) pixels. */
export interface Warp {
  angle: number;
  scale: number;
  dx: number;
  dy: number;
}

/**
 * Copies a 28×28 image warped by `warp`: each target pixel samples the source, bilinearly, at the
 * point the inverse warp takes it to (0 outside the image).
 */
export function warpImage(src: Float32Array, from: number, dst: Float32Array, to: number, warp: Warp): void {
  const side = IMAGE_SIDE;
  const centre = (side - 1) / 2;
  const cos = Math.cos(warp.angle) / warp.scale;
  const sin = Math.sin(warp.angle) / warp.scale;
  const at = (x: number, y: number) => (x >= 0 && x < side && y >= 0 && y < side ? src[from + y * side + x] : 0);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const u = x - centre - warp.dx;
      const v = y - centre - warp.dy;
      const sx = cos * u + sin * v + centre;
      const sy = -sin * u + cos * v + centre;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      dst[to + y * side + x] =
        (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
    }
  }
}
