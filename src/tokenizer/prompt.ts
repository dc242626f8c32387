// The prompt for one question, as the TTRL reference builds it (verl's RLHFDataset): the question as
// a single user message through the model's own chat template with a generation prompt, encoded
// without adding special tokens (the template writes any BOS itself). Qwen2.5-Math's template then
// adds its default system prompt "Please reason step by step, and put your final answer within
// \boxed{}." by itself. Raw mode is for base models without a template.
import { TtrlError } from '../util/errors.js';
import type { ChatMessage } from './chat.js';
import type { Tok } from './load.js';

export type PromptMode = 'chat' | 'raw';

export interface PromptOptions {
  mode: PromptMode;
  /** A system message before the question (chat mode only). Default none: the template's own default, if any, applies. */
  system?: string;
  /** Appended to the question as is (include any separator, e.g. "\nLet's think step by step."). */
  suffix?: string;
  /**
   * Qwen3's thinking switch, passed to the template as `enable_thinking` (as apply_chat_template's keyword).
   * false: the template pre-fills an empty <think></think> block, so the model answers directly. Undefined or
   * null: the variable is not set and the template's default applies (Qwen3: thinking on). Templates that
   * do not read it ignore it.
   */
  thinking?: boolean | null;
}

export interface Prompt {
  /** The prompt text (raw mode: without the BOS that `ids` may start with). */
  text: string;
  /** Its token ids, ready for prefill. */
  ids: number[];
}

/** The --thinking on|off command-line switch (absent: null, the template's default). */
export function parseThinking(v: string | undefined): boolean | null {
  if (v === undefined) return null;
  if (v === 'on' || v === 'off') return v === 'on';
  throw new TtrlError(`--thinking must be on or off, got ${JSON.stringify(v)}`);
}

/** Build the prompt of `question`. Chat mode without a template throws a TtrlError naming the file and --raw. */
export function buildPrompt(tok: Tok, question: string, opts: PromptOptions): Prompt {
  const user = question + (opts.suffix ?? '');
  if (opts.mode === 'raw') {
    if (opts.system !== undefined) throw new TtrlError('a system prompt needs chat mode (drop --raw or the system prompt)');
    // A base model is trained on documents that start with BOS (Llama 3); Qwen2 adds none.
    return { text: user, ids: tok.encode(user, { addSpecial: true }) };
  }
  const messages: ChatMessage[] = [];
  if (opts.system !== undefined) messages.push({ role: 'system', content: opts.system });
  messages.push({ role: 'user', content: user });
  const vars = opts.thinking === undefined || opts.thinking === null ? {} : { enable_thinking: opts.thinking };
  const text = tok.renderChat(messages, { addGenerationPrompt: true, vars });
  return { text, ids: tok.encode(text, { addSpecial: false }) };
}
