// Response bodies in the shapes of OpenAI's API (and vLLM's return_token_ids extension): whole responses,
// stream chunks, and log-probs for both endpoints. Pure functions of finished samples.
import type { Sample, TopLogprob } from '../sample/index.js';
import type { GenRequest } from './protocol.js';

/** Token id → the string shown in logprobs (vLLM's "token_id:N" when there is no tokenizer). */
export type TokenText = (id: number) => string;

export interface Head { id: string; created: number; model: string }

const finishOf = (s: Sample): string => (s.finishReason === 'length' ? 'length' : 'stop');

/** Completions logprobs: tokens, token_logprobs, top_logprobs (null when 0 were asked), text_offset. */
export function completionLogprobs(s: Sample, k: number, show: TokenText): object {
  const tokens = s.ids.map(show);
  const offsets: number[] = [];
  let at = 0;
  for (const t of tokens) { offsets.push(at); at += t.length; }
  const top = (row: TopLogprob[] | undefined): Record<string, number> | null =>
    k > 0 && row ? Object.fromEntries(row.map((t) => [show(t.token), t.logprob])) : null;
  return { tokens, token_logprobs: s.logprobs, top_logprobs: s.ids.map((_, i) => top(s.top?.[i])), text_offset: offsets };
}

/** Chat logprobs: {content: [{token, logprob, bytes, top_logprobs}]}. */
export function chatLogprobs(s: Sample, show: TokenText): object {
  const entry = (id: number, logprob: number): { token: string; logprob: number; bytes: number[] } => {
    const token = show(id);
    return { token, logprob, bytes: [...Buffer.from(token, 'utf8')] };
  };
  return {
    content: s.ids.map((id, i) => ({ ...entry(id, s.logprobs[i]!), top_logprobs: (s.top?.[i] ?? []).map((t) => entry(t.token, t.logprob)) })),
  };
}

function usage(req: GenRequest, samples: Sample[]): object {
  const prompt = req.prompts.reduce((a, p) => a + p.length, 0);
  const completion = samples.reduce((a, s) => a + s.ids.length, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** One choice of a whole response (index = prompt × n + sample). */
function choice(req: GenRequest, s: Sample, index: number, show: TokenText): Record<string, unknown> {
  const c: Record<string, unknown> = { index };
  if (req.chat) {
    c.message = { role: 'assistant', content: s.text ?? '' };
    c.logprobs = req.logprobs === null ? null : chatLogprobs(s, show);
  } else {
    c.text = s.text ?? '';
    c.logprobs = req.logprobs === null ? null : completionLogprobs(s, req.logprobs, show);
  }
  c.finish_reason = finishOf(s);
  if (req.returnTokenIds) {
    c.token_ids = s.ids;
    if (!req.chat) c.prompt_token_ids = req.prompts[Math.floor(index / req.n)];
  }
  return c;
}

/** The whole response once every sample is done; samples in choice order. */
export function fullResponse(req: GenRequest, head: Head, samples: Sample[], show: TokenText, version: string): object {
  const body: Record<string, unknown> = {
    id: head.id, object: req.chat ? 'chat.completion' : 'text_completion', created: head.created, model: head.model,
    choices: samples.map((s, i) => choice(req, s, i, show)),
    usage: usage(req, samples),
    weight_version: version,
  };
  if (req.returnTokenIds && (req.chat || req.prompts.length === 1)) body.prompt_token_ids = req.prompts[0];
  return body;
}

/** A stream chunk with one choice. */
export function chunk(req: GenRequest, head: Head, c: Record<string, unknown>): object {
  return { id: head.id, object: req.chat ? 'chat.completion.chunk' : 'text_completion', created: head.created, model: head.model, choices: [c] };
}

/** Chunk choice carrying new text of choice `index`. */
export function textDelta(req: GenRequest, index: number, text: string): Record<string, unknown> {
  return req.chat ? { index, delta: { content: text }, logprobs: null, finish_reason: null }
    : { index, text, logprobs: null, finish_reason: null };
}

/** The first chunk choice of a chat stream (role only). */
export function roleDelta(index: number): Record<string, unknown> {
  return { index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null };
}

/** The last chunk choice of `index`: its finish reason, and its logprobs and token ids when asked for. */
export function finalDelta(req: GenRequest, s: Sample, index: number, show: TokenText): Record<string, unknown> {
  const c: Record<string, unknown> = req.chat ? { index, delta: {} } : { index, text: '' };
  c.logprobs = req.logprobs === null ? null : req.chat ? chatLogprobs(s, show) : completionLogprobs(s, req.logprobs, show);
  c.finish_reason = finishOf(s);
  if (req.returnTokenIds) {
    c.token_ids = s.ids;
    if (!req.chat) c.prompt_token_ids = req.prompts[Math.floor(index / req.n)];
  }
  return c;
}

/** The usage chunk (stream_options.include_usage): no choices. */
export function usageChunk(req: GenRequest, head: Head, samples: Sample[], version: string): object {
  return { id: head.id, object: req.chat ? 'chat.completion.chunk' : 'text_completion', created: head.created, model: head.model, choices: [], usage: usage(req, samples), weight_version: version };
}
