// Parsing a numeric command-line flag, for every command: the rule a value must satisfy is passed in (for
// sampling settings, the sampler's own SAMPLING_RULES), so a flag and its config key check the same range.
import { TtrlError } from './errors.js';

export interface NumberRule { ok: (x: number) => boolean; want: string }

/** The number in flag --`flag`'s value `v` (`fallback` when absent); a TtrlError naming the flag otherwise. */
export function numberFlag(flag: string, v: string | undefined, fallback: number, rule: NumberRule): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || !rule.ok(x)) throw new TtrlError(`--${flag} ${v}: must be ${rule.want}`);
  return x;
}

export const INTEGER: NumberRule = { ok: Number.isInteger, want: 'an integer' };
export const POSITIVE_INTEGER: NumberRule = { ok: (x) => Number.isInteger(x) && x >= 1, want: 'an integer >= 1' };
export const NON_NEGATIVE_INTEGER: NumberRule = { ok: (x) => Number.isInteger(x) && x >= 0, want: 'an integer >= 0' };
