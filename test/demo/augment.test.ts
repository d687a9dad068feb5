import { describe, expect, it } from 'vitest';
import { ElasticField, shiftImage, warpImage } from '../../demo/augment.js';
import { Random } from '../../ts/core/random.js';

describe("shiftImage (the CNN recipes' augmentation)", () => {
  it('moves a 28×28 image by (dx, dy), filling what comes in with 0', () => {
    const src = new Float32Array(28 * 28 + 5).fill(0);
    src[5 + 3 * 28 + 4] = 1; // pixel (x 4, y 3) of the image that starts at offset 5
    src[5 + 27 * 28 + 27] = 2; // the bottom-right corner
    const dst = new Float32Array(2 * 784).fill(9);
    shiftImage(src, 5, dst, 784, 2, -1);
    const img = dst.subarray(784);
    expect(img[2 * 28 + 6]).toBe(1); // now at (6, 2)
    expect(img.reduce((a, v) => a + v, 0)).toBe(1); // the corner moved out; everything else is 0
    expect(dst.subarray(0, 784).every((v) => v === 9)).toBe(true); // nothing written outside the target
    shiftImage(src, 5, dst, 0, 0, 0);
    expect(Array.from(dst.subarray(0, 784))).toEqual(Array.from(src.subarray(5, 789)));
  });
});

describe('warpImage (turn, resize and move, bilinear)', () => {
  const image = () => {
    const src = new Float32Array(784);
    src[3 * 28 + 20] = 1; // (x 20, y 3)
    return src;
  };
  it('is the identity for no warp, and a whole-pixel move equals shiftImage', () => {
    const src = Float32Array.from({ length: 784 }, (_, i) => (i * 7) % 11);
    const dst = new Float32Array(784);
    warpImage(src, 0, dst, 0, { angle: 0, scale: 1, dx: 0, dy: 0 });
    expect(Array.from(dst)).toEqual(Array.from(src));
    const shifted = new Float32Array(784);
    shiftImage(src, 0, shifted, 0, 2, -3);
    warpImage(src, 0, dst, 0, { angle: 0, scale: 1, dx: 2, dy: -3 });
    expect(Array.from(dst)).toEqual(Array.from(shifted));
  });

  it('turns about the centre (13.5, 13.5): a quarter turn takes the pixel (20, 3) to (24, 20)', () => {
    const dst = new Float32Array(784);
    // +90°: (x, y) → centre + R·(p − centre), R = [[0, −1], [1, 0]]: (20, 3) → (24, 20)
    warpImage(image(), 0, dst, 0, { angle: Math.PI / 2, scale: 1, dx: 0, dy: 0 });
    expect(dst[20 * 28 + 24]).toBeCloseTo(1, 6);
    expect(dst.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
  });

  it('resizes about the centre and samples between pixels bilinearly', () => {
    const dst = new Float32Array(784);
    // × 2 about 13.5: the pixel (15, 13) lands around (16.5, 12.5)
    const src = new Float32Array(784);
    src[13 * 28 + 15] = 1;
    warpImage(src, 0, dst, 0, { angle: 0, scale: 2, dx: 0, dy: 0 });
    // the targets (16, 12) and (17, 13) sample the source at (14.75, 12.75) and (15.25, 13.25): 0.75·0.75 of the lit pixel each
    expect(dst[12 * 28 + 16]).toBeCloseTo(0.75 * 0.75, 6);
    expect(dst[13 * 28 + 17]).toBeCloseTo(0.75 * 0.75, 6);
    // half a pixel to the right: two neighbours share the pixel
    warpImage(src, 0, dst, 0, { angle: 0, scale: 1, dx: 0.5, dy: 0 });
    expect([dst[13 * 28 + 15], dst[13 * 28 + 16]]).toEqual([0.5, 0.5]);
    expect(dst.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
  });
});

describe('ElasticField (smooth random displacements)', () => {
  const drawn = (seed: number, rms: number) => {
    const field = new ElasticField();
    const rng = new Random(seed);
    field.draw(rng, rms);
    return field;
  };

  it('displaces pixels by the asked root mean square away from the edges, smoothly, and the same for the same seed', () => {
    let sum = 0;
    let sumSq = 0;
    let n = 0;
    let step = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const f = drawn(seed, 1.5);
      for (let y = 8; y < 20; y++)
        for (let x = 8; x < 20; x++)
          for (const d of [f.dx, f.dy]) {
            sum += d[y * 28 + x];
            sumSq += d[y * 28 + x] ** 2;
            n++;
            step += (d[y * 28 + x + 1] - d[y * 28 + x]) ** 2;
          }
    }
    // no drift one way (noise drawn in 0..1 instead of −1..1 would move every pixel by ~18)
    expect(Math.abs(sum / n)).toBeLessThan(0.5);
    expect(Math.sqrt(sumSq / n)).toBeGreaterThan(1.5 * 0.85);
    expect(Math.sqrt(sumSq / n)).toBeLessThan(1.5 * 1.15);
    // smooth: neighbours move together (σ = 4: steps of about rms/σ; unblurred noise scaled to
    // this size would jump by tens of pixels)
    expect(Math.sqrt(step / n)).toBeLessThan(0.6);
    expect(Array.from(drawn(7, 1).dx)).toEqual(Array.from(drawn(7, 1).dx));
    expect(Array.from(drawn(7, 1).dx)).not.toEqual(Array.from(drawn(8, 1).dx));
  });

  it('bends an image: a field of 0 changes nothing, a field of +1 in x moves it one pixel left', () => {
    const src = Float32Array.from({ length: 784 }, (_, i) => (i * 7) % 11);
    const dst = new Float32Array(784);
    const still = drawn(3, 0);
    const none = { angle: 0, scale: 1, dx: 0, dy: 0 };
    warpImage(src, 0, dst, 0, none, still);
    expect(Array.from(dst)).toEqual(Array.from(src));
    still.dx.fill(1); // each target pixel samples the source one pixel to its right
    warpImage(src, 0, dst, 0, none, still);
    const shifted = new Float32Array(784);
    shiftImage(src, 0, shifted, 0, -1, 0);
    expect(Array.from(dst)).toEqual(Array.from(shifted));
  });
});
