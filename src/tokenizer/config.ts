// Reading the fields ttrl needs from tokenizer_config.json and generation_config.json. Both files
// hold many keys that vary by model and transformers version; only the ones read here are checked,
// and each bad one is an error naming its file and key.
import { TtrlError } from '../util/errors.js';

export type Json = Record<string, unknown>;

/** A caught library error's message on one line (CLI errors are one line). */
export function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, ' ').trim();
}

/** Sampling settings a model ships in generation_config.json (absent keys stay absent). */
export interface GenDefaults {
  temperature?: number;
  topP?: number;
  topK?: number;
  /** false means the authors decode greedily by default. */
  doSample?: boolean;
}

/**
 * A special-token field of tokenizer_config.json (bos_token, eos_token, ...): a string, an
 * AddedToken dict `{"__type": "AddedToken", "content": ...}` as older files write it, or null.
 */
export function tokenField(cfg: Json, key: string, file: string): string | null {
  const v = cfg[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  throw new TtrlError(`${file}: '${key}' must be a token string or {"content": ...}, got ${JSON.stringify(v)}`);
}

/** A list of special tokens (additional_special_tokens): strings or {"content": ...} dicts; absent → []. */
export function tokenListField(cfg: Json, key: string, file: string): string[] {
  const v = cfg[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new TtrlError(`${file}: '${key}' must be a list of tokens`);
  return v.map((_, i) => {
    const t = tokenField({ [key]: v[i] }, key, file);
    if (t === null) throw new TtrlError(`${file}: '${key}'[${i}] is null`);
    return t;
  });
}

/** An id field of generation_config.json: an int, a list of ints, or null/absent (→ []). */
export function idListField(gen: Json, key: string, file: string): number[] {
  const v = gen[key];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  for (const x of list) {
    if (!Number.isInteger(x) || (x as number) < 0) {
      throw new TtrlError(`${file}: '${key}' must be a non-negative integer or a list of them, got ${JSON.stringify(v)}`);
    }
  }
  return list as number[];
}

/** temperature / top_p / top_k / do_sample from generation_config.json. */
export function genDefaultsOf(gen: Json, file: string): GenDefaults {
  const out: GenDefaults = {};
  const num = (key: string): number | undefined => {
    const v = gen[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TtrlError(`${file}: '${key}' must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const t = num('temperature'), p = num('top_p'), k = num('top_k');
  if (t !== undefined) out.temperature = t;
  if (p !== undefined) out.topP = p;
  if (k !== undefined) {
    if (!Number.isInteger(k)) throw new TtrlError(`${file}: 'top_k' must be an integer, got ${k}`);
    out.topK = k;
  }
  const s = gen.do_sample;
  if (s !== undefined && s !== null) {
    if (typeof s !== 'boolean') throw new TtrlError(`${file}: 'do_sample' must be true or false, got ${JSON.stringify(s)}`);
    out.doSample = s;
  }
  return out;
}

/**
 * The chat template of tokenizer_config.json: a string, or a list of `{name, template}` where the
 * one named "default" is used (as transformers does when no name is asked). null when absent.
 */
export function chatTemplateField(cfg: Json, file: string): string | null {
  const v = cfg.chat_template;
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const entry = v.find((e) => e && typeof e === 'object' && (e as Json).name === 'default');
    if (entry && typeof (entry as Json).template === 'string') return (entry as Json).template as string;
    throw new TtrlError(`${file}: 'chat_template' is a list with no {"name": "default", "template": ...} entry`);
  }
  throw new TtrlError(`${file}: 'chat_template' must be a string or a list of {name, template}`);
}
