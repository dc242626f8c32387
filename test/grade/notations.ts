// Rewrites of a gold answer into other notations that mean the same thing, and one perturbation that
// does not. Used to grade the benchmark answers against themselves. Each rewrite is a plain string
// transformation written for these tests (not the grader's own normalisation), so the grader is checked
// against an independent description of "same answer".

/** Terminating decimal of p/q (q = 2^a 5^b), or null. */
function decimalOf(p: bigint, q: bigint): string | null {
  let d = q;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  if (d !== 1n) return null;
  const neg = p < 0n;
  if (neg) p = -p;
  let digits = 0;
  while ((p * 10n ** BigInt(digits)) % q !== 0n) digits++;
  const scaled = (p * 10n ** BigInt(digits)) / q;
  const s = scaled.toString().padStart(digits + 1, '0');
  const out = digits === 0 ? s : `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  return (neg ? '-' : '') + out;
}

/** `12345` → `12,345`. */
function withCommas(int: string): string {
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Equivalent notations of gold (each must grade equal). `choices` golds are letters.
 * Rewrites that do not apply to a gold are skipped, so the list varies in length.
 */
export function variants(gold: string, choices = false): string[] {
  if (choices) return [`(${gold})`, `\\text{${gold}}`, `\\textbf{(${gold})}`, gold.toUpperCase()];
  const out = new Set<string>();
  const g = gold.trim();
  out.add(`$${g}$`);
  out.add(` ${g} `);
  // Spacing: a space after each comma, none around binary + and - (not inside commands).
  out.add(g.replace(/,(?!\\!|\d{3}(?!\d))\s*/g, ', ')); // not inside 10,\!080 or 58,500
  out.add(g.replace(/\s*([+=])\s*/g, '$1'));
  out.add(g.replace(/\\[dt]frac/g, '\\frac').replace(/\\frac/g, '\\dfrac'));
  out.add(g.replace(/\\left|\\right/g, ''));
  out.add(g.replace(/^\(/, '\\left(').replace(/\)$/, '\\right)'));
  out.add(g.replace(/\\sqrt\{(\d)\}/g, '\\sqrt$1'));
  out.add(g.replace(/pmatrix/g, 'bmatrix'));
  out.add(g.replace(/\^\\circ/g, '^{\\circ}'));
  out.add(g.replace(/\\text\{\s*([^}]*)\}/g, '$1'));
  out.add(g.replace(/\\\$/g, ''));
  out.add(g.replace(/\\mbox\{[^}]*\}(\^\d)?/g, ''));
  // Numbers: integer forms, fractions as slashes and decimals.
  const int = /^(-?)(\d+)(?:\.0+)?$/.exec(g);
  if (int) {
    out.add(`${int[1]}${int[2]}.0`);
    if (int[1] === '') out.add(`0${int[2]}`);
    if (int[2]!.length > 3) out.add(`${int[1]}${withCommas(int[2]!)}`);
    out.add(`${int[1]}${int[2]}`);
  }
  const frac = /^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$/.exec(g);
  if (frac) {
    const p = BigInt(`${frac[1]}${frac[2]}`), q = BigInt(frac[3]!);
    out.add(`${frac[1]}${frac[2]}/${frac[3]}`);
    out.add(`${frac[1]}\\frac{${frac[2]}}{${frac[3]}}`.replace('-\\frac{', '\\frac{-'));
    const dec = decimalOf(p, q);
    if (dec) out.add(dec);
  }
  // An assignment to a fresh variable, for answers that are single values.
  if (!/[=<>]|\\in|\\le|\\ge|,|\\text|\\begin|_/.test(g) && !/^\\?[a-zA-Z]+$/.test(g)) out.add(`x = ${g}`);
  out.delete(g);
  return [...out];
}

/** A small change that changes the answer: the last digit +1 (not one in a unit like `\mbox{ cm}^2`), or a letter appended. */
export function perturb(gold: string, choices = false): string {
  if (choices) return String.fromCharCode(((gold.charCodeAt(0) - 65 + 1) % 4) + 65);
  const masked = gold.replace(/\\(?:mbox|text)\{[^}]*\}(?:\^\d)?/g, (m) => '_'.repeat(m.length));
  const m = /\d(?!.*\d)/.exec(masked);
  if (m) return gold.slice(0, m.index) + String((Number(m[0]) + 1) % 10) + gold.slice(m.index + 1);
  return gold.replace(/([a-zA-Z])(?![a-zA-Z])(?!.*[a-zA-Z])/, '$1q');
}
