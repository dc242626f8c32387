// `npm run bench [-- --only prefill,decode,train] [--no-torch] [--quick]`: throughput of the CPU engine on
// a Qwen2.5-0.5B-shaped model next to plain PyTorch doing the same work in the same run. Prints one JSON
// object on stdout; progress goes to stderr.
//
// Sections (run in this order):
//   gemm     achieved GFLOP/s of the BLAS on 2048³ and on the decode shape 64×4864×896: the ceiling
//   train    one forward + backward of the mean NLL at 4×256 tokens, with then without checkpointing
//            (checkpointing first, so that the process's peak RSS after it is its own)
//   prefill  model.step of 4 slots × 256 tokens into an empty KV cache
//   decode   8 single-token steps of 64 sequences at context 256
// Each core section runs at precision fp32 and then bf16 (bench/precision.ts) on the same weights, and
// reports bf16OverFp32 (throughput ratio); the top-level bf16OverFp32 collects them (--no-bf16 skips).
// plus optional sections other parts of ttrl add, each run when its compiled file exists:
//   bench/grade.ts → benchGrade, bench/llamacpp.ts → benchLlamaCppSection (the race), bench/sample.ts → benchSample,
//   bench/serve.ts → benchServe (ttrl serve at 1/8/32 clients vs in-process sampling),
//   bench/lora.ts → benchLora (LoRA vs full fine-tuning on a Qwen2.5-1.5B shape, child processes),
//   bench/qwen3.ts → benchQwen3 (one `ttrl train` step of a Qwen3-0.6B shape with the real Qwen3 tokenizer),
//   bench/rollout.ts → benchRollout (sampler vs bare model.step) and benchStep (one TTRL step),
//   each `async (ctx: SectionContext) => JSON-able result` (bench/section.ts; one taking no argument works too).
//   The result lands in sections.<name>; a throw is recorded as { failed } and the run goes on.
// Ratios are ttrl / torch throughput: > 1 means ttrl is faster; cpuRatio compares the CPU seconds (all
// threads) of the same work, which other jobs on a shared machine disturb less than wall time. Compare the
// two halves of one run, not runs on different days.
import os from 'node:os';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { cpu } from '../src/tensor/cpu.js';
import type { Backend } from '../src/tensor/backend.js';
import type { Model } from '../src/model/model.js';
import { benchModel, QWEN05B_CONFIG, matmulParams, qwenConfig } from './qwen.js';
import { benchGemm, benchPrefill, benchDecode, benchTrain, releaseTraining, log, type Measured } from './engine.js';
import { runTorch, torchEnv, torchMissing } from './torch.js';
import { profiled, type KernelTimes } from './profile.js';
import type { SectionContext } from './section.js';
import { freshPeaks } from './train-memory.js';
import { modelAt, modelMB, speedup, cpuSpeedup, bf16Machine, BF16_GOALS, TORCH_BF16_GOALS, torchBf16Note, besideTorchBf16 }
  from './precision.js';

const CORE = ['gemm', 'train', 'prefill', 'decode'] as const;
const OPTIONAL: Record<string, [file: string, fn: string]> = {
  grade: ['./grade.js', 'benchGrade'],
  llamacpp: ['./llamacpp.js', 'benchLlamaCppSection'],
  sample: ['./sample.js', 'benchSample'],
  serve: ['./serve.js', 'benchServe'],
  lora: ['./lora.js', 'benchLora'],
  qwen3: ['./qwen3.js', 'benchQwen3'],
  rollout: ['./rollout.js', 'benchRollout'],
  step: ['./rollout.js', 'benchStep'],
  fp32gemm: ['./fp32-gemm.js', 'benchFp32Gemm'],
};
/** Goals from the issues: minimum ttrl/torch throughput ratios. */
const GOALS = { prefill: 1.0, decode: 1.5, train: 1.0 };

