// Chat templates: a model's own Jinja template (tokenizer_config.json "chat_template"), rendered
// with @huggingface/jinja, Hugging Face's JavaScript port of the Jinja subset these templates use.
// The variables passed are those transformers' apply_chat_template passes: the messages,
// add_generation_prompt, the special tokens by name (bos_token, eos_token, ...), and any extra variables
// the caller names (apply_chat_template's keyword arguments, e.g. Qwen3's enable_thinking).
import { Template } from '@huggingface/jinja';
import { TtrlError } from '../util/errors.js';
import { oneLine } from './config.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {});
  content: string;
}

/** Special token strings the template may use (null when the tokenizer has none). */
export interface TemplateTokens {
  bos_token: string | null;
  eos_token: string | null;
  pad_token: string | null;
  unk_token: string | null;
  additional_special_tokens: string[];
}

export interface ChatTemplate {
  /** The Jinja source. */
  source: string;
  /** Where it came from, for error messages ("<dir>/tokenizer_config.json"). */
  file: string;
  render(messages: readonly ChatMessage[], addGenerationPrompt: boolean, vars?: Readonly<Record<string, unknown>>): string;
}

/** Parse a template once (syntax errors surface at load time, naming the file). */
export function compileChatTemplate(source: string, file: string, tokens: TemplateTokens): ChatTemplate {
  let template: Template;
  try {
    template = new Template(source);
  } catch (e) {
    throw new TtrlError(`${file}: chat_template does not parse: ${oneLine(e)}`);
  }
  return {
    source,
    file,
    render(messages, addGenerationPrompt, extra = {}) {
      try {
        // Jinja's `null` is `none`; an absent token is passed as undefined so `{% if bos_token %}` works either way.
        const vars: Record<string, unknown> = { messages: messages.map((m) => ({ ...m })), add_generation_prompt: addGenerationPrompt };
        for (const [k, v] of Object.entries(tokens)) if (v !== null) vars[k] = v;
        Object.assign(vars, extra);
        return template.render(vars);
      } catch (e) {
        throw new TtrlError(`${file}: chat_template failed to render: ${oneLine(e)}`);
      }
    },
  };
}
