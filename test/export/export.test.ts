import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/cli/export.js';
import { exportGguf, exportHf } from '../../src/export/export.js';
import { readConfig } from '../../src/model/config.js';
import { readSafetensors } from '../../src/model/safetensors.js';
import { PARITY_DIR, tinyTokenizer } from './fixtures.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-export-'));

/** A run-checkpoint-like folder: a fixture's config + weights, optimizer state, and maybe tokenizer files. */
function checkpoint(name: string, withTokenizer: boolean): string {
  const dir = tmp();
  for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(PARITY_DIR, name, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'optimizer.safetensors'), 'not part of a Hugging Face model');
  if (withTokenizer) {
    // (the tiny tokenizer has ids up to 263, beyond these fixtures' vocab: fine for copying, not for GGUF)
    const { tokenizer, tokenizerConfig } = tinyTokenizer();
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
  }
  return dir;
}

test('GGUF export of a sharded checkpoint is byte-identical to the single-file one', () => {
  const dir = tmp();
  const a = path.join(dir, 'a.gguf'), b = path.join(dir, 'b.gguf');
  exportGguf({ modelDir: path.join(PARITY_DIR, 'llama'), out: a, dtype: 'f32', byteVocab: true, name: 'm' });
  exportGguf({ modelDir: path.join(PARITY_DIR, 'llama-sharded'), out: b, dtype: 'f32', byteVocab: true, name: 'm' });
  assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)));
});

test('GGUF export errors name what is missing: tokenizer files, unsupported architecture, unsupported tokenizer', () => {
  const out = path.join(tmp(), 'x.gguf');
  assert.throws(() => exportGguf({ modelDir: path.join(PARITY_DIR, 'qwen2'), out, dtype: 'f32' }),
    /qwen2\/tokenizer\.json not found: .*pass --byte-vocab/);
  const dir = checkpoint('llama', false);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'mistral' }));
  assert.throws(() => exportGguf({ modelDir: dir, out, dtype: 'f32', byteVocab: true }), /unsupported model_type "mistral"/);
  const dir2 = checkpoint('qwen2', true);
  const tj = JSON.parse(fs.readFileSync(path.join(dir2, 'tokenizer.json'), 'utf8'));
  fs.writeFileSync(path.join(dir2, 'tokenizer.json'), JSON.stringify({ ...tj, model: { type: 'WordPiece', vocab: {} } }));
  assert.throws(() => exportGguf({ modelDir: dir2, out, dtype: 'f32' }), /model\.type "WordPiece" is not supported/);
  assert.ok(!fs.existsSync(out));
});

test('HF export: a clean folder whose weights and config reload exactly; optimizer state left behind', () => {
  const ckpt = checkpoint('llama', true);
  const out = path.join(tmp(), 'hf');
  const files = exportHf({ modelDir: ckpt, out });
  assert.deepEqual(files, ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  const a = readSafetensors(path.join(PARITY_DIR, 'llama')), b = readSafetensors(out);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [k, t] of a) assert.ok(Buffer.from(t.data.buffer).equals(Buffer.from(b.get(k)!.data.buffer)), k);
  assert.deepEqual(readConfig(out).raw, { ...readConfig(path.join(PARITY_DIR, 'llama')).raw, torch_dtype: 'float32' });
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'generation_config.json'), 'utf8')),
    { _from_model_config: true, bos_token_id: 1, eos_token_id: 2 });
  assert.throws(() => exportHf({ modelDir: ckpt, out }), /is not empty/);
  assert.throws(() => exportHf({ modelDir: path.join(PARITY_DIR, 'qwen2'), out: path.join(tmp(), 'o') }), /no tokenizer files .*--tokenizer DIR/);
  // the tokenizer can come from another folder (a run checkpoint's base model)
  const files2 = exportHf({ modelDir: path.join(PARITY_DIR, 'qwen2'), out: path.join(tmp(), 'o'), tokenizerDir: ckpt });
  assert.ok(files2.includes('tokenizer.json'));
});

test('ttrl export CLI: flags are checked before any work', async () => {
  const m = path.join(PARITY_DIR, 'llama');
  await assert.rejects(run(['--model', m, '--out', '/tmp/x']), /--format must be gguf or hf, got nothing/);
  await assert.rejects(run(['--model', m, '--format', 'gguf', '--out', '/tmp/x', '--dtype', 'q4']), /--dtype must be f32 or f16/);
  await assert.rejects(run(['--model', m, '--format', 'hf', '--out', '/tmp/x', '--dtype', 'f16']), /apply to --format gguf only/);
  await assert.rejects(run(['--model', m, '--format', 'gguf', '--out', '/tmp/x', '--bogus']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
  const out = path.join(tmp(), 'm.gguf');
  assert.equal(await run(['--model', m, '--format', 'gguf', '--out', out, '--byte-vocab', '--dtype', 'f16']), 0);
  assert.equal(fs.readFileSync(out).subarray(0, 4).toString(), 'GGUF');
});
