// `ttrl score --model DIR --input FILE.jsonl`: per-token log-probs of token sequences.
// Output contract: one line per input, in order: {"logprobs":[...],"nll":x}, logprobs[t] = log p(ids[t+1] | ids[..t]).
import { parseArgs } from 'node:util';
import { loadModel } from '../model/model.js';
import { attachAdapter } from '../model/lora-io.js';
import { readJsonl, idsField } from '../util/jsonl.js';
import { check } from '../util/errors.js';
import { DEVICE_OPTION, DEVICE_HELP, PRECISION_OPTION, PRECISION_HELP, parseDevice, parsePrecision, getBackend, backendAt } from '../tensor/index.js';

const HELP = `usage: ttrl score --model DIR --input FILE.jsonl [--batch-size 8] [--adapter DIR]
  --adapter DIR: a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) on top of --model
  each input line {"ids":[int,...]}; writes {"logprobs":[...],"nll":x} per line to stdout
${DEVICE_HELP}
${PRECISION_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: {
    model: { type: 'string' }, input: { type: 'string' }, adapter: { type: 'string' }, 'batch-size': { type: 'string', default: '8' },
    help: { type: 'boolean', short: 'h' }, ...DEVICE_OPTION, ...PRECISION_OPTION,
  } });
  if (values.help) { process.stdout.write(HELP + '\n'); return 0; }
  check(values.model, '--model DIR is required');
  check(values.input, '--input FILE.jsonl is required');
  const bs = Number(values['batch-size']);
  check(Number.isInteger(bs) && bs > 0, `--batch-size must be a positive integer, got ${values['batch-size']}`);
  const model = loadModel(values.model, backendAt(getBackend(parseDevice(values.device)), parsePrecision(values.precision)));
  if (values.adapter !== undefined) attachAdapter(model, values.adapter);
  const seqs = readJsonl(values.input).map((l) => idsField(l.value, `${values.input}:${l.line}`, model.cfg.vocabSize));
  for (let i = 0; i < seqs.length; i += bs) {
    const chunk = seqs.slice(i, i + bs);
    const B = chunk.length, T = Math.max(...chunk.map((s) => s.length));
    const ids = new Int32Array(B * T), mask = new Float32Array(B * T), targets = new Int32Array(B * T).fill(-1);
    chunk.forEach((s, b) => s.forEach((id, t) => {
      ids[b * T + t] = id; mask[b * T + t] = 1;
      if (t + 1 < s.length) targets[b * T + t] = s[t + 1]!;
    }));
    const st = model.forward({ B, T, ids, mask, targets });
    const out: string[] = [];
    chunk.forEach((s, b) => {
      const lp = Array.from(st.logprobs.subarray(b * T, b * T + s.length - 1));
      const nll = lp.length ? -lp.reduce((a, x) => a + x, 0) / lp.length : 0;
      out.push(JSON.stringify({ logprobs: lp, nll }));
    });
    process.stdout.write(out.join('\n') + '\n');
  }
  return 0;
}