const USAGE = `usage: npm run bench -- [--only ${[...CORE, ...Object.keys(OPTIONAL)].join(',')}] [--no-torch] [--quick] [--profile]
  --only LIST  run only these sections (comma-separated)
  --no-torch   skip the PyTorch comparison
  --quick      small shapes (2×64 prefill/train, 8×64 decode): checks the harness, numbers not comparable
  --profile    time every kernel call and report seconds per kernel in each section (fp32 half)
  --no-bf16    run the core sections at fp32 only`;

interface Shapes { prefillB: number; prefillT: number; decodeB: number; decodeCtx: number; decodeSteps: number; trainB: number; trainT: number }
const FULL: Shapes = { prefillB: 4, prefillT: 256, decodeB: 64, decodeCtx: 256, decodeSteps: 8, trainB: 4, trainT: 256 };
const QUICK: Shapes = { prefillB: 2, prefillT: 64, decodeB: 8, decodeCtx: 64, decodeSteps: 4, trainB: 2, trainT: 64 };

type Json = Record<string, unknown>;

/** Adds gflops / tokens/s to torch's seconds (FLOPs counted once, on the ttrl side) and the ratio. */
const TORCH_GEMM_SHAPES = '2048x2048x2048,64x4864x896';
/** torch_ref.py's gemm result as GFLOP/s under the section's shape names (null when torch did not run). */
function torchGemm(tr: Json | null): Json | null {
  if (!tr) return null;
  const ts = (tr.shapes ?? {}) as Record<string, { seconds: number }>;
  const at = (key: string, flops: number): Json => ts[key] ? { gflops: flops / ts[key]!.seconds / 1e9 } : {};
  return { square2048: at('2048x2048x2048', 2 * 2048 ** 3), decode64x4864x896: at('64x4864x896', 2 * 64 * 4864 * 896), raw: tr };
}

function compare(ours: Measured & { flops: number }, torch: Json | null, tokens: number, goal?: number): Json {
  if (!torch) return { ttrl: ours };
  if (typeof torch.seconds !== 'number') return { ttrl: ours, torch };
  const t = { ...torch, gflops: ours.flops / torch.seconds / 1e9, tokensPerS: tokens / torch.seconds };
  const ratio = (tokens / ours.seconds) / t.tokensPerS;
  // CPU seconds of the same work: less sensitive than wall time to other jobs on a shared machine
  const cpuRatio = typeof torch.cpu_seconds === 'number' ? torch.cpu_seconds / ours.cpuSeconds : undefined;
  return { ttrl: ours, torch: t, ratio, cpuRatio, ...(goal !== undefined ? { goal, met: ratio >= goal } : {}) };
}

