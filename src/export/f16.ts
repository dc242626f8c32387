// IEEE 754 binary16 conversion for GGUF F16 tensors. Node 20 has no Float16Array, so the bits are computed
// by hand: round to nearest, ties to even (what numpy's astype(float16) does, and so what
// convert_hf_to_gguf.py writes), overflow to ±Inf, gradual underflow to subnormals, NaN kept as a quiet NaN.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern nearest to `x` (taken as float32 first). */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const man = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0); // Inf, or a quiet NaN
  const e = exp - 127 + 15; // the binary16 biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // too large: Inf
  if (e <= 0) {
    // Subnormal (or zero) in binary16: value = m * 2^-24 with m < 1024. Shift the 24-bit significand
    // (implicit 1 included) right and round half to even on the bits shifted out.
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const sig = man | 0x800000;
    const shift = 14 - e; // 14..24
    const half = 1 << (shift - 1);
    const rest = sig & ((1 << shift) - 1);
    let m = sig >>> shift;
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m; // m may round up to 0x400, which is the smallest normal: still correct bits
  }
  // Normal: keep 10 of the 23 mantissa bits, round half to even; a carry bumps the exponent (maybe to Inf).
  let h = (e << 10) | (man >>> 13);
  const rest = man & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** The float value of a binary16 bit pattern (exact). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 0x1f) return man ? NaN : sign * Infinity;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

/** Convert a float32 array to binary16 bits. */
export function toF16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f32ToF16Bits(src[i]!);
  return out;
}
