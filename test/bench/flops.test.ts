// The benchmark's model and FLOP counts against hand counts: Qwen2.5-0.5B has 494,032,768 parameters
// (the HF checkpoint's tensors, tied head counted once), and causal attention over T tokens has T(T+1)/2
// (query, key) pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qwenConfig, matmulParams, forwardFlops, causalPairs } from '../../bench/qwen.js';
import { paramSpecs } from '../../src/model/params.js';

test('Qwen2.5-0.5B shapes: 494,032,768 parameters; matmul weights are everything but embedding, norms, biases', () => {
  const cfg = qwenConfig();
  const total = paramSpecs(cfg).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
  assert.equal(total, 494_032_768);
  const { layers, head } = matmulParams(cfg);
  assert.equal(head, 151936 * 896);
  // per layer: norms 2·896, biases 896 + 2·128; plus the final norm
  assert.equal(layers + head + 24 * (2 * 896 + 896 + 256) + 896, total);
});

test('causal pairs and forward FLOPs by hand', () => {
  assert.equal(causalPairs(1, 3), 6);                 // 1 + 2 + 3
  assert.equal(causalPairs(2, 1, 256), 2 * 257);      // one new token attends to 256 cached + itself
  assert.equal(causalPairs(1, 2, 5), 6 + 7);
  const cfg = qwenConfig(), { layers, head } = matmulParams(cfg);
  const attnPerPair = 4 * 64 * 14 * 24;               // q·k and p·v: 2·D each, per head, per layer
  assert.equal(forwardFlops(cfg, 10, 3, 55), 2 * layers * 10 + 2 * head * 3 + attnPerPair * 55);
});
