// `ttrl sft`: supervised fine-tuning on token ids (or prompt/completion text with the model's tokenizer);
// writes a Hugging Face model directory (plus optimizer state) to --out.
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import { loadModel } from '../model/model.js';
import { copySideFiles } from '../model/params.js';
import { sft, type SftExample } from '../train/sft.js';
import { Optimizer, DEFAULT_OPTIM, type OptimizerKind } from '../train/optim.js';
import { readJsonl, idsField } from '../util/jsonl.js';
import { loadTokenizer, buildPrompt } from '../tokenizer/index.js';
import { endOfSequenceId } from '../tokenizer/eos.js';
import { lrAt, type ScheduleKind } from '../rl/schedule.js';
import { TtrlError, check } from '../util/errors.js';
import { DEVICE_OPTION, DEVICE_HELP, PRECISION_OPTION, PRECISION_HELP, parseDevice, parsePrecision, getBackend, backendAt } from '../tensor/index.js';

const HELP = `usage: ttrl sft --model DIR --data FILE.jsonl --out DIR2 [options]
  --optimizer adamw|sgd   (default adamw; sgd is plain: no momentum, no weight decay)
  --lr X                  learning rate (default 1e-5)
  --steps N | --epochs E  optimizer steps, or passes over the data (default 1 epoch)
  --batch-size B          sequences per optimizer step (default 8)
  --micro-batch-size M    sequences per forward/backward, gradients accumulate (default = batch size)
  --weight-decay X        AdamW weight decay (default 0.01)
  --grad-clip X           global grad-norm clip, 0 = off (default 1.0; sgd default 0)
  --checkpoint            recompute activations per layer (less memory)
  --resume                continue from optimizer state saved in --model
  --schedule constant|linear-warmup|cosine   (default constant)   --warmup-steps N (default 0)
  --raw                   prompt/completion lines: no chat template
  --seed S                (default 0)
  each data line: {"ids":[...]} (loss on every next token), or {"prompt":"...","completion":"..."}: the prompt
  through the model's chat template (unless --raw), the completion and EOS after it, loss on the completion only
${DEVICE_HELP}
${PRECISION_HELP}`;


export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: {
    model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' },
    optimizer: { type: 'string', default: 'adamw' }, lr: { type: 'string', default: '1e-5' },
    steps: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string', default: '8' },
    'micro-batch-size': { type: 'string' }, 'weight-decay': { type: 'string', default: '0.01' },
    'grad-clip': { type: 'string' }, checkpoint: { type: 'boolean', default: false },
    resume: { type: 'boolean', default: false }, seed: { type: 'string', default: '0' },
    schedule: { type: 'string', default: 'constant' }, 'warmup-steps': { type: 'string', default: '0' },
    raw: { type: 'boolean', default: false }, ...DEVICE_OPTION, ...PRECISION_OPTION,
    help: { type: 'boolean', short: 'h' },
  } });
  if (v.help) { process.stdout.write(HELP + '\n'); return 0; }
  check(v.model, '--model DIR is required');
  check(v.data, '--data FILE.jsonl is required');
  check(v.out, '--out DIR2 is required');
  const kind = v.optimizer as OptimizerKind;
  check(kind === 'adamw' || kind === 'sgd', `--optimizer must be adamw or sgd, got ${v.optimizer}`);
  const num = (flag: string, s: string | undefined, int = false): number => {
    const x = Number(s);
    if (s === undefined || !Number.isFinite(x) || (int && !Number.isInteger(x)) || x < 0) throw new TtrlError(`--${flag} must be a ${int ? 'non-negative integer' : 'non-negative number'}, got ${s}`);
    return x;
  };
  const lr = num('lr', v.lr), bs = num('batch-size', v['batch-size'], true), seed = num('seed', v.seed, true);
  check(bs > 0, '--batch-size must be positive');
  check(!(v.steps && v.epochs), 'give --steps or --epochs, not both');

  const model = loadModel(v.model, backendAt(getBackend(parseDevice(v.device)), parsePrecision(v.precision)));
  const lines = readJsonl(v.data);
  const needsTok = lines.some((l) => l.value !== null && typeof l.value === 'object' && 'prompt' in (l.value as object));
  const tok = needsTok ? await loadTokenizer(v.model) : null;
  const data: SftExample[] = lines.map((l) => {
    const where = `${v.data} line ${l.line}`;
    const rec = l.value as Record<string, unknown>;
    if (rec && typeof rec === 'object' && 'prompt' in rec) {
      const { prompt, completion } = rec;
      check(typeof prompt === 'string' && typeof completion === 'string', `${where}: "prompt" and "completion" must be strings`);
      const p = buildPrompt(tok!, prompt, { mode: v.raw ? 'raw' : 'chat' }).ids;
      const ids = p.concat(tok!.encode(completion), [endOfSequenceId(tok, model.cfg, v.model!)]);
      check(ids.every((id) => id < model.cfg.vocabSize), `${where}: the tokenizer produced ids beyond the model's vocab_size ${model.cfg.vocabSize}`);
      return { ids, lossFrom: p.length };
    }
    const ids = idsField(rec, where, model.cfg.vocabSize);
    check(ids.length >= 2, `${where}: a sequence needs at least 2 tokens to have a next-token target`);
    return { ids, lossFrom: 1 };
  });
  check(data.length > 0, `${v.data}: no examples`);
  const steps = v.steps ? num('steps', v.steps, true) : Math.ceil((v.epochs ? num('epochs', v.epochs) : 1) * data.length / bs);
  const optim = { ...DEFAULT_OPTIM, kind, weightDecay: kind === 'sgd' ? 0 : num('weight-decay', v['weight-decay']) };
  const optimizer = new Optimizer(model.params, optim, model.be);
  if (v.resume) optimizer.load(v.model);
  const gradClip = v['grad-clip'] !== undefined ? num('grad-clip', v['grad-clip']) : kind === 'sgd' ? 0 : 1.0;
  const schedule = v.schedule as ScheduleKind;
  check(['constant', 'linear-warmup', 'cosine'].includes(schedule), `--schedule must be constant, linear-warmup or cosine, got ${v.schedule}`);
  const warmupSteps = num('warmup-steps', v['warmup-steps'], true);
  const sched = { kind: schedule, base: lr, totalSteps: optimizer.t + steps, warmupSteps: schedule === 'constant' ? 0 : warmupSteps };
  const t0 = Date.now();
  const every = Math.max(1, Math.floor(steps / 20));
  sft(model, data, {
    optim, lr: (step) => lrAt(step, sched), steps, batchSize: bs, microBatch: v['micro-batch-size'] ? num('micro-batch-size', v['micro-batch-size'], true) : bs,
    seed, gradClip, checkpoint: v.checkpoint, optimizer,
    onStep: (s) => {
      if (s.step % every === 0 || s.step === optimizer.t) {
        process.stderr.write(`step ${s.step}/${steps} loss ${s.loss.toFixed(4)} grad_norm ${s.gradNorm.toFixed(3)} lr ${s.lr.toExponential(2)} ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
      }
    },
  });
  fs.mkdirSync(v.out, { recursive: true });
  model.save(v.out);
  optimizer.save(v.out);
  copySideFiles(v.model, v.out);
  process.stderr.write(`wrote ${v.out}\n`);
  return 0;
}
