// `ttrl generate`: sample completions of one prompt (text through the model's tokenizer, or raw token ids).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../model/model.js';
import { attachAdapter } from '../model/lora-io.js';
import { DEVICE_OPTION, DEVICE_HELP, PRECISION_OPTION, PRECISION_HELP, parseDevice, parsePrecision, getBackend, backendAt } from '../tensor/index.js';
import { sampleBatch, type Sample } from '../sample/batch.js';
import { DEFAULT_SAMPLING, SAMPLING_RULES, resolveSampling } from '../sample/params.js';
import { numberFlag, INTEGER, POSITIVE_INTEGER } from '../util/flags.js';
import { stopIds } from '../tokenizer/eos.js';
import { loadTokenizer, buildPrompt, parseThinking } from '../tokenizer/index.js';
import { TtrlError } from '../util/errors.js';
import { Progress, formatRate } from '../util/progress.js';

const HELP = `usage: ttrl generate --model DIR (--prompt TEXT | --ids 3,17,42) [options]

Samples completions of one prompt. With n = 1 the text streams to stdout; with n > 1 all samples are
printed when done. --json prints one JSON line per sample: {"ids", "text", "logprobs", "finish_reason"}
(ids are the new tokens; text is null without a tokenizer; logprobs are log softmax(logits / T) of each
sampled token over the full vocabulary).

  --model DIR            Hugging Face model directory (config.json, *.safetensors, tokenizer.json)
  --prompt TEXT          the prompt text (needs DIR/tokenizer.json)
  --ids LIST             the prompt as comma-separated token ids (no tokenizer needed)
  --chat | --raw         wrap the prompt in the model's chat template (default when it has one) or not
  --thinking on|off      Qwen3's thinking switch (enable_thinking; default: the template's)
  --adapter DIR          a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) on top of --model
  -n, --n N              samples (default 1)
  --temperature T        0 = greedy (default ${DEFAULT_SAMPLING.temperature})
  --top-p P              nucleus mass in (0, 1] (default ${DEFAULT_SAMPLING.topP})
  --top-k K              keep the K most likely tokens, 0 = off (default 0)
  --min-p P              drop tokens below P × the top probability, 0 = off (default 0)
  --max-new-tokens M     (default ${DEFAULT_SAMPLING.maxNewTokens})
  --stop TEXT            stop when the text contains TEXT (repeatable; needs a tokenizer)
  --seed S               random seed; sample j always uses the stream (S, 0, j) (default 0)
  --max-slots K          most sequences decoded at once (default 64)
  --json                 one JSON line per sample
${DEVICE_HELP}
${PRECISION_HELP}
`;

