/** IEEE 754 binary16 from a JS number, rounding to nearest even (the scales of Q8_0 / Q4_0 blocks). */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function floatToHalf(value: number): number {
  f32[0] = value;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (((bits >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // inf / NaN
  if (exponent >= 31) return sign | 0x7c00; // overflow to infinity
  if (exponent <= 0) {
    if (exponent < -10) return sign; // too small: signed zero
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    const half = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    const rounded = remainder > midpoint || (remainder === midpoint && (half & 1)) ? half + 1 : half;
    return sign | rounded;
  }
  const half = (exponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  const rounded = remainder > 0x1000 || (remainder === 0x1000 && (half & 1)) ? half + 1 : half;
  return sign | rounded; // a carry into the exponent is the correct rounding
}

export function halfToFloat(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
