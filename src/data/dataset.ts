// Problems for test-time RL. Two shapes on purpose: the TTRL trainer receives only PromptOnly examples
// (no answer field exists on them at all), so a gold label cannot leak into the reward; LabeledExample is
// for evaluation and diagnostics. Field names are configurable (data.prompt_key, data.answer_key,
// data.id_key) and may be dotted paths into nested records (e.g. verl's reward_model.ground_truth).
import { TtrlError } from '../util/errors.js';
import { readRecords, type DataFormat, type RawRecord } from './records.js';

export interface PromptOnly {
  readonly id: string;
  readonly prompt: string;
}

export interface LabeledExample extends PromptOnly {
  readonly answer: string;
}

export interface LoadOptions {
  format?: DataFormat;
  /** field holding the question (default 'prompt'). */
  promptKey?: string;
  /** field holding the gold answer (default 'answer'). */
  answerKey?: string;
  /** field holding the id; null/undefined = 'id', else 'unique_id', else the record's index. */
  idKey?: string | null;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** record[key], where a key with dots walks into nested objects unless the record has the literal key. */
function getField(record: Record<string, unknown>, key: string): unknown {
  if (key in record) return record[key];
  let cur: unknown = record;
  for (const part of key.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

interface Ctx { file: string; where: string; keys: string[] }

function missing(ctx: Ctx, key: string, flag: string, what: string): TtrlError {
  return new TtrlError(`${ctx.file}: ${ctx.where} has no field '${key}' (fields: ${ctx.keys.join(', ') || 'none'}); set --${flag} to the field that holds ${what}`);
}

/** A prompt is a string, or a verl-style chat list with exactly one user message (its content is used). */
function promptText(v: unknown, ctx: Ctx, key: string): string {
  let text: unknown = v;
  if (Array.isArray(v)) {
    const roles = v.map((m) => (isObject(m) ? m.role : undefined));
    if (roles.length !== 1 || roles[0] !== 'user') {
      throw new TtrlError(`${ctx.file}: ${ctx.where}: field '${key}' is a chat with roles [${roles.join(', ')}]; only one user message is supported (ttrl adds the system message itself: --model.system_prompt)`);
    }
    text = (v[0] as Record<string, unknown>).content;
  }
  if (typeof text !== 'string') throw new TtrlError(`${ctx.file}: ${ctx.where}: field '${key}' must be a string, got ${typeof text}`);
  if (text.trim() === '') throw new TtrlError(`${ctx.file}: ${ctx.where}: field '${key}' is empty`);
  return text;
}

/** Answers are strings; numbers (e.g. AMC's 142.0 stored as a number) become their JS string. */
function answerText(v: unknown, ctx: Ctx, key: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  throw new TtrlError(`${ctx.file}: ${ctx.where}: field '${key}' must be a string or number, got ${Array.isArray(v) ? 'array' : typeof v}`);
}

function idOf(record: Record<string, unknown>, index: number, idKey: string | null | undefined, ctx: Ctx): string {
  const v = idKey ? getField(record, idKey) : record.id ?? record.unique_id ?? index;
  if (v === undefined || v === null) throw missing(ctx, idKey!, 'data.id_key', 'a unique id');
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint') {
    throw new TtrlError(`${ctx.file}: ${ctx.where}: id must be a string or number, got ${typeof v}`);
  }
  return String(v);
}

async function load(file: string, opts: LoadOptions, withAnswer: boolean): Promise<(PromptOnly & { answer?: string })[]> {
  const records: RawRecord[] = await readRecords(file, opts.format ?? 'auto');
  if (records.length === 0) throw new TtrlError(`${file}: the dataset is empty`);
  const promptKey = opts.promptKey ?? 'prompt', answerKey = opts.answerKey ?? 'answer';
  const seen = new Map<string, string>();
  return records.map(({ value, where }, i) => {
    if (!isObject(value)) throw new TtrlError(`${file}: ${where} is not an object (got ${Array.isArray(value) ? 'array' : typeof value})`);
    const ctx: Ctx = { file, where, keys: Object.keys(value) };
    const p = getField(value, promptKey);
    if (p === undefined || p === null) throw missing(ctx, promptKey, 'data.prompt_key', 'the question');
    const id = idOf(value, i, opts.idKey, ctx);
    const prev = seen.get(id);
    if (prev !== undefined) throw new TtrlError(`${file}: duplicate id '${id}' at ${prev} and ${where}; set --data.id_key to a unique field`);
    seen.set(id, where);
    const ex = { id, prompt: promptText(p, ctx, promptKey) };
    if (!withAnswer) return ex;
    const a = getField(value, answerKey);
    if (a === undefined || a === null) throw missing(ctx, answerKey, 'data.answer_key', 'the gold answer');
    return { ...ex, answer: answerText(a, ctx, answerKey) };
  });
}

/** Problems with gold answers (for evaluation, oracle mode and diagnostics). Every record needs all fields. */
export async function loadLabeled(file: string, opts: LoadOptions = {}): Promise<LabeledExample[]> {
  return (await load(file, opts, true)) as LabeledExample[];
}

/** Problems without answers: the answer field is never read, so unlabeled data loads too. */
export async function loadPrompts(file: string, opts: LoadOptions = {}): Promise<PromptOnly[]> {
  return load(file, opts, false);
}

/**
 * The no-leak rule: fresh {id, prompt} objects that do not have an answer property at all (not even
 * undefined), so nothing downstream of the TTRL trainer can read a gold label by accident.
 */
export function stripLabels(ds: readonly LabeledExample[]): PromptOnly[] {
  return ds.map((e) => Object.freeze({ id: e.id, prompt: e.prompt }));
}
