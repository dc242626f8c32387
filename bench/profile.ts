// A Backend wrapper that times every kernel call (wall clock, per method name): `npm run bench -- --profile`
// reports where each section's time goes. The CPU backend's kernels are synchronous, so a call's wall
// time is its kernel's time.
import type { Backend } from '../src/tensor/backend.js';

export interface KernelTimes {
  /** method (gemm: with its shape) → [calls, seconds] */
  readonly times: Map<string, [number, number]>;
  reset(): void;
  /** Seconds per method, largest first, with call counts (and GFLOP/s for gemm shapes). */
  report(): Record<string, { calls: number; seconds: number; gflops?: number }>;
}

export function profiled(be: Backend): { be: Backend; prof: KernelTimes } {
  const times = new Map<string, [number, number]>();
  const wrapped = new Proxy(be, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      return (...args: unknown[]) => {
        // gemm by shape (M×N×K and transposes): the layers' products differ a lot in efficiency
        const key = prop === 'gemm' ? `gemm ${args[3]}x${args[4]}x${args[5]}${args[6] ? ' tA' : ''}${args[7] ? ' tB' : ''}` : prop;
        const t0 = performance.now();
        try { return (v as (...a: unknown[]) => unknown).apply(target, args); } finally {
          const e = times.get(key) ?? [0, 0];
          e[0]++; e[1] += (performance.now() - t0) / 1000;
          times.set(key, e);
        }
      };
    },
  });
  return {
    be: wrapped,
    prof: {
      times,
      reset: () => times.clear(),
      report: () => Object.fromEntries([...times].sort((a, b) => b[1][1] - a[1][1]).map(([k, [calls, s]]) => {
        const mnk = /^gemm (\d+)x(\d+)x(\d+)/.exec(k);
        const gflops = mnk ? +((2 * calls * Number(mnk[1]) * Number(mnk[2]) * Number(mnk[3])) / s / 1e9).toFixed(1) : undefined;
        return [k, { calls, seconds: +s.toFixed(4), ...(gflops !== undefined ? { gflops } : {}) }];
      })),
    },
  };
}

/**
 * Positional arguments of a profiling script: `spec` names each one with its default (a number, or the allowed
 * words); a wrong one exits with the script's usage line instead of running with NaN.
 */
export function positional<T extends Record<string, number | readonly string[]>>(
  usage: string, spec: T,
): { [K in keyof T]: T[K] extends number ? number : T[K] extends readonly (infer W)[] ? W : never } {
  const args = process.argv.slice(2), names = Object.keys(spec), out: Record<string, unknown> = {};
  const fail = (why: string): never => { console.error(`${why}; usage: ${usage}`); process.exit(2); };
  if (args.length > names.length) fail(`${args.length} arguments given, at most ${names.length} taken`);
  names.forEach((name, i) => {
    const want = spec[name]!, arg = args[i];
    if (typeof want === 'number') {
      const n = arg === undefined ? want : Number(arg);
      if (!Number.isInteger(n) || n < 0) fail(`${name} must be a whole number, got "${arg}"`);
      out[name] = n;
    } else {
      if (arg !== undefined && !want.includes(arg)) fail(`${name} must be one of ${want.join('|')}, got "${arg}"`);
      out[name] = arg ?? want[0];
    }
  });
  return out as never;
}