async function main(): Promise<number> {
  const startEnv = { ...process.env };  // before the CPU backend adds its own settings
  const t0 = performance.now();
  const { values } = parseArgs({ options: {
    only: { type: 'string' }, 'no-torch': { type: 'boolean' }, quick: { type: 'boolean' }, profile: { type: 'boolean' },
    'no-bf16': { type: 'boolean' },
    help: { type: 'boolean' },
  } });
  if (values.help) { process.stdout.write(USAGE + '\n'); return 0; }
  const known = [...CORE, ...Object.keys(OPTIONAL)];
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : known;
  const unknown = only.filter((s) => !known.includes(s));
  if (unknown.length) { process.stderr.write(`unknown section(s) ${unknown.join(', ')}\n${USAGE}\n`); return 2; }
  const shapes = values.quick ? QUICK : FULL;
  let be: Backend = cpu(), prof: KernelTimes | null = null;
  if (values.profile) ({ be, prof } = profiled(be));
  /** Kernel times since the last call (with --profile). */
  const kernels = (): Json => { const r = prof ? { kernels: prof.report() } : {}; prof?.reset(); return r; };
  const threads = Number(process.env.TTRL_THREADS ?? os.availableParallelism());
  const torchWhyNot = values['no-torch'] ? 'disabled with --no-torch' : torchMissing();
  if (torchWhyNot) log(`torch comparison skipped: ${torchWhyNot}`);
  const torch = (args: string[]): Json | null => {
    if (torchWhyNot) return null;
    const r = runTorch([...args, '--threads', String(threads), '--config', JSON.stringify(QWEN05B_CONFIG)], torchEnv(startEnv));
    log(`  torch: ${JSON.stringify(r)}`);
    return r;
  };
  /** torch at bf16 autocast, only beside a bf16 run of ttrl. */
  const torch16 = (args: string[]): Json | null => (values['no-bf16'] ? null : torch([...args, '--precision', 'bf16']));
  const torchBf16Ratios: Json = {};

  const cfg = qwenConfig(), mp = matmulParams(cfg);
  const out: Json = {
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), threads, node: process.version,
      memoryGB: Math.round(os.totalmem() / 2 ** 30), loadAvgStart: os.loadavg().map((x) => +x.toFixed(2)) },
    model: { shape: 'Qwen2.5-0.5B (random weights)', config: QWEN05B_CONFIG, layerMatmulParams: mp.layers, headParams: mp.head },
    flopsCounted: '2·(matmul weights)·tokens through the layers + 2·V·C per row given logits + 4·D·H·L per (query, visible key) pair; training = 3× forward (recomputation by checkpointing not counted)',
    torch: torchWhyNot ? { skipped: torchWhyNot }
      : { python: startEnv.TTRL_BENCH_PYTHON ?? '/usr/bin/python3', threads, OMP_WAIT_POLICY: torchEnv(startEnv).OMP_WAIT_POLICY,
        GOMP_SPINCOUNT: torchEnv(startEnv).GOMP_SPINCOUNT,
        OPENBLAS_THREAD_TIMEOUT: torchEnv(startEnv).OPENBLAS_THREAD_TIMEOUT },
    quick: Boolean(values.quick),
    bf16: values['no-bf16'] ? { skipped: 'disabled with --no-bf16' } : { ...bf16Machine(), torch: torchBf16Note(torchWhyNot) },
    sections: {} as Json,
  };
  const be16 = values['no-bf16'] ? null : cpu('bf16');
  const bf16Ratios: Json = {}, bf16CpuRatios: Json = {};
  const sections = out.sections as Json;

  if (only.includes('gemm')) {
    log('gemm');
    const g = benchGemm(be, [{ name: 'square2048', M: 2048, N: 2048, K: 2048 }, { name: 'decode64x4864x896', M: 64, N: 4864, K: 896 }]);
    const tr = torch(['--section', 'gemm', '--shapes', TORCH_GEMM_SHAPES]);
    sections.gemm = {
      ttrl: g,
      torch: torchGemm(tr),
      peakGflops: Math.max(...Object.values(g).map((m) => m.gflops)),
    };
    if (be16) {
      log('gemm bf16');
      const g16 = benchGemm(be16, [{ name: 'square2048', M: 2048, N: 2048, K: 2048 }, { name: 'decode64x4864x896', M: 64, N: 4864, K: 896 }]);
      const r = { square2048: speedup(g.square2048!, g16.square2048!), decode64x4864x896: speedup(g.decode64x4864x896!, g16.decode64x4864x896!) };
      const t16 = torchGemm(torch16(['--section', 'gemm', '--shapes', TORCH_GEMM_SHAPES]));
      Object.assign(sections.gemm as Json, { bf16: g16, bf16OverFp32: r, bf16OverFp32Cpu: { square2048: cpuSpeedup(g.square2048!, g16.square2048!) },
        ...(t16 ? { torchBf16: t16 } : {}) });
      bf16Ratios.gemm = r.square2048;
      bf16CpuRatios.gemm = cpuSpeedup(g.square2048!, g16.square2048!);
    }
  }
  let built: Model | null = null;
  /** The Qwen2.5-0.5B-shaped model at a backend's precision, built on first use and shared with the optional
   *  sections: one set of weights, laid out for the precision asked last (modelAt), so ask before each use. */
  const getModelAt = (at: Backend): Model => {
    if (!built) {
      log('building the model');
      built = benchModel(1, be);
      log(`model ready: ${(built.numParams() / 1e6).toFixed(1)}M params`);
    }
    if (built.be !== at) built = modelAt(built, at);
    return built;
  };
  const getModel = (): Model => getModelAt(be);
  /** The same weights at precision bf16. */
  const getModel16 = (): Model => getModelAt(be16!);

  if (only.includes('train')) {
    const { trainB: B, trainT: T } = shapes, train: Json = {};
    for (const checkpoint of [true, false]) {
      const model = getModel();
      log(`train ${B}x${T} checkpoint=${checkpoint}`);
      const ours = { ...benchTrain(model, B, T, checkpoint, () => prof?.reset()), ...kernels(), modelMB: modelMB(model) };
      log(`  ttrl: ${ours.seconds.toFixed(2)} s (first step ${ours.firstStepSeconds?.toFixed(2)} s), ${ours.gflops.toFixed(1)} GFLOP/s, loss ${ours.loss.toFixed(4)}, peak RSS ${ours.peakRssMB} MB`);
      releaseTraining(model);
      const tr = torch(['--section', 'train', '--B', String(B), '--T', String(T), '--checkpoint', checkpoint ? '1' : '0']);
      const key = checkpoint ? 'checkpoint' : 'full';
      train[key] = compare(ours, tr, B * T, GOALS.train);
      if (be16) {
        const m16 = getModel16();
        log(`train bf16 ${B}x${T} checkpoint=${checkpoint}`);
        const o16 = { ...benchTrain(m16, B, T, checkpoint), modelMB: modelMB(m16) };
        log(`  ttrl bf16: ${o16.seconds.toFixed(2)} s (first step ${o16.firstStepSeconds?.toFixed(2)} s), ${o16.gflops.toFixed(1)} GFLOP/s, loss ${o16.loss.toFixed(4)}, ${o16.modelMB} MB (fp32 ${ours.modelMB} MB), peak RSS ${o16.peakRssMB} MB (fp32 ${ours.peakRssMB} MB)`);
        releaseTraining(m16);
        const first = +(ours.firstStepSeconds! / o16.firstStepSeconds!).toFixed(3);  // the cold first steps' ratio
        const t16 = besideTorchBf16(o16, torch16(['--section', 'train', '--B', String(B), '--T', String(T), '--checkpoint', checkpoint ? '1' : '0']));
        if (!checkpoint && t16.bf16OverTorchBf16 !== undefined) torchBf16Ratios.train = t16.bf16OverTorchBf16;
        Object.assign(train[key] as Json, { bf16: o16, bf16OverFp32: speedup(ours, o16), bf16OverFp32Cpu: cpuSpeedup(ours, o16),
          bf16OverFp32FirstStep: first, ...t16,
          bf16MemoryOverFp32: +(o16.modelMB / ours.modelMB).toFixed(3), bf16PeakRssOverFp32: +(o16.peakRssMB! / ours.peakRssMB!).toFixed(3) });
        if (!checkpoint) { bf16Ratios.train = speedup(ours, o16); bf16CpuRatios.train = cpuSpeedup(ours, o16); }
        const fresh = freshPeaks(B, T, checkpoint);
        log(`  peak RSS in fresh processes: bf16 ${fresh.bf16} MB, fp32 ${fresh.fp32} MB`);
        Object.assign(train[key] as Json, { peakRssFreshMB: fresh, bf16PeakRssFreshOverFp32: +(fresh.bf16 / fresh.fp32).toFixed(3) });
      }
    }
    sections.train = train;
  }
  if (only.includes('prefill')) {
    const model = getModel(), { prefillB: B, prefillT: T } = shapes;
    log(`prefill ${B}x${T}`);
    const ours = { ...benchPrefill(model, B, T, 2, () => prof?.reset()), ...kernels() };
    log(`  ttrl: ${ours.seconds.toFixed(2)} s, ${ours.gflops.toFixed(1)} GFLOP/s`);
    sections.prefill = compare(ours, torch(['--section', 'prefill', '--B', String(B), '--T', String(T)]), B * T, GOALS.prefill);
    if (be16) {
      log(`prefill bf16 ${B}x${T}`);
      const o16 = benchPrefill(getModel16(), B, T, 2);
      log(`  ttrl bf16: ${o16.seconds.toFixed(2)} s, ${o16.gflops.toFixed(1)} GFLOP/s`);
      const t16 = besideTorchBf16(o16, torch16(['--section', 'prefill', '--B', String(B), '--T', String(T)]));
      if (t16.bf16OverTorchBf16 !== undefined) torchBf16Ratios.prefill = t16.bf16OverTorchBf16;
      Object.assign(sections.prefill as Json, { bf16: o16, bf16OverFp32: (bf16Ratios.prefill = speedup(ours, o16)),
        bf16OverFp32Cpu: (bf16CpuRatios.prefill = cpuSpeedup(ours, o16)), ...t16 });
    }
  }
  if (only.includes('decode')) {
    const model = getModel(), { decodeB: B, decodeCtx: ctx, decodeSteps: steps } = shapes;
    log(`decode ${B} sequences at context ${ctx}, ${steps} steps`);
    model.freeScratch();
    const ours = { ...benchDecode(model, B, ctx, steps, () => prof?.reset()), ...kernels() };
    log(`  ttrl: ${ours.seconds.toFixed(2)} s, ${ours.tokensPerS!.toFixed(1)} tokens/s`);
    sections.decode = compare(ours, torch(['--section', 'decode', '--B', String(B), '--ctx', String(ctx), '--steps', String(steps)]), B * steps, GOALS.decode);
    if (be16) {
      log(`decode bf16 ${B} sequences at context ${ctx}, ${steps} steps`);
      const m16 = getModel16();
      m16.freeScratch();
      const o16 = benchDecode(m16, B, ctx, steps);
      log(`  ttrl bf16: ${o16.seconds.toFixed(2)} s, ${o16.tokensPerS!.toFixed(1)} tokens/s`);
      const t16 = besideTorchBf16(o16, torch16(['--section', 'decode', '--B', String(B), '--ctx', String(ctx), '--steps', String(steps)]));
      if (t16.bf16OverTorchBf16 !== undefined) torchBf16Ratios.decode = t16.bf16OverTorchBf16;
      Object.assign(sections.decode as Json, { bf16: o16, bf16OverFp32: (bf16Ratios.decode = speedup(ours, o16)),
        bf16OverFp32Cpu: (bf16CpuRatios.decode = cpuSpeedup(ours, o16)), ...t16 });
    }
  }
  for (const [name, [file, fn]] of Object.entries(OPTIONAL)) {
    if (!only.includes(name)) continue;
    const url = new URL(file, import.meta.url);
    if (!fs.existsSync(url)) { if (values.only) sections[name] = { skipped: `${file} not built` }; continue; }
    log(name);
    try {
      const f = ((await import(url.href)) as Record<string, unknown>)[fn];
      const ctx: SectionContext = { log, quick: Boolean(values.quick), threads, model: getModel, backend: be };
      sections[name] = typeof f === 'function' ? await (f as (c: SectionContext) => Promise<unknown>)(ctx)
        : { skipped: `${file} does not export ${fn}` };
    } catch (e) {
      // one broken optional section must not cost the numbers of the others
      sections[name] = { failed: e instanceof Error ? e.message : String(e) };
      log(`${name} failed: ${String(e)}`);
    }
  }
  const gemmPeak = (sections.gemm as Json | undefined)?.peakGflops;
  if (typeof gemmPeak === 'number') out.fractionOfGemmPeak = fractions(sections, gemmPeak);
  out.ratios = ratios(sections);
  if (be16) {
    out.bf16OverFp32 = bf16Ratios;
    out.bf16OverFp32Cpu = bf16CpuRatios;  // the same from CPU seconds: less disturbed by other jobs
    // each section's ratio over the 2048³ GEMM's: how much of what the CPU's bf16 units give reaches it (the
    // goals assume AMX; on AVX512-BF16 alone the GEMM ratio itself is bounded near 2)
    const g = bf16Ratios.gemm;
    if (typeof g === 'number') out.bf16OverFp32OverGemm = Object.fromEntries(Object.entries(bf16Ratios)
      .filter(([k]) => k !== 'gemm').map(([k, r]) => [k, +((r as number) / g).toFixed(3)]));
    out.bf16Goals = Object.fromEntries(Object.entries(BF16_GOALS).filter(([k]) => k in bf16Ratios)
      .map(([k, goal]) => [k, { goal, ratio: bf16Ratios[k], met: (bf16Ratios[k] as number) >= goal }]));
    for (const [k, goal] of Object.entries(TORCH_BF16_GOALS)) {
      const r = torchBf16Ratios[k];
      if (typeof r === 'number') (out.bf16Goals as Json)[`${k}OverTorchBf16`] = { goal, ratio: r, met: r >= goal };
    }
    if (Object.keys(torchBf16Ratios).length) out.bf16OverTorchBf16 = torchBf16Ratios;
    const train = sections.train as Record<string, Json> | undefined;
    if (train) {  // peak training memory at bf16 no higher than at fp32, each measured in a fresh process
      const mem = Object.fromEntries(Object.entries(train).map(([k, v]) => [k, v.bf16PeakRssFreshOverFp32]));
      (out.bf16Goals as Json).trainPeakMemory = { goal: '≤ 1.0 (bf16 / fp32, fresh processes)', ratio: mem,
        met: Object.values(mem).every((r) => typeof r === 'number' && r <= 1) };
    }
  }
  const ro = rolloutSummary(sections);
  if (ro) out.rollout = ro;
  (out.machine as Json).loadAvgEnd = os.loadavg().map((x) => +x.toFixed(2));
  out.totalSeconds = +((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  return 0;
}

/** ttrl's GFLOP/s in each section as a fraction of the gemm microbenchmark's best. */
function fractions(sections: Json, peak: number): Json {
  const f: Json = {};
  const at = (key: string, s: unknown): void => {
    const g = ((s as Json | undefined)?.ttrl as Measured | undefined)?.gflops;
    if (typeof g === 'number') f[key] = +(g / peak).toFixed(3);
  };
  at('prefill', sections.prefill); at('decode', sections.decode);
  const tr = sections.train as Json | undefined;
  if (tr) { at('trainCheckpoint', tr.checkpoint); at('trainFull', tr.full); }
  return f;
}

/**
 * The rollout path in one place: the share of rollout time spent drawing tokens, the sampler's decode
 * throughput over bare model.step (rollout section), and ttrl through its sampler over llama.cpp's batched
 * decode at matching weight precision (llamacpp section; F32 when every size batched, else F16, else left out;
 * left out too on an oversubscribed machine, where llama.cpp's decode collapses).
 */
function rolloutSummary(sections: Json): Json | null {
  const r = sections.rollout as Json | undefined, race = (sections.llamacpp as Json | undefined)?.ratio as Record<string, Record<string, number>> | undefined;
  const out: Json = {};
  if (r && typeof r.samplingShare === 'number') { out.samplingShare = r.samplingShare; out.samplerOverModelStep = r.samplerOverModelStep; }
  const sizes = ['1', '16', '64'], unfair = (sections.llamacpp as Json | undefined)?.oversubscribed;
  const prec = ['f32', 'f16'].find((p) => race?.[p] && sizes.every((n) => typeof race[p]![n] === 'number'));
  if (unfair) out.llamaCppOmitted = unfair;
  else if (prec) out.llamaCpp = { precision: prec, ...Object.fromEntries(sizes.map((n) => [n, race![prec]![n]])) };
  return Object.keys(out).length ? out : null;
}

/** The ttrl/torch ratios against their goals, in one place. */
function ratios(sections: Json): Json {
  const r: Json = {};
  const at = (key: string, s: unknown): void => {
    const x = s as Json | undefined;
    if (x && typeof x.ratio === 'number') {
      r[key] = { ratio: +x.ratio.toFixed(3), cpuRatio: typeof x.cpuRatio === 'number' ? +x.cpuRatio.toFixed(3) : undefined,
        goal: x.goal, met: x.met };
    }
  };
  at('prefill', sections.prefill); at('decode', sections.decode);
  const tr = sections.train as Json | undefined;
  if (tr) { at('trainCheckpoint', tr.checkpoint); at('trainFull', tr.full); }
  return r;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
