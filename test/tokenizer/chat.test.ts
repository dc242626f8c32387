// Chat templates rendered through @huggingface/jinja must equal hand-written expected prompts:
// ChatML (Qwen2), Llama 3, and a Qwen2.5-Math-style template with its default system prompt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { TtrlError } from '../../src/util/errors.js';
import { trainedTokenizer, variantDir } from './fixture.js';

const Q = 'What is 1+1?';

/**
 * Modeled on Qwen2.5-Math-Instruct's template (Jinja escapes \n and \\ inside literals, as the
 * published JSON decodes to): a system message is added when the conversation has none.
 */
const QWEN25_MATH_TEMPLATE = String.raw`{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'Please reason step by step, and put your final answer within \\boxed{}.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
`;

test('ChatML (Qwen2): user message + generation prompt, with and without system, multi-turn', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('qwen2')).dir);
  assert.equal(tok.renderChat([{ role: 'user', content: Q }]),
    '<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(tok.renderChat([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: Q }]),
    '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(tok.renderChat([{ role: 'user', content: Q }, { role: 'assistant', content: '2' }], { addGenerationPrompt: false }),
    '<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n2<|im_end|>\n');
  // The rendered specials encode as single ids: <|im_start|> exactly twice.
  const ids = tok.encode(tok.renderChat([{ role: 'user', content: Q }]));
  assert.equal(ids.filter((id) => id === tok.tokenToId('<|im_start|>')).length, 2);
});

test('Llama 3: bos once, headers, trimmed content, <|eot_id|>, assistant header', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('llama3')).dir);
  assert.equal(tok.renderChat([{ role: 'user', content: `  ${Q} \n` }]),
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 1+1?<|eot_id|>'
    + '<|start_header_id|>assistant<|end_header_id|>\n\n');
  assert.equal(tok.renderChat([{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }], { addGenerationPrompt: false }),
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>'
    + '<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>');
});

test('Qwen2.5-Math-style template adds its default system prompt; an explicit one replaces it', async () => {
  const dir = await variantDir('qwen2', 'math', (cfg) => ({ ...cfg, chat_template: QWEN25_MATH_TEMPLATE }));
  const tok = await loadTokenizer(dir);
  assert.equal(tok.renderChat([{ role: 'user', content: Q }]),
    '<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n'
    + '<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(tok.renderChat([{ role: 'system', content: 'X' }, { role: 'user', content: Q }]),
    '<|im_start|>system\nX<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n');
});

test('trainer defaultSystem: quotes, backslashes and newlines survive the Jinja literal', async () => {
  const sys = 'Say "it\'s" \\boxed{}\nthen stop.';
  const q = await loadTokenizer((await trainedTokenizer('qwen2', { defaultSystem: sys })).dir);
  assert.equal(q.renderChat([{ role: 'user', content: 'U' }]),
    `<|im_start|>system\n${sys}<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n`);
  assert.equal(q.renderChat([{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }]),
    '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n');
  const l = await loadTokenizer((await trainedTokenizer('llama3', { defaultSystem: sys })).dir);
  assert.equal(l.renderChat([{ role: 'user', content: 'U' }], { addGenerationPrompt: false }),
    `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n${sys}<|eot_id|>`
    + '<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>');
});

test('chat_template as a list picks "default"; chat_template.jinja is read when the config has none', async () => {
  const list = await variantDir('qwen2', 'list', (cfg) => ({
    ...cfg, chat_template: [{ name: 'tool_use', template: 'TOOLS' }, { name: 'default', template: '{{ messages[0].content }}!' }],
  }));
  assert.equal((await loadTokenizer(list)).renderChat([{ role: 'user', content: 'hey' }]), 'hey!');
  const file = await variantDir('qwen2', 'jinja', (cfg) => ({ ...cfg, chat_template: undefined }),
    { 'chat_template.jinja': '[{{ messages[0].content }}]{% if add_generation_prompt %}>{% endif %}' });
  const tok = await loadTokenizer(file);
  assert.equal(tok.renderChat([{ role: 'user', content: 'hey' }]), '[hey]>');
  assert.ok(tok.chatTemplate?.startsWith('[{{'));
});

test('template errors are TtrlErrors naming the file: syntax at load, raise_exception at render', async () => {
  const bad = await variantDir('qwen2', 'badsyntax', (cfg) => ({ ...cfg, chat_template: '{% for m in messages %}{{ m.content }' }));
  await assert.rejects(loadTokenizer(bad), (e: Error) =>
    e instanceof TtrlError && /tokenizer_config\.json: chat_template does not parse/.test(e.message));
  const raising = await variantDir('qwen2', 'raise', (cfg) => ({
    ...cfg, chat_template: "{% if messages[0].role != 'user' %}{{ raise_exception('first message must be user') }}{% endif %}ok",
  }));
  const tok = await loadTokenizer(raising);
  assert.equal(tok.renderChat([{ role: 'user', content: 'x' }]), 'ok');
  assert.throws(() => tok.renderChat([{ role: 'system', content: 'x' }]), (e: Error) =>
    e instanceof TtrlError && /tokenizer_config\.json: chat_template failed to render: .*first message must be user/.test(e.message));
});
