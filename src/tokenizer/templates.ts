// Chat templates written into the tokenizer_config.json of tokenizers that ttrl trains (tests, the
// demo). They follow the published ones: ChatML as in Qwen2-Instruct, and Llama 3 Instruct's header
// format. Real models bring their own template; these are only for our own tokenizers.

/** Quote a string as a Jinja single-quoted literal (escapes \ ' and newlines). */
export function jinjaString(s: string): string {
  const body = s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  return `'${body}'`;
}

/**
 * ChatML, Qwen2-style: `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then
 * `<|im_start|>assistant\n` as the generation prompt. With `defaultSystem`, a system message is
 * inserted when the conversation does not start with one (as Qwen2-Instruct and Qwen2.5-Math do).
 */
export function chatmlTemplate(defaultSystem: string | null = null): string {
  const sys = defaultSystem === null ? ''
    : `{%- if messages[0]['role'] != 'system' %}{{- '<|im_start|>system\\n' + ${jinjaString(defaultSystem)} + '<|im_end|>\\n' }}{%- endif %}`;
  return sys
    + `{%- for message in messages %}`
    + `{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}`
    + `{%- endfor %}`
    + `{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}`;
}

/**
 * Llama 3 Instruct: `bos_token` once, then `<|start_header_id|>{role}<|end_header_id|>\n\n{content|trim}<|eot_id|>`
 * per message, then `<|start_header_id|>assistant<|end_header_id|>\n\n` as the generation prompt.
 */
export function llama3Template(defaultSystem: string | null = null): string {
  const header = (role: string) => `'<|start_header_id|>' + ${role} + '<|end_header_id|>\\n\\n'`;
  const sys = defaultSystem === null ? ''
    : `{%- if messages[0]['role'] != 'system' %}{{- ${header("'system'")} + ${jinjaString(defaultSystem.trim())} + '<|eot_id|>' }}{%- endif %}`;
  return `{{- bos_token }}`
    + sys
    + `{%- for message in messages %}`
    + `{{- ${header("message['role']")} + message['content'] | trim + '<|eot_id|>' }}`
    + `{%- endfor %}`
    + `{%- if add_generation_prompt %}{{- ${header("'assistant'")} }}{%- endif %}`;
}
