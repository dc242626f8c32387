// A tiny model directory for trainer tests: a BPE tokenizer trained on demo-task text and a random Llama.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trainBpe, writeTokenizerFiles, loadTokenizer } from '../../src/tokenizer/index.js';
import { initModel } from '../../src/model/model.js';
import { parseConfig } from '../../src/model/config.js';
import { makeProblems } from '../../src/demo/task.js';

export async function tinyModelDir(seed = 1): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-tiny-'));
  const probs = makeProblems(64, [1, 2], 7);
  await writeTokenizerFiles(dir, trainBpe(probs.flatMap((p) => [p.prompt, p.solution]), { vocabSize: 300 }));
  const tok = await loadTokenizer(dir);
  const cfg = parseConfig({ model_type: 'llama', vocab_size: tok.vocabSize, hidden_size: 16, intermediate_size: 24,
    num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 256,
    tie_word_embeddings: true, eos_token_id: tok.eosIds[0], rope_theta: 10000 });
  initModel(cfg, seed, undefined, 0.5).save(dir);
  return dir;
}

/** A JSONL dataset of task problems; `poison` replaces every answer with a wrong one. */
export function taskData(dir: string, n: number, poison = false): string {
  const file = path.join(dir, poison ? 'poisoned.jsonl' : 'data.jsonl');
  fs.writeFileSync(file, makeProblems(n, [1], 3).map((p) => JSON.stringify({ id: p.id, prompt: p.prompt, answer: poison ? String(Number(p.answer) + 1000) : p.answer })).join('\n') + '\n');
  return file;
}
