import { describe, expect, it } from 'vitest';
import { shiftImage } from '../../demo/trainer.js';

describe("shiftImage (the CNN recipe's augmentation)", () => {
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
