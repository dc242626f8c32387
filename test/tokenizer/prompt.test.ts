// buildPrompt: the TTRL reference's prompt (question as one user message through the model's chat
// template, generation prompt, no added special tokens), optional system and suffix, raw mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { buildPrompt } from '../../src/tokenizer/prompt.js';
import { TtrlError } from '../../src/util/errors.js';
import { trainedTokenizer, variantDir } from './fixture.js';

const MATH_SYSTEM = 'Please reason step by step, and put your final answer within \\boxed{}.';

test('chat mode, ChatML: text is the hand-written prompt; ids = encode(text) without extra specials', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('qwen2')).dir);
  const p = buildPrompt(tok, 'What is 2+3?', { mode: 'chat' });
  assert.equal(p.text, '<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n');
  const start = tok.tokenToId('<|im_start|>')!, end = tok.tokenToId('<|im_end|>')!;
  // Hand-assembled: specials as single ids around the encoded pieces.
  assert.deepEqual(p.ids, [start, ...tok.encode('user\nWhat is 2+3?'), end, ...tok.encode('\n'), start, ...tok.encode('assistant\n')]);
  assert.equal(tok.decode(p.ids), p.text);
});

test('chat mode: system and suffix', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('qwen2')).dir);
  const p = buildPrompt(tok, 'Q?', { mode: 'chat', system: 'S', suffix: "\nLet's think step by step." });
  assert.equal(p.text, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ?\nLet's think step by step.<|im_end|>\n<|im_start|>assistant\n");
});

test('chat mode with a template that has a default system prompt (Qwen2.5-Math style): it appears unasked', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('qwen2', { defaultSystem: MATH_SYSTEM })).dir);
  const p = buildPrompt(tok, 'Q?', { mode: 'chat' });
  assert.equal(p.text, `<|im_start|>system\n${MATH_SYSTEM}<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n`);
});

test('chat mode, Llama 3: the template writes the one BOS; encoding adds none', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('llama3')).dir);
  const p = buildPrompt(tok, 'Q?', { mode: 'chat' });
  assert.equal(p.text, '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  assert.equal(p.ids.filter((id) => id === tok.bosId).length, 1);
  assert.equal(p.ids[0], tok.bosId);
});

test('raw mode: plain text + suffix; Llama 3 gets its BOS from the post-processor, Qwen2 nothing', async () => {
  const q = await loadTokenizer((await trainedTokenizer('qwen2')).dir);
  const pq = buildPrompt(q, 'Q: 1+1=', { mode: 'raw', suffix: ' A:' });
  assert.equal(pq.text, 'Q: 1+1= A:');
  assert.deepEqual(pq.ids, q.encode('Q: 1+1= A:'));
  const l = await loadTokenizer((await trainedTokenizer('llama3')).dir);
  const pl = buildPrompt(l, 'Q: 1+1=', { mode: 'raw' });
  assert.deepEqual(pl.ids, [l.bosId, ...l.encode('Q: 1+1=')]);
  assert.throws(() => buildPrompt(q, 'Q', { mode: 'raw', system: 'S' }), (e: Error) => e instanceof TtrlError && /needs chat mode/.test(e.message));
});

test('chat mode without a template: error names tokenizer_config.json and --raw', async () => {
  const dir = await variantDir('qwen2', 'notemplate', (cfg) => ({ ...cfg, chat_template: undefined }));
  const tok = await loadTokenizer(dir);
  assert.throws(() => buildPrompt(tok, 'Q', { mode: 'chat' }),
    (e: Error) => e instanceof TtrlError && /tokenizer_config\.json: no chat_template/.test(e.message) && /--raw/.test(e.message));
  assert.deepEqual(buildPrompt(tok, 'Q', { mode: 'raw' }).ids, tok.encode('Q'));
});
