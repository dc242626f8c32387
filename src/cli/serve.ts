// `ttrl serve`: an OpenAI-compatible HTTP server on the continuous-batching sampler (docs/serving.md).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel, type Model } from '../model/model.js';
import { attachAdapter, isAdapterDir } from '../model/lora-io.js';
import { DEVICE_OPTION, DEVICE_HELP, PRECISION_OPTION, PRECISION_HELP, parseDevice, parsePrecision, getBackend, backendAt } from '../tensor/index.js';
import { loadTokenizer } from '../tokenizer/index.js';
import { startServer } from '../serve/server.js';
import { TtrlError } from '../util/errors.js';

const HELP = `usage: ttrl serve --model DIR [options]

Serves DIR over OpenAI's API: GET /v1/models, POST /v1/completions, POST /v1/chat/completions (both
with "stream": true), GET /health, and for RL trainers POST /update_weights_from_disk {"model_path"} and
GET /get_weight_version. Requests from all clients share one continuous batch. A request with "seed": S
gives the samples of \`ttrl generate --seed S\` with the same settings. Ctrl-C finishes the requests in
flight and exits. See docs/serving.md.

  --model DIR                 Hugging Face model directory (config.json, *.safetensors, tokenizer.json)
  --adapter DIR               a PEFT LoRA adapter folder on top of --model (/update_weights_from_disk also takes one)
  --served-model-name NAME    the model name clients send (default: DIR as given)
  --host HOST                 address to bind (default 127.0.0.1: this machine only)
  --port PORT                 (default 8000; 0 = any free port, printed at start)
  --api-key KEY               require "Authorization: Bearer KEY" on every request
  --max-slots K               most samples decoded at once (default 32)
  --max-model-len L           longest prompt + max_tokens (default the model's limit, at most 2048)
  --max-n N                   most samples per request, n × prompts (default 256)
  --max-body-mb M             largest request body (default 16)
  --weight-version V          version reported before any weight update (default 0)
  --quiet                     no log line per request
${DEVICE_HELP}
${PRECISION_HELP}
`;

function int(flag: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (v.trim() === '' || !Number.isInteger(x) || x < min) throw new TtrlError(`--${flag} ${v}: must be an integer >= ${min}`);
  return x;
}

export async function run(argv: string[]): Promise<number> {
  const { values: a } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      model: { type: 'string' }, 'served-model-name': { type: 'string' }, host: { type: 'string' }, port: { type: 'string' },
      'api-key': { type: 'string' }, 'max-slots': { type: 'string' }, 'max-model-len': { type: 'string' }, 'max-n': { type: 'string' },
      'max-body-mb': { type: 'string' }, 'weight-version': { type: 'string' }, quiet: { type: 'boolean' },
      adapter: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...DEVICE_OPTION, ...PRECISION_OPTION,
    },
  });
  if (a.help) { process.stdout.write(HELP); return 0; }
  if (!a.model) throw new TtrlError('serve: --model DIR is required (see ttrl serve --help)');
  const port = int('port', a.port, 8000, 0);
  if (port > 65535) throw new TtrlError(`--port ${port}: must be at most 65535`);
  const be = backendAt(getBackend(parseDevice(a.device)), parsePrecision(a.precision));
  // A PEFT adapter folder (at start, or later through /update_weights_from_disk) goes on top of --model.
  const load = (dir: string, adapter?: string): Model => {
    const m = loadModel(adapter === undefined && isAdapterDir(dir) ? a.model! : dir, be);
    const ad = adapter ?? (isAdapterDir(dir) ? dir : undefined);
    if (ad !== undefined) attachAdapter(m, ad);
    return m;
  };
  const model = load(a.model, a.adapter);
  const tok = fs.existsSync(path.join(a.model, 'tokenizer.json')) ? await loadTokenizer(a.model) : null;
  const contextLimit = int('max-model-len', a['max-model-len'], Math.min(model.cfg.maxPos, 2048), 2);
  const server = await startServer({
    model, tok, servedName: a['served-model-name'] ?? a.model,
    slots: int('max-slots', a['max-slots'], 32, 1), contextLimit,
    limits: { maxN: int('max-n', a['max-n'], 256, 1), maxLogprobs: 20 },
    maxBodyBytes: int('max-body-mb', a['max-body-mb'], 16, 1) * 2 ** 20,
    apiKey: a['api-key'] ?? null, version: a['weight-version'] ?? '0',
    load: (dir) => load(dir),
    log: a.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  }, a.host ?? '127.0.0.1', port);
  process.stderr.write(`ttrl serve: ${a['served-model-name'] ?? a.model} on ${server.url}/v1${tok ? '' : ' (no tokenizer: token-id prompts only)'}\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) { process.stderr.write('ttrl serve: exiting now\n'); process.exit(130); }
      stopping = true;
      process.stderr.write('ttrl serve: finishing requests in flight (Ctrl-C again to exit now)\n');
      server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
