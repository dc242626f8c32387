// Complex float64 evaluation of the CAS's canonical MathJSON at a point. Why not the engine's own `.N()`:
// measured on @cortex-js/compute-engine 0.140, `.N()` costs 0.1-2 ms per point after `subs` (the vote
// evaluates each distinct answer at 6 points), it does not always honour its time limit (38 s on
// `9^{9^{9^{9}}}`), and `compile()` fails at run time on some operators (`\binom{x}{2}`). This evaluator
// covers the operators answers use, runs in microseconds, and cannot loop: it visits each node once.
// Conventions follow the engine (and sympy): principal branches, real odd roots of negative numbers for
// `Root`, and real powers of negative bases with integer exponents.

/** [re, im] */
export type C = [number, number];

const I: C = [0, 1];

const add = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]];
const sub = (a: C, b: C): C => [a[0] - b[0], a[1] - b[1]];
const mul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
function div(a: C, b: C): C {
  const d = b[0] * b[0] + b[1] * b[1];
  if (b[1] === 0) return [a[0] / b[0], a[1] / b[0]];
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
}
const real = (x: number): C => [x, 0];
const isReal = (a: C): boolean => a[1] === 0;
function exp(a: C): C {
  const r = Math.exp(a[0]);
  return a[1] === 0 ? [r, 0] : [r * Math.cos(a[1]), r * Math.sin(a[1])];
}
function log(a: C): C {
  if (a[1] === 0 && a[0] > 0) return [Math.log(a[0]), 0];
  return [Math.log(Math.hypot(a[0], a[1])), Math.atan2(a[1], a[0])];
}
function sqrt(a: C): C {
  if (a[1] === 0) return a[0] >= 0 ? [Math.sqrt(a[0]), 0] : [0, Math.sqrt(-a[0])];
  const m = Math.hypot(a[0], a[1]);
  const re = Math.sqrt((m + a[0]) / 2), im = Math.sign(a[1]) * Math.sqrt((m - a[0]) / 2);
  return [re, im];
}
function pow(a: C, b: C): C {
  if (isReal(a) && isReal(b) && (a[0] >= 0 || Number.isInteger(b[0]))) return [Math.pow(a[0], b[0]), 0];
  if (a[0] === 0 && a[1] === 0) return b[0] > 0 ? [0, 0] : [NaN, NaN];
  return exp(mul(b, log(a)));
}
function sin(a: C): C { return [Math.sin(a[0]) * Math.cosh(a[1]), Math.cos(a[0]) * Math.sinh(a[1])]; }
function cos(a: C): C { return [Math.cos(a[0]) * Math.cosh(a[1]), -Math.sin(a[0]) * Math.sinh(a[1])]; }
function sinh(a: C): C { return [Math.sinh(a[0]) * Math.cos(a[1]), Math.cosh(a[0]) * Math.sin(a[1])]; }
function cosh(a: C): C { return [Math.cosh(a[0]) * Math.cos(a[1]), Math.sinh(a[0]) * Math.sin(a[1])]; }
/** asin z = -i ln(iz + sqrt(1 - z²)); real inside [-1, 1]. */
function asin(a: C): C {
  if (isReal(a) && Math.abs(a[0]) <= 1) return [Math.asin(a[0]), 0];
  return mul([0, -1], log(add(mul(I, a), sqrt(sub([1, 0], mul(a, a))))));
}
function acos(a: C): C {
  if (isReal(a) && Math.abs(a[0]) <= 1) return [Math.acos(a[0]), 0];
  return sub([Math.PI / 2, 0], asin(a));
}
/** atan z = (i/2) ln((i + z)/(i - z)). */
function atan(a: C): C {
  if (isReal(a)) return [Math.atan(a[0]), 0];
  return mul([0, 0.5], log(div(add(I, a), sub(I, a))));
}
const inv = (a: C): C => div([1, 0], a);

/** Real integer value of a, or NaN. */
function int(a: C): number {
  return a[1] === 0 && Number.isInteger(a[0]) ? a[0] : NaN;
}

function factorial(n: number): number {
  if (!(n >= 0 && n <= 170)) return NaN;
  let f = 1;
  for (let k = 2; k <= n; k++) f *= k;
  return f;
}