function parseIds(s: string, V: number): number[] {
  const ids = s.split(',').map((t) => t.trim());
  return ids.map((t) => {
    const x = Number(t);
    if (t === '' || !Number.isInteger(x) || x < 0 || x >= V) {
      throw new TtrlError(`--ids ${s}: ${JSON.stringify(t)} is not a token id in [0, ${V}) (write ids as 3,17,42)`);
    }
    return x;
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values: a } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      model: { type: 'string' }, prompt: { type: 'string' }, ids: { type: 'string' },
      chat: { type: 'boolean' }, raw: { type: 'boolean' }, thinking: { type: 'string' }, adapter: { type: 'string' }, n: { type: 'string', short: 'n' },
      temperature: { type: 'string' }, 'top-p': { type: 'string' }, 'top-k': { type: 'string' }, 'min-p': { type: 'string' },
      'max-new-tokens': { type: 'string' }, stop: { type: 'string', multiple: true }, seed: { type: 'string' },
      'max-slots': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...DEVICE_OPTION, ...PRECISION_OPTION,
    },
  });
  if (a.help) { process.stdout.write(HELP); return 0; }
  if (!a.model) throw new TtrlError('generate: --model DIR is required (see ttrl generate --help)');
  if ((a.prompt === undefined) === (a.ids === undefined)) throw new TtrlError('generate: give exactly one of --prompt TEXT or --ids 3,17,42');
  if (a.chat && a.raw) throw new TtrlError('generate: --chat and --raw exclude each other');
  if (a.ids !== undefined && (a.chat || a.raw)) throw new TtrlError('generate: --chat / --raw apply to --prompt, not to --ids');

  const n = numberFlag('n', a.n, 1, POSITIVE_INTEGER);
  const seed = numberFlag('seed', a.seed, 0, INTEGER);
  const maxSlots = numberFlag('max-slots', a['max-slots'], 64, POSITIVE_INTEGER);
  const partial = {
    temperature: numberFlag('temperature', a.temperature, DEFAULT_SAMPLING.temperature, SAMPLING_RULES.temperature),
    topP: numberFlag('top-p', a['top-p'], DEFAULT_SAMPLING.topP, SAMPLING_RULES.topP),
    topK: numberFlag('top-k', a['top-k'], 0, SAMPLING_RULES.topK),
    minP: numberFlag('min-p', a['min-p'], 0, SAMPLING_RULES.minP),
    maxNewTokens: numberFlag('max-new-tokens', a['max-new-tokens'], DEFAULT_SAMPLING.maxNewTokens, SAMPLING_RULES.maxNewTokens),
    stopStrings: a.stop ?? [],
  };

  const dir = a.model;
  const model = loadModel(dir, backendAt(getBackend(parseDevice(a.device)), parsePrecision(a.precision)));
  if (a.adapter !== undefined) attachAdapter(model, a.adapter);
  const hasTok = fs.existsSync(path.join(dir, 'tokenizer.json'));
  if (!hasTok && a.prompt !== undefined) {
    throw new TtrlError(`${path.join(dir, 'tokenizer.json')}: not found; --prompt needs the model's tokenizer (or give token ids with --ids)`);
  }
  if (!hasTok && partial.stopStrings.length > 0) throw new TtrlError(`--stop needs ${path.join(dir, 'tokenizer.json')} (not found)`);
  const tok = hasTok ? await loadTokenizer(dir) : null;

  let ids: number[];
  if (a.ids !== undefined) ids = parseIds(a.ids, model.cfg.vocabSize);
  else {
    const mode = a.raw ? 'raw' : a.chat ? 'chat' : tok!.chatTemplate ? 'chat' : 'raw';
    ids = buildPrompt(tok!, a.prompt!, { mode, thinking: parseThinking(a.thinking) }).ids;
  }
  const params = resolveSampling({ ...partial, eosIds: stopIds(tok, model.cfg) }, 'generate');

  // n = 1 streams its text to stdout; otherwise a progress line on stderr, only on a terminal
  const streaming = n === 1 && !a.json && tok !== null;
  const tty = process.stderr.isTTY === true;
  const bar = new Progress('generate', n, { unit: 'sample', silent: streaming || !tty });
  const t0 = performance.now();
  let tokens = 0;
  const [samples] = sampleBatch(model, [{ ids, n, key: 0 }], params, {
    seed, maxSlots, decoder: tok ? { decode: (x) => tok.decode(x, { skipSpecial: true }) } : null,
    onText: streaming ? (_r, _j, delta) => process.stdout.write(delta) : undefined,
    onProgress: (p) => { bar.update(p.samplesDone); tokens = p.newTokens; },
  });
  bar.finish();
  const secs = (performance.now() - t0) / 1000;
  if (!streaming && tty) process.stderr.write(`${n} samples · ${tokens} tokens · ${formatRate(tokens / secs)} tok/s\n`);

  if (a.json) {
    for (const s of samples!) {
      process.stdout.write(JSON.stringify({ ids: s.ids, text: s.text, logprobs: s.logprobs, finish_reason: s.finishReason }) + '\n');
    }
  } else if (streaming) {
    const s = samples![0]!;
    process.stdout.write('\n');
    if (tty) process.stderr.write(`[${s.finishReason} · ${s.ids.length} tokens · ${(s.ids.length / secs).toFixed(1)} tok/s]\n`);
  } else {
    samples!.forEach((s, j) => process.stdout.write(readable(s, j, n)));
  }
  return 0;
}

function readable(s: Sample, j: number, n: number): string {
  const head = n > 1 ? `=== sample ${j + 1}/${n} · ${s.finishReason} · ${s.ids.length} tokens ===\n` : '';
  const body = s.text ?? `ids: ${s.ids.join(' ')}`;
  const tail = n > 1 ? '' : `\n(${s.finishReason}, ${s.ids.length} tokens)`;
  return `${head}${body}${tail}\n`;
}
