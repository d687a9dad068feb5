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

/** The smoothing of an elastic field, in pixels: Simard, Steinkraus and Platt (2003) used 4 on MNIST. */
export const ELASTIC_SIGMA = 4;

/**
 * A smooth random displacement of every pixel (an "elastic distortion", Simard et al. 2003): noise
 * uniform in −1..1 per pixel and axis, blurred by a Gaussian of σ = {@link ELASTIC_SIGMA}, scaled so
 * each displacement has a root mean square of `rms` pixels. Bends strokes the way hands do, which
 * no affine warp can. Buffers are made once: {@link draw} allocates nothing.
 */
export class ElasticField {
  /** Displacement in x and y of each of the 28×28 target pixels, row by row. */
  readonly dx = new Float32Array(IMAGE_SIDE * IMAGE_SIDE);
  readonly dy = new Float32Array(IMAGE_SIDE * IMAGE_SIDE);
  readonly #noise = new Float32Array(IMAGE_SIDE * IMAGE_SIDE);
  readonly #rows = new Float32Array(IMAGE_SIDE * IMAGE_SIDE);
  readonly #kernel: Float32Array;
  /** The RMS of the blurred noise (away from the edges), which `rms` is relative to. */
  readonly #unitRms: number;

  constructor() {
    const radius = 2 * ELASTIC_SIGMA;
    const k = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * ELASTIC_SIGMA ** 2)));
    const sum = k.reduce((a, b) => a + b);
    this.#kernel = Float32Array.from(k, (v) => v / sum);
    // Var(uniform −1..1) = 1/3; a separable blur keeps Σ w² = (Σ k²)² of it.
    const k2 = this.#kernel.reduce((a, w) => a + w * w, 0);
    this.#unitRms = Math.sqrt((k2 * k2) / 3);
  }

  /** Draws a new field from `rng` (its uniform 0..1 values: x's field, then y's), with displacements of `rms` pixels. */
  draw(rng: { uniform(): number }, rms: number): void {
    this.#drawAxis(rng, rms, this.dx);
    this.#drawAxis(rng, rms, this.dy);
  }

  #drawAxis(rng: { uniform(): number }, rms: number, out: Float32Array): void {
    for (let i = 0; i < this.#noise.length; i++) this.#noise[i] = 2 * rng.uniform() - 1;
    this.#blur(this.#noise, this.#rows, 1, IMAGE_SIDE); // along each row
    this.#blur(this.#rows, out, IMAGE_SIDE, 1); // along each column
    const gain = rms / this.#unitRms;
    for (let i = 0; i < out.length; i++) out[i] *= gain;
  }

  /** One pass of the blur: `step` apart along a line, lines `across` apart; 0 beyond the edges. */
  #blur(src: Float32Array, dst: Float32Array, step: number, across: number): void {
    const side = IMAGE_SIDE;
    const k = this.#kernel;
    const radius = (k.length - 1) / 2;
    for (let line = 0; line < side; line++) {
      for (let i = 0; i < side; i++) {
        let acc = 0;
        for (let j = Math.max(0, i - radius); j <= Math.min(side - 1, i + radius); j++)
          acc += k[j - i + radius] * src[line * across + j * step];
        dst[line * across + i * step] = acc;
      }
    }
  }
}

/**
 * Copies a 28×28 image warped by `warp` (and bent by `field`, if given): each target pixel samples
 * the source, bilinearly, at the point the inverse warp takes it to, moved by the field's
 * displacement there (0 outside the image).
 */
export function warpImage(src: Float32Array, from: number, dst: Float32Array, to: number, warp: Warp, field?: ElasticField): void {
  const side = IMAGE_SIDE;
  const centre = (side - 1) / 2;
  const cos = Math.cos(warp.angle) / warp.scale;
  const sin = Math.sin(warp.angle) / warp.scale;
  const at = (x: number, y: number) => (x >= 0 && x < side && y >= 0 && y < side ? src[from + y * side + x] : 0);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const u = x - centre - warp.dx;
      const v = y - centre - warp.dy;
      const sx = cos * u + sin * v + centre + (field ? field.dx[y * side + x] : 0);
      const sy = -sin * u + cos * v + centre + (field ? field.dy[y * side + x] : 0);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      dst[to + y * side + x] =
        (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
    }
  }
}
