// Reading OpenAI-style request bodies into one internal request, with a 4xx ApiError in the OpenAI shape
// for anything wrong. Fields follow OpenAI's API and vLLM's extensions (return_token_ids, top_k, min_p,
// ignore_eos, stop_token_ids);
// unknown fields are ignored, as vLLM does, but a known field of the wrong type is an error.
import type { Tok } from '../tokenizer/index.js';
import { resolveSampling, SAMPLING_RULES, type SamplingParams } from '../sample/index.js';
import { TtrlError } from '../util/errors.js';

/** An error answered as {"error": {"message", "type", "param", "code"}} with an HTTP status. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly param: string | null = null,
              readonly type = status === 401 ? 'authentication_error' : status === 404 ? 'not_found_error' : status >= 500 ? 'server_error' : 'invalid_request_error') {
    super(message);
  }
}

export interface Limits {
  /** Most samples per request (n × prompts). */
  maxN: number;
  /** Most top log-probs per token (OpenAI allows 20 for chat, 5 for completions; one cap here). */
  maxLogprobs: number;
}

export interface GenRequest {
  chat: boolean;
  /** Prompt token ids, one list per prompt (chat: exactly one). */
  prompts: number[][];
  n: number;
  params: SamplingParams;
  /** The request's seed (a fresh random one when it gave none). */
  seed: number;
  /** Completions: null (none) or how many top tokens (0 = just the sampled one). Chat: the same from logprobs/top_logprobs. */
  logprobs: number | null;
  stream: boolean;
  includeUsage: boolean;
  returnTokenIds: boolean;
}

type Body = Record<string, unknown>;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const bad = (param: string, message: string): ApiError => new ApiError(400, `${param}: ${message}`, param);

function num(b: Body, k: string, ok: (x: number) => boolean, want: string): number | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw bad(k, `${JSON.stringify(v)} is invalid (${want})`);
  return v;
}
function bool(b: Body, k: string): boolean {
  const v = b[k];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw bad(k, `${JSON.stringify(v)} is invalid (true or false)`);
  return v;
}

/** The model field: absent is fine; another name is a 404 as in OpenAI and vLLM. */
export function checkModel(b: Body, served: string): void {
  const m = b.model;
  if (m === undefined || m === null) return;
  if (typeof m !== 'string') throw bad('model', 'must be a string');
  if (m !== served) throw new ApiError(404, `The model \`${m}\` does not exist (this server serves \`${served}\`).`, 'model');
}

/** A JSON object body or a 400. */
export function asBody(v: unknown): Body {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, 'the request body must be a JSON object');
  return v as Body;
}

function tokenIds(v: unknown[], V: number, param: string): number[] {
  for (const x of v) {
    if (!isInt(x) || x < 0 || x >= V) throw bad(param, `token id ${JSON.stringify(x)} is outside the vocabulary [0, ${V})`);
  }
  return v as number[];
}

/** prompt: a string, a list of strings, a list of token ids, or a list of lists of token ids. */
function completionPrompts(b: Body, tok: Tok | null, V: number): number[][] {
  const p = b.prompt;
  const text = (s: string): number[] => {
    if (!tok) throw bad('prompt', 'text prompts need the model\'s tokenizer.json (this model has none); send token ids');
    return tok.encode(s, { addSpecial: true });
  };
  let out: number[][];
  if (typeof p === 'string') out = [text(p)];
  else if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'string')) out = (p as string[]).map(text);
  else if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'number')) out = [tokenIds(p, V, 'prompt')];
  else if (Array.isArray(p) && p.length > 0 && p.every((x) => Array.isArray(x))) out = (p as unknown[][]).map((x) => tokenIds(x, V, 'prompt'));
  else throw bad('prompt', 'must be a string, a list of strings, a list of token ids, or a list of lists of token ids (non-empty)');
  if (out.some((ids) => ids.length === 0)) throw bad('prompt', 'a prompt needs at least one token');
  return out;
}

function chatPrompt(b: Body, tok: Tok | null): number[] {
  const msgs = b.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) throw bad('messages', 'must be a non-empty list of {"role", "content"}');
  const list = msgs.map((m: unknown, i) => {
    const o = m as Body;
    if (!o || typeof o !== 'object' || typeof o.role !== 'string') throw bad(`messages[${i}]`, 'needs a string "role"');
    let content = o.content;
    // content parts: only text parts are meaningful to a text model
    if (Array.isArray(content)) content = content.map((c) => (c && typeof c === 'object' && (c as Body).type === 'text' ? (c as Body).text : null)).join('');
    if (typeof content !== 'string') throw bad(`messages[${i}].content`, 'must be a string or a list of text parts');
    return { role: o.role, content };
  });
  if (!tok) throw bad('messages', 'chat needs the model\'s tokenizer.json (this model has none); use /v1/completions with token ids');
  if (!tok.chatTemplate) throw bad('messages', `the model has no chat template (${tok.dir}/tokenizer_config.json); use /v1/completions`);
  return tok.encode(tok.renderChat(list, { addGenerationPrompt: true }), { addSpecial: false });
}