function gcd(a: number, b: number): number {
  a = Math.abs(a); b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

const CONSTANTS: Record<string, C> = {
  Pi: [Math.PI, 0], ExponentialE: [Math.E, 0], ImaginaryUnit: [0, 1], Half: [0.5, 0],
  PositiveInfinity: [Infinity, 0], NegativeInfinity: [-Infinity, 0],
};

type Fn = (args: C[]) => C;
const unary = (f: (a: C) => C): Fn => (xs) => (xs.length === 1 ? f(xs[0]!) : [NaN, NaN]);
const realOnly = (f: (x: number) => number): Fn => unary((a) => (isReal(a) ? real(f(a[0])) : [NaN, NaN]));

const FUNCTIONS: Record<string, Fn> = {
  Add: (xs) => xs.reduce(add, [0, 0]),
  Multiply: (xs) => xs.reduce(mul, [1, 0]),
  Subtract: (xs) => (xs.length === 2 ? sub(xs[0]!, xs[1]!) : xs.length === 1 ? sub([0, 0], xs[0]!) : [NaN, NaN]),
  Negate: unary((a) => [-a[0], -a[1]]),
  Divide: (xs) => (xs.length === 2 ? div(xs[0]!, xs[1]!) : [NaN, NaN]),
  Rational: (xs) => (xs.length === 2 ? div(xs[0]!, xs[1]!) : [NaN, NaN]),
  Complex: (xs) => [xs[0]?.[0] ?? NaN, xs[1]?.[0] ?? 0],
  Power: (xs) => (xs.length === 2 ? pow(xs[0]!, xs[1]!) : [NaN, NaN]),
  Square: unary((a) => mul(a, a)),
  Sqrt: unary(sqrt),
  Root: (xs) => {
    const [a, n] = xs as [C, C];
    if (isReal(a) && a[0] < 0 && int(n) % 2 === 1) return [-Math.pow(-a[0], 1 / n[0]), 0];
    return pow(a, inv(n));
  },
  Exp: unary(exp),
  Ln: unary(log),
  Log: (xs) => (xs.length === 1 ? div(log(xs[0]!), real(Math.LN10)) : xs.length === 2 ? div(log(xs[0]!), log(xs[1]!)) : [NaN, NaN]),
  Lb: unary((a) => div(log(a), real(Math.LN2))),
  Lg: unary((a) => div(log(a), real(Math.LN10))),
  Sin: unary(sin), Cos: unary(cos), Tan: unary((a) => div(sin(a), cos(a))),
  Cot: unary((a) => div(cos(a), sin(a))), Sec: unary((a) => inv(cos(a))), Csc: unary((a) => inv(sin(a))),
  Arcsin: unary(asin), Arccos: unary(acos), Arctan: unary(atan),
  Arccot: unary((a) => atan(inv(a))), Arcsec: unary((a) => acos(inv(a))), Arccsc: unary((a) => asin(inv(a))),
  Sinh: unary(sinh), Cosh: unary(cosh), Tanh: unary((a) => div(sinh(a), cosh(a))),
  Coth: unary((a) => div(cosh(a), sinh(a))), Sech: unary((a) => inv(cosh(a))), Csch: unary((a) => inv(sinh(a))),
  Arsinh: unary((a) => log(add(a, sqrt(add(mul(a, a), [1, 0]))))),
  Arcosh: unary((a) => log(add(a, mul(sqrt(add(a, [1, 0])), sqrt(sub(a, [1, 0])))))),
  Artanh: unary((a) => mul([0.5, 0], log(div(add([1, 0], a), sub([1, 0], a))))),
  Abs: unary((a) => real(Math.hypot(a[0], a[1]))),
  Floor: realOnly(Math.floor), Ceil: realOnly(Math.ceil), Round: realOnly(Math.round), Sign: realOnly(Math.sign),
  Factorial: unary((a) => real(factorial(int(a)))),
  Binomial: (xs) => {
    const n = int(xs[0] ?? [NaN, 0]), k = int(xs[1] ?? [NaN, 0]);
    if (!(k >= 0 && n >= k && k <= 1000)) return [NaN, NaN];
    let r = 1;
    for (let j = 1; j <= k; j++) r = (r * (n - k + j)) / j;
    return real(Math.round(r));
  },
  GCD: (xs) => real(xs.map(int).reduce(gcd)),
  LCM: (xs) => real(xs.map(int).reduce((a, b) => (a * b === 0 ? 0 : Math.abs(a * b) / gcd(a, b)))),
  Mod: (xs) => { const a = int(xs[0]!), b = int(xs[1]!); return real(((a % b) + b) % b); },
  Max: (xs) => (xs.every(isReal) ? real(Math.max(...xs.map((x) => x[0]))) : [NaN, NaN]),
  Min: (xs) => (xs.every(isReal) ? real(Math.min(...xs.map((x) => x[0]))) : [NaN, NaN]),
  Delimiter: unary((a) => a),
};

/** Operators this evaluator knows (the CAS analysis refuses numeric evaluation of anything else). */
export const EVALUABLE = new Set(Object.keys(FUNCTIONS));

/**
 * Value of MathJSON `json` with variables bound by `env`, or null when it contains something this
 * evaluator does not know (an unbound symbol, an unknown operator, a string). NaN/∞ are returned as
 * computed; the caller decides what a non-finite value means.
 */
export function evaluateJson(json: unknown, env: Record<string, number>): C | null {
  if (typeof json === 'number') return [json, 0];
  if (typeof json === 'string') {
    if (json in CONSTANTS) return CONSTANTS[json]!;
    if (json in env) return [env[json]!, 0];
    return null;
  }
  if (Array.isArray(json)) {
    const [head, ...rest] = json as [unknown, ...unknown[]];
    const f = typeof head === 'string' ? FUNCTIONS[head] : undefined;
    if (!f) return null;
    const args: C[] = [];
    for (const r of rest) {
      const v = evaluateJson(r, env);
      if (!v) return null;
      args.push(v);
    }
    return f(args);
  }
  const num = (json as { num?: unknown } | null)?.num;
  if (typeof num === 'string') {
    if (num.includes('(')) return null; // repeating-decimal notation `0.(3)`: not read here
    const v = Number(num.replace(/^\+/, ''));
    return Number.isNaN(v) ? null : [v, 0];
  }
  return null;
}
