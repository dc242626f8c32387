// Deterministic, serializable random numbers. xoshiro128** (32-bit state words, exact in JS integers)
// seeded through a splitmix32-style mixer, so any tuple of integers (run seed, prompt index, sample index,
// step...) names an independent stream: a sample's randomness never depends on what else is in the batch.

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hash a tuple of integers (any sign, up to 2^53) to a 32-bit seed. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    const lo = p >>> 0, hi = Math.floor(p / 4294967296) >>> 0;
    h = mix32(h ^ mix32(lo + 0x632be5ab));
    h = mix32(h ^ mix32(hi + 0x85157af5));
  }
  return h;
}

export class Rng {
  private s: Uint32Array;

  constructor(...seedParts: number[]) {
    let x = deriveSeed(...seedParts);
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) { x = (x + 0x9e3779b9) >>> 0; this.s[i] = mix32(x); }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!;
    s[2]! ^= t; s[3] = rotl(s[3]!, 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) { const j = this.int(i + 1); [a[i], a[j]] = [a[j]!, a[i]!]; }
    return a;
  }

  getState(): number[] { return Array.from(this.s); }
  static fromState(state: number[]): Rng {
    if (state.length !== 4) throw new Error(`rng state must have 4 words, got ${state.length}`);
    const r = new Rng(0);
    r.s.set(state.map((x) => x >>> 0));
    return r;
  }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }

// ---- one seed standing for a (seed, key) pair ----------------------------------------------------------
// An OpenAI-style request carries one integer seed, and a server names the stream of sample j of its prompt
// (seed, 0, j) (src/sample). A trainer names it (stepSeed, key, j). Every stage of deriveSeed is a
// bijection on 32-bit words, so for any (seed, key) exactly one 32-bit S gives the same streams.

const MUL1 = 0x7feb352d, MUL2 = 0x846ca68b;

/** Multiplicative inverse of an odd 32-bit a (mod 2^32), by Newton's iteration. */
function inverseOdd(a: number): number {
  let x = a;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x));
  return x >>> 0;
}
const INV1 = inverseOdd(MUL1), INV2 = inverseOdd(MUL2);

/** Undo x ^= x >>> s (s ≥ 1). */
function unxorshift(y: number, s: number): number {
  let x = y;
  for (let i = 0; i < 32; i += s) x = y ^ (x >>> s);
  return x >>> 0;
}

function unmix32(y: number): number {
  let x = unxorshift(y >>> 0, 16);
  x = Math.imul(x, INV2) >>> 0;
  x = unxorshift(x, 15);
  x = Math.imul(x, INV1) >>> 0;
  return unxorshift(x, 16);
}

/** The state deriveSeed holds after one part p, from state h. */
function absorb(h: number, p: number): number {
  const lo = p >>> 0, hi = Math.floor(p / 4294967296) >>> 0;
  h = mix32(h ^ mix32(lo + 0x632be5ab));
  return mix32(h ^ mix32(hi + 0x85157af5));
}

/** Undo absorb(·, p): the state before part p, given the state after it. */
function unabsorb(h: number, p: number): number {
  const lo = p >>> 0, hi = Math.floor(p / 4294967296) >>> 0;
  h = (unmix32(h) ^ mix32(hi + 0x85157af5)) >>> 0;
  return (unmix32(h) ^ mix32(lo + 0x632be5ab)) >>> 0;
}

/** The seed S in [0, 2^32) with new Rng(S, 0, j) ≡ new Rng(seed, key, j) for every j. */
export function streamSeed(seed: number, key: number): number {
  const target = unabsorb(absorb(absorb(0x9e3779b9, seed), key), 0);  // the state wanted after absorbing S
  // absorb(h0, S) for S < 2^32: mix32(mix32(h0 ^ mix32(S + c1)) ^ mix32(c2)) = target; solve for S
  const inner = (unmix32(target) ^ mix32(0x85157af5)) >>> 0;
  const m = (unmix32(inner) ^ 0x9e3779b9) >>> 0;
  return (unmix32(m) - 0x632be5ab) >>> 0;
}
