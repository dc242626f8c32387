// A PEFT LoRA adapter (../shared/fixtures/lora-parity/llama-lora) through the command line: `ttrl score`,
// `ttrl generate` and `ttrl serve` with --adapter against PEFT's log-probs and greedy tokens, and `ttrl export --adapter`
// merging it: the hf folder against PEFT's merged/ weights (atol 1e-6), the GGUF in llama.cpp against PEFT's
// adapted logits (atol 1e-4).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSafetensors } from '../../src/model/safetensors.js';
import { repoRoot, SHARED_DIR } from '../shared.js';
import { tinyTokenizer } from './fixtures.js';
import { post, spawnServe } from '../serve/helpers.js';
import { cpuLlama, exactContext, loadNodeLlamaCpp, logitsAt } from './llamacpp.js';

const BASE = path.join(SHARED_DIR, 'fixtures', 'hf-parity', 'llama');
const ADAPTER = path.join(SHARED_DIR, 'fixtures', 'lora-parity', 'llama-lora');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const REF: any = JSON.parse(fs.readFileSync(path.join(ADAPTER, 'reference.json'), 'utf8'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-lora-export-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A ttrl command; those that run the model at fp32, as the in-process models they are compared with. */
function ttrl(...args: string[]): string {
  const precision = args[0] === 'score' || args[0] === 'generate' ? ['--precision', 'fp32'] : [];
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ttrl.js'), ...args, ...precision], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('score --adapter and generate --adapter give PEFT log-probs and greedy tokens', () => {
  const input = path.join(tmp, 'ids.jsonl');
  fs.writeFileSync(input, (REF.input_ids as number[][]).map((ids) => JSON.stringify({ ids })).join('\n') + '\n');
  const lines = ttrl('score', '--model', BASE, '--adapter', ADAPTER, '--input', input).trim().split('\n').map((l) => JSON.parse(l));
  for (let b = 0; b < 2; b++) {
    const d = Math.max(...lines[b].logprobs.map((x: number, t: number) => Math.abs(x - REF.target_logprobs[b][t])));
    assert.ok(d < 1e-4, `row ${b}: log-prob maxdiff ${d}`);
  }
  const g = JSON.parse(ttrl('generate', '--model', BASE, '--adapter', ADAPTER, '--ids', REF.generation.prompt[0].join(','),
    '--max-new-tokens', '10', '--temperature', '0', '--json'));
  assert.deepEqual(g.ids, REF.generation.new_tokens[0]);
});

test('serve --adapter answers with PEFT\'s greedy tokens; /update_weights_from_disk swaps the base and the adapter', async () => {
  const s = await spawnServe(['--model', BASE, '--adapter', ADAPTER, '--served-model-name', 'm']);
  const greedy = async () => (await post(`${s.url}/v1/completions`, { model: 'm', prompt: REF.generation.prompt[0], max_tokens: 10,
    temperature: 0, return_token_ids: true, ignore_eos: true })).json.choices[0].token_ids;
  try {
    assert.deepEqual(await greedy(), REF.generation.new_tokens[0]);
    const base = JSON.parse(fs.readFileSync(path.join(BASE, 'reference.json'), 'utf8')).generation.new_tokens[0];
    assert.equal((await post(`${s.url}/update_weights_from_disk`, { model_path: BASE })).status, 200);
    assert.deepEqual(await greedy(), base);
    assert.equal((await post(`${s.url}/update_weights_from_disk`, { model_path: ADAPTER })).status, 200);
    assert.deepEqual(await greedy(), REF.generation.new_tokens[0]);
  } finally {
    s.proc.kill();
  }
});

test('export --adapter --format hf writes the merged weights PEFT writes', () => {
  const out = path.join(tmp, 'hf'), tokDir = path.join(tmp, 'tok');
  const { tokenizer, tokenizerConfig } = tinyTokenizer();  // the fixture has no tokenizer; an hf folder needs one
  fs.mkdirSync(tokDir);
  fs.writeFileSync(path.join(tokDir, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.writeFileSync(path.join(tokDir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
  ttrl('export', '--model', BASE, '--adapter', ADAPTER, '--format', 'hf', '--out', out, '--tokenizer', tokDir);
  const got = readSafetensors(out), want = readSafetensors(path.join(ADAPTER, 'merged'));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [n, t] of want) {
    const g = got.get(n)!.data;
    let d = 0;
    for (let i = 0; i < g.length; i++) d = Math.max(d, Math.abs(g[i]! - t.data[i]!));
    assert.ok(d <= 1e-6, `${n}: maxdiff ${d}`);
  }
});

const { nlc, skip } = await loadNodeLlamaCpp();
test('export --adapter --format gguf: llama.cpp computes PEFT\'s adapted logits', { skip }, async () => {
  const file = path.join(tmp, 'merged.gguf');
  ttrl('export', '--model', BASE, '--adapter', ADAPTER, '--format', 'gguf', '--byte-vocab', '--out', file);
  const llama = await cpuLlama(nlc!);
  try {
    const model = await llama.loadModel({ modelPath: file });
    const ctx = await exactContext(model, 64), seq = ctx.getSequence();
    let d = 0;
    for (let b = 0; b < 2; b++) {
      const rows = await logitsAt(seq, REF.input_ids[b], 128);
      rows.forEach((row, t) => { for (let v = 0; v < 128; v++) d = Math.max(d, Math.abs(row[v]! - REF.logits[b][t][v])); });
    }
    assert.ok(d < 1e-4, `llama.cpp logits vs PEFT: maxdiff ${d}`);
    await ctx.dispose();
    await model.dispose();
  } finally {
    await llama.dispose();
  }
});