function stops(b: Body): string[] {
  const s = b.stop;
  if (s === undefined || s === null) return [];
  const list = typeof s === 'string' ? [s] : s;
  if (!Array.isArray(list) || list.length > 16 || !list.every((x) => typeof x === 'string' && x.length > 0)) {
    throw bad('stop', 'must be a non-empty string or a list of at most 16 of them');
  }
  return list as string[];
}

/** Read a /v1/completions (chat = false) or /v1/chat/completions body. */
export function readGenRequest(b: Body, chat: boolean, tok: Tok | null, V: number, eosIds: number[],
                               capacity: number, lim: Limits): GenRequest {
  const prompts = chat ? [chatPrompt(b, tok)] : completionPrompts(b, tok, V);
  const n = num(b, 'n', (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1') ?? 1;
  if (n * prompts.length > lim.maxN) throw bad('n', `${n} × ${prompts.length} prompt(s) exceeds this server's limit of ${lim.maxN} samples per request`);
  const longest = Math.max(...prompts.map((p) => p.length));
  const room = capacity - longest;
  if (room < 1) throw bad(chat ? 'messages' : 'prompt', `the prompt has ${longest} tokens; this server's context limit is ${capacity}`);
  const maxTok = chat ? (num(b, 'max_completion_tokens', isIntAtLeast0, 'an integer >= 0') ?? num(b, 'max_tokens', isIntAtLeast0, 'an integer >= 0'))
    : num(b, 'max_tokens', isIntAtLeast0, 'an integer >= 0');
  if (maxTok !== undefined && maxTok > room) {
    throw bad('max_tokens', `${maxTok} + the prompt's ${longest} tokens exceeds this server's context limit of ${capacity}`);
  }
  let logprobs: number | null = null;
  if (chat) {
    const top = num(b, 'top_logprobs', (x) => Number.isInteger(x) && x >= 0 && x <= lim.maxLogprobs, `an integer in [0, ${lim.maxLogprobs}]`);
    if (bool(b, 'logprobs')) logprobs = top ?? 0;
    else if (top !== undefined && top > 0) throw bad('top_logprobs', 'needs "logprobs": true');
  } else {
    logprobs = num(b, 'logprobs', (x) => Number.isInteger(x) && x >= 0 && x <= lim.maxLogprobs, `an integer in [0, ${lim.maxLogprobs}]`) ?? null;
  }
  const stop = stops(b);
  if (stop.length > 0 && !tok) throw bad('stop', 'stop strings need the model\'s tokenizer.json (this model has none)');
  const so = b.stream_options;
  if (so !== undefined && so !== null && (typeof so !== 'object' || Array.isArray(so))) throw bad('stream_options', 'must be an object');
  const rule = (k: string, field: keyof typeof SAMPLING_RULES): number | undefined =>
    num(b, k, SAMPLING_RULES[field].ok, SAMPLING_RULES[field].want);
  const extraStops = b.stop_token_ids;
  if (extraStops !== undefined && extraStops !== null && !Array.isArray(extraStops)) throw bad('stop_token_ids', 'must be a list of token ids');
  const stopIds = tokenIds((extraStops as unknown[] | null | undefined) ?? [], V, 'stop_token_ids');
  let params: SamplingParams;
  try {
    params = resolveSampling({
      temperature: rule('temperature', 'temperature') ?? 1,
      topP: rule('top_p', 'topP') ?? 1,
      topK: Math.max(0, num(b, 'top_k', (x) => x === -1 || SAMPLING_RULES.topK.ok(x), 'an integer >= -1; -1 or 0 = off') ?? 0),
      minP: rule('min_p', 'minP') ?? 0,
      maxNewTokens: maxTok ?? (chat ? room : Math.min(16, room)),
      eosIds: [...new Set([...(bool(b, 'ignore_eos') ? [] : eosIds), ...stopIds])],
      stopStrings: stop,
    }, 'request');
  } catch (e) {
    if (e instanceof TtrlError) throw new ApiError(400, e.message);
    throw e;
  }
  const seed = num(b, 'seed', (x) => Number.isSafeInteger(x), 'an integer') ?? Math.floor(Math.random() * 2 ** 32);
  return {
    chat, prompts, n, params, seed, logprobs,
    stream: bool(b, 'stream'),
    includeUsage: so ? bool(so as Body, 'include_usage') : false,
    returnTokenIds: bool(b, 'return_token_ids'),
  };
}

const isIntAtLeast0 = (x: number): boolean => Number.isInteger(x) && x >= 0;
