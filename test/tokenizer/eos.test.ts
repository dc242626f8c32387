// The end-of-sequence rule: stop on the union of the tokenizer's and config.json's end ids (tokenizer first),
// end a training completion with the first of them; no end token at all is an error naming the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stopIds, endOfSequenceId } from '../../src/tokenizer/eos.js';
import { TtrlError } from '../../src/util/errors.js';

test('stopIds: tokenizer ids first, then config.json ids, no repeats', () => {
  assert.deepEqual(stopIds({ eosIds: [151645, 151643] }, { eosIds: [151643] }), [151645, 151643]);
  assert.deepEqual(stopIds({ eosIds: [] }, { eosIds: [2, 7] }), [2, 7]);
  assert.deepEqual(stopIds(null, { eosIds: [5] }), [5]);
  assert.deepEqual(stopIds({ eosIds: [9] }, { eosIds: [3] }), [9, 3], 'a model-only end id still stops generation');
});

test('endOfSequenceId: the first stop id; none is a TtrlError naming the model', () => {
  assert.equal(endOfSequenceId({ eosIds: [4, 1] }, { eosIds: [1] }, 'm'), 4);
  assert.equal(endOfSequenceId({ eosIds: [] }, { eosIds: [1] }, 'm'), 1);
  assert.throws(() => endOfSequenceId({ eosIds: [] }, { eosIds: [] }, 'models/x'), (e: unknown) => e instanceof TtrlError && /models\/x/.test(e.message));
});
