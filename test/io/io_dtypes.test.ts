import { describe, expect, it } from 'vitest';
import { toFloat32, type SafetensorsEntry } from '../../ts/index.js';

// F16 and BF16 weights are widened to f32 exactly. Every finite bit pattern of both is checked
// against an independent decoder (F16 by moving its bits into an f32's, renormalising
// subnormals; BF16 by its arithmetic definition), plus named values: zeros, the smallest and
// largest subnormals, the smallest normal, the largest finite. Infinities and NaN are refused.

/** An entry of little-endian 16-bit words of `dtype`. */
function entry(dtype: 'F16' | 'BF16', words: ArrayLike<number>): SafetensorsEntry {
  const bytes = new Uint8Array(2 * words.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < words.length; i++) view.setUint16(2 * i, words[i], true);
  return { name: 'w', dtype, shape: [words.length], bytes, fileOffset: 100 };
}

/** binary16 → the bits of the equal binary32, by bit manipulation (not the library's arithmetic). */
function halfBitsToFloat(h: number): number {
  const sign = (h & 0x8000) << 16;
  let exponent = (h >> 10) & 0x1f;
  let fraction = h & 0x3ff;
  let bits: number;
  if (exponent === 0x1f) bits = sign | 0x7f800000 | (fraction << 13);
  else if (exponent === 0 && fraction === 0) bits = sign;
  else {
    if (exponent === 0) {
      // subnormal: shift the fraction up until its leading 1 is the implicit bit
      exponent = 1;
      while (!(fraction & 0x400)) {
        fraction <<= 1;
        exponent--;
      }
      fraction &= 0x3ff;
    }
    bits = sign | ((exponent - 15 + 127) << 23) | (fraction << 13);
  }
  return new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0];
}

/** bfloat16 → number by its definition: 1 sign, 8 exponent (bias 127), 7 fraction bits. */
function bfloatByDefinition(b: number): number {
  const sign = b & 0x8000 ? -1 : 1;
  const exponent = (b >> 7) & 0xff;
  const fraction = b & 0x7f;
  if (exponent === 0xff) return fraction ? NaN : sign * Infinity;
  if (exponent === 0) return sign * (fraction / 128) * 2 ** -126;
  return sign * (1 + fraction / 128) * 2 ** (exponent - 127);
}

const FORMATS = {
  F16: { decode: halfBitsToFloat, exponentMask: 0x7c00 },
  BF16: { decode: bfloatByDefinition, exponentMask: 0x7f80 },
} as const;

describe.each(['F16', 'BF16'] as const)('%s → f32', (dtype) => {
  const { decode, exponentMask } = FORMATS[dtype];

  it('every finite bit pattern equals the independent decoder, bit for bit (signed zeros and subnormals included)', () => {
    const words = Array.from({ length: 0x10000 }, (_, i) => i).filter((w) => (w & exponentMask) !== exponentMask);
    const got = toFloat32(entry(dtype, words));
    for (let i = 0; i < words.length; i++) {
      const want = decode(words[i]);
      if (!Object.is(got[i], Math.fround(want)) || Math.fround(want) !== want) {
        expect.fail(`${dtype} 0x${words[i].toString(16).padStart(4, '0')}: got ${got[i]}, want ${want}`);
      }
    }
  });

  it('named values: ±0, the smallest and largest subnormal, the smallest normal, 1, the largest finite', () => {
    const named = {
      F16: [
        [0x0000, 0],
        [0x8000, -0],
        [0x0001, 2 ** -24],
        [0x8001, -(2 ** -24)],
        [0x03ff, 1023 * 2 ** -24],
        [0x0400, 2 ** -14],
        [0x3c00, 1],
        [0x7bff, 65504],
        [0xfbff, -65504],
      ],
      BF16: [
        [0x0000, 0],
        [0x8000, -0],
        [0x0001, 2 ** -133],
        [0x007f, 127 * 2 ** -133],
        [0x0080, 2 ** -126],
        [0x3f80, 1],
        [0x7f7f, (2 - 2 ** -7) * 2 ** 127],
        [0xff7f, -(2 - 2 ** -7) * 2 ** 127],
      ],
    }[dtype];
    const got = toFloat32(
      entry(
        dtype,
        named.map(([w]) => w),
      ),
    );
    named.forEach(([word, want], i) => expect(Object.is(got[i], want), `0x${word.toString(16)}: got ${got[i]}, want ${want}`).toBe(true));
  });

  it('refuses +Inf, −Inf and NaN, naming the element and its file byte', () => {
    const specials = { F16: [0x7c00, 0xfc00, 0x7e00, 0x7c01], BF16: [0x7f80, 0xff80, 0x7fc0, 0x7f81] }[dtype];
    const names = ['Infinity', '-Infinity', 'NaN', 'NaN'];
    specials.forEach((word, k) => {
      expect(() => toFloat32(entry(dtype, [0x3c00, word]))).toThrow(
        `safetensors: tensor 'w' element 1 (file byte 102) is ${names[k]}; weights must be finite`,
      );
    });
  });
});
