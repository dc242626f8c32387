// `ttrl eval --model DIR --data FILE [--k 16] [--json]`: pass@1 (avg@k), maj@k, best@k and greedy accuracy.
import { parseArgs } from 'node:util';
import { loadModel } from '../model/model.js';
import { attachAdapter } from '../model/lora-io.js';
import { loadTokenizer, buildPrompt, parseThinking } from '../tokenizer/index.js';
import { loadLabeled } from '../data/dataset.js';
import { evaluate } from '../rl/evaluate.js';
import { Progress } from '../util/progress.js';
import { check } from '../util/errors.js';
import { numberFlag, INTEGER, POSITIVE_INTEGER, NON_NEGATIVE_INTEGER } from '../util/flags.js';
import { SAMPLING_RULES } from '../sample/params.js';
import { stopIds } from '../tokenizer/eos.js';
import { DEVICE_OPTION, DEVICE_HELP, PRECISION_OPTION, PRECISION_HELP, parseDevice, parsePrecision, getBackend, backendAt } from '../tensor/index.js';

const HELP = `usage: ttrl eval --model DIR --data FILE [options]
  --k K                 samples per problem (default 16, the paper's avg@16)
  --temperature T       (default 0.6)    --top-p P (default 0.95)
  --max-new-tokens N    (default 3072)
  --limit N             only the first N problems
  --prompt-key / --answer-key   field names (default prompt / answer)
  --raw                 no chat template     --system TEXT   system prompt
  --thinking on|off     Qwen3's thinking switch (enable_thinking; default: the template's)
  --adapter DIR         a PEFT LoRA adapter folder on top of --model
  --choices             multiple-choice answers (GPQA letters)
  --no-greedy           skip the greedy pass
  --seed S              (default 0)          --json   one JSON line on stdout
${DEVICE_HELP}
${PRECISION_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: {
    model: { type: 'string' }, data: { type: 'string' }, k: { type: 'string', default: '16' },
    temperature: { type: 'string', default: '0.6' }, 'top-p': { type: 'string', default: '0.95' },
    'max-new-tokens': { type: 'string', default: '3072' }, limit: { type: 'string' },
    'prompt-key': { type: 'string', default: 'prompt' }, 'answer-key': { type: 'string', default: 'answer' },
    raw: { type: 'boolean', default: false }, system: { type: 'string' }, thinking: { type: 'string' }, adapter: { type: 'string' }, choices: { type: 'boolean', default: false },
    'no-greedy': { type: 'boolean', default: false }, seed: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' }, ...DEVICE_OPTION, ...PRECISION_OPTION,
  } });
  if (v.help) { process.stdout.write(HELP + '\n'); return 0; }
  check(v.model, '--model DIR is required');
  check(v.data, '--data FILE is required');
  const model = loadModel(v.model, backendAt(getBackend(parseDevice(v.device)), parsePrecision(v.precision)));
  if (v.adapter !== undefined) attachAdapter(model, v.adapter);
  const tok = await loadTokenizer(v.model);
  let data = await loadLabeled(v.data, { promptKey: v['prompt-key'], answerKey: v['answer-key'] });
  if (v.limit) data = data.slice(0, numberFlag('limit', v.limit, 0, NON_NEGATIVE_INTEGER));
  const thinking = parseThinking(v.thinking);
  const prompts = data.map((x) => ({
    ids: buildPrompt(tok, x.prompt, { mode: v.raw ? 'raw' : 'chat', thinking, ...(v.system !== undefined ? { system: v.system } : {}) }).ids,
    answer: x.answer,
  }));
  const k = numberFlag('k', v.k, 16, POSITIVE_INTEGER);
  const bar = new Progress('eval', prompts.length * k, { unit: 'sample' });
  const r = await evaluate(model, prompts, (ids) => tok.decode(ids, { skipSpecial: true }), {
    k, temperature: numberFlag('temperature', v.temperature, 0.6, SAMPLING_RULES.temperature),
    topP: numberFlag('top-p', v['top-p'], 0.95, SAMPLING_RULES.topP),
    maxNewTokens: numberFlag('max-new-tokens', v['max-new-tokens'], 3072, SAMPLING_RULES.maxNewTokens),
    eosIds: stopIds(tok, model.cfg), seed: numberFlag('seed', v.seed, 0, INTEGER), greedy: !v['no-greedy'], choices: v.choices,
  }, { onProgress: (p) => bar.update(p.samplesDone) });
  bar.finish();
  if (!r) throw new Error('evaluation stopped early');
  if (v.json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`problems ${r.n_problems}  pass@1 (avg@${r.k}) ${r.pass1.toFixed(4)}  maj@${r.k} ${r.maj.toFixed(4)}  best@${r.k} ${r.best.toFixed(4)}  greedy ${r.greedy === null ? '-' : r.greedy.toFixed(4)}\n`);
  return 0;
}
