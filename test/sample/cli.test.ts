// `ttrl generate` end to end (a child process), on the HF parity fixtures (which have no tokenizer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, SHARED_DIR } from '../shared.js';

const DIR = path.join(SHARED_DIR, 'fixtures', 'hf-parity');
const ttrl = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ttrl.js'), 'generate', ...args], { encoding: 'utf8' });

test('--ids --temperature 0 --json prints one line {"ids": HF greedy tokens, ...}', () => {
  for (const name of ['qwen2', 'llama']) {
    const g = JSON.parse(fs.readFileSync(path.join(DIR, name, 'reference.json'), 'utf8')).generation;
    const r = ttrl('--model', path.join(DIR, name), '--ids', g.prompt[0].join(','), '--max-new-tokens', '10', '--temperature', '0', '--json');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]!);
    assert.deepEqual(out.ids, g.new_tokens[0]);
    assert.deepEqual(Object.keys(out), ['ids', 'text', 'logprobs', 'finish_reason']);
    assert.equal(out.text, null);
    assert.equal(out.logprobs.length, 10);
    assert.equal(out.finish_reason, 'length');
  }
});

test('-n 4 --json prints 4 reproducible samples; the readable form names each sample', () => {
  const args = ['--model', path.join(DIR, 'qwen2'), '--ids', '5,6,7', '--max-new-tokens', '6', '-n', '4', '--seed', '3'];
  const a = ttrl(...args, '--json'), b = ttrl(...args, '--json', '--max-slots', '2');
  assert.equal(a.status, 0, a.stderr);
  const la = a.stdout.trim().split('\n').map((l) => JSON.parse(l).ids);
  assert.equal(la.length, 4);
  assert.deepEqual(b.stdout.trim().split('\n').map((l) => JSON.parse(l).ids), la, 'same seed, other slot budget');
  const human = ttrl(...args);
  assert.equal(human.status, 0, human.stderr);
  assert.equal((human.stdout.match(/=== sample \d\/4/g) ?? []).length, 4);
  assert.ok(human.stdout.includes(`ids: ${la[0].join(' ')}`));
});

test('bad input exits 2 with a one-line message naming the flag', () => {
  const m = ['--model', path.join(DIR, 'qwen2')];
  for (const [args, re] of [
    [[...m, '--ids', '3,x'], /--ids 3,x/],
    [[...m, '--ids', '3', '--top-p', '1.5'], /--top-p 1.5/],
    [[...m, '--ids', '3', '--nope'], /nope/],
    [[...m, '--prompt', 'hi'], /tokenizer\.json: not found/],
    [[...m], /exactly one of --prompt/],
    [['--model', '/nonexistent', '--ids', '3'], /not found/],
  ] as [string[], RegExp][]) {
    const r = ttrl(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('--prompt with a tokenizer: streamed text (n = 1) equals the --json text; chat/raw prompts; --stop', async () => {
  const { trainedTokenizer, tempDir } = await import('../tokenizer/fixture.js');
  const { loadTokenizer } = await import('../../src/tokenizer/index.js');
  const { parseConfig } = await import('../../src/model/config.js');
  const { initModel } = await import('../../src/model/model.js');
  const { dir: tokDir } = await trainedTokenizer('qwen2');
  const dir = tempDir('generate');
  for (const f of fs.readdirSync(tokDir)) fs.copyFileSync(path.join(tokDir, f), path.join(dir, f));
  const tok = await loadTokenizer(dir);
  const cfg = parseConfig({ model_type: 'qwen2', vocab_size: tok.vocabSize, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 256, tie_word_embeddings: true });
  initModel(cfg, 1, undefined, 0.3).save(dir);
  const base = ['--model', dir, '--prompt', 'What is 12 + 345?', '--max-new-tokens', '25', '--seed', '9', '--temperature', '1'];
  for (const mode of ['--chat', '--raw']) {
    const js = ttrl(...base, mode, '--json'), streamed = ttrl(...base, mode);
    assert.equal(js.status, 0, js.stderr);
    assert.equal(streamed.status, 0, streamed.stderr);
    const s = JSON.parse(js.stdout);
    assert.equal(typeof s.text, 'string');
    assert.equal(s.text, tok.decode(s.finish_reason === 'eos' ? s.ids.slice(0, -1) : s.ids, { skipSpecial: true }));
    assert.equal(streamed.stdout, s.text + '\n', `${mode}: streamed text differs from the JSON text`);
  }
  // a stop string taken from an unstopped sample's own text: the rerun stops there, with the same ids up to it
  const free = JSON.parse(ttrl(...base, '--raw', '--json').stdout);
  let cut = Math.floor(free.text.length / 2);
  while (free.text.slice(cut, cut + 3).includes('\uFFFD')) cut++;  // a stop string of whole characters
  const stop = free.text.slice(cut, cut + 3);
  assert.equal(stop.length, 3, `no clean 3-character window in ${JSON.stringify(free.text)}`);
  const stopped = JSON.parse(ttrl(...base, '--raw', '--json', '--stop', stop).stdout);
  assert.equal(stopped.finish_reason, 'stop');
  assert.equal(stopped.text, free.text.slice(0, free.text.indexOf(stop)));
  assert.deepEqual(stopped.ids, free.ids.slice(0, stopped.ids.length));
});
