import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f16BitsToF32, f32ToF16Bits } from '../../src/export/f16.js';

test('f16 decode: hand-computed values', () => {
  const cases: Array<[number, number]> = [
    [0x0000, 0], [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504],
    [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x0400, 2 ** -14], [0x7c00, Infinity], [0xfc00, -Infinity],
  ];
  for (const [h, x] of cases) assert.equal(f16BitsToF32(h), x, `0x${h.toString(16)}`);
  assert.ok(Number.isNaN(f16BitsToF32(0x7e00)));
});

test('f16 encode: every finite f16 value round-trips exactly (all 63488 patterns)', () => {
  let bad = 0;
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00) continue; // Inf / NaN
    if (f32ToF16Bits(f16BitsToF32(h)) !== h) bad++;
  }
  assert.equal(bad, 0);
});

test('f16 encode: midpoints between neighbours round to the even one, and off-midpoints to the nearest', () => {
  let bad = 0;
  for (let h = 0; h < 0x7bff; h++) {
    const a = f16BitsToF32(h), b = f16BitsToF32(h + 1);
    const mid = (a + b) / 2; // exact in float32: one more bit than f16 carries
    const even = h % 2 === 0 ? h : h + 1;
    if (f32ToF16Bits(mid) !== even) bad++;
    const eps = (b - a) / 8;
    if (f32ToF16Bits(mid - eps) !== h || f32ToF16Bits(mid + eps) !== h + 1) bad++;
    if (f32ToF16Bits(-(mid + eps)) !== ((h + 1) | 0x8000)) bad++;
  }
  assert.equal(bad, 0);
});

test('f16 encode: overflow, underflow and NaN', () => {
  assert.equal(f32ToF16Bits(65519), 0x7bff); // below the midpoint to 2^16
  assert.equal(f32ToF16Bits(65520), 0x7c00); // the midpoint ties to even, which is Inf
  assert.equal(f32ToF16Bits(1e10), 0x7c00);
  assert.equal(f32ToF16Bits(-1e10), 0xfc00);
  assert.equal(f32ToF16Bits(2 ** -25), 0x0000); // half the smallest subnormal ties to 0
  assert.equal(f32ToF16Bits(2 ** -25 * 1.0001), 0x0001);
  assert.equal(f32ToF16Bits(-1e-30), 0x8000);
  assert.equal(f32ToF16Bits(NaN) & 0x7e00, 0x7e00);
});
