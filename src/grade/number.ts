// Exact numbers written as literals: integers (leading zeros allowed: AIME's "025" is 25), decimals,
// scientific notation, fractions (`\frac{1}{2}`, `1/2`, `\frac{-3}{4}`) and mixed numbers
// (`1\frac{4}{5}` = 9/5, the MATH convention). Values are BigInt rationals, so 0.1 + 0.2 questions never
// arise and `10^{20}` compares exactly. This is the fast path: no CAS call for the common numeric answer.

/** A rational num/den (den > 0), with how it was written when it was a decimal. */
export interface NumLit {
  num: bigint;
  den: bigint;
  /** For a decimal / scientific literal: the place value of its last written digit is 10^res. */
  res?: number;
  /** For a decimal / scientific literal: significant digits as written. */
  sig?: number;
}

/** Literals longer than this are not read exactly (BigInt cost grows; no real answer is this long). */
const MAX_LITERAL = 80;
/** Largest |exponent| read from scientific notation; beyond it the CAS path (with its guards) decides. */
const MAX_EXP = 400;

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a; b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Reduce to lowest terms with a positive denominator. Throws on a zero denominator (callers guard). */
export function rational(num: bigint, den: bigint): NumLit {
  if (den === 0n) throw new RangeError('zero denominator');
  if (den < 0n) { num = -num; den = -den; }
  const g = gcd(num, den) || 1n;
  return { num: num / g, den: den / g };
}

/** `-12.50e3` and friends: a signed decimal with optional exponent, read exactly. */
function parseDecimal(s: string): NumLit | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:(?:e|E|\\times10\^|\\cdot10\^|\*10\^)\{?([+-]?\d+)\}?)?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const int = m[2]!, frac = m[3] ?? '', exp = m[4] === undefined ? 0 : Number(m[4]);
  if (Math.abs(exp) > MAX_EXP) return null;
  const digits = (int + frac).replace(/^0+/, '');
  let num = BigInt((int + frac) || '0'), den = 10n ** BigInt(frac.length);
  if (exp >= 0) num *= 10n ** BigInt(exp); else den *= 10n ** BigInt(-exp);
  if (m[1] === '-') num = -num;
  const r = rational(num, den);
  const written = m[3] !== undefined || m[4] !== undefined;
  return written ? { ...r, res: exp - frac.length, sig: Math.max(digits.length, 1) } : r;
}

/**
 * Read a normalised answer as an exact number, or null if it is not one literal.
 * Accepts: `25`, `025`, `-3.5`, `0.5`, `2.5e3`, `1.5\times10^{3}`, `\frac{1}{2}`, `-\frac{3}{4}`,
 * `\frac{-3}{4}`, `1/2`, `1\frac{4}{5}`, `-2\frac{1}{3}` (= -7/3), `\frac{0.5}{2}`.
 */
export function parseNumber(text: string): NumLit | null {
  const s = text.replace(/\s+/g, '');
  if (s === '' || s.length > MAX_LITERAL) return null;
  const dec = parseDecimal(s);
  if (dec) return dec;
  const frac = /^([+-]?)(\d*)\\frac\{([+-]?[\d.]+)\}\{([+-]?[\d.]+)\}$/.exec(s) ?? /^([+-]?)()([\d.]+)\/([\d.]+)$/.exec(s);
  if (!frac) return null;
  const a = parseDecimal(frac[3]!), b = parseDecimal(frac[4]!);
  if (!a || !b || b.num === 0n) return null;
  let q = rational(a.num * b.den, a.den * b.num);
  if (frac[2] !== '') q = rational(BigInt(frac[2]!) * q.den + (q.num < 0n ? -q.num : q.num), q.den);
  if (frac[1] === '-') q = { ...q, num: -q.num };
  return q;
}

/** a == b exactly. */
export function exactEqual(a: NumLit, b: NumLit): boolean {
  return a.num * b.den === b.num * a.den;
}

/** The value divided by 100 (for `50\%`), keeping how the decimal was written two places further. */
export function percentOf(a: NumLit): NumLit {
  const r = rational(a.num, a.den * 100n);
  return a.res === undefined ? r : { ...r, res: a.res - 2, sig: a.sig };
}

/**
 * Does decimal literal d stand for value x, rounded or truncated at its last written digit?
 * |d - x| < 10^res, with at least minSig significant digits (so 0.33 is not 1/3, but 0.33333 is).
 */
export function roundsTo(d: NumLit, x: NumLit, minSig: number): boolean {
  if (d.res === undefined || (d.sig ?? 0) < minSig) return false;
  // |dn/dd - xn/xd| < 10^res  ⇔  |dn·xd - xn·dd| · 10^-res < dd·xd   (all BigInt, exact)
  let diff = d.num * x.den - x.num * d.den;
  if (diff < 0n) diff = -diff;
  const scale = 10n ** BigInt(Math.abs(d.res));
  return d.res <= 0 ? diff * scale < d.den * x.den : diff < d.den * x.den * scale;
}

/** Float value (for the CAS path and reporting); exact for |value| < 2^53 integers. */
export function toFloat(a: NumLit): number {
  return Number(a.num) / Number(a.den);
}
