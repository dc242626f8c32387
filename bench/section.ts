// The contract of the benchmark's optional sections (bench/grade.ts, bench/llamacpp.ts, bench/sample.ts):
// each exports `async function benchX(ctx: SectionContext): Promise<JSON-able>`, which bench/run.ts calls
// when the compiled file exists. Kept apart from run.ts, whose import runs the benchmark.
import type { Backend } from '../src/tensor/backend.js';
import type { Model } from '../src/model/model.js';

export interface SectionContext {
  /** Progress to stderr (stdout carries the JSON). */
  log: (msg: string) => void;
  /** --quick: small shapes, for checking the harness. */
  quick: boolean;
  /** CPU threads the engine uses (TTRL_THREADS, default all cores). */
  threads: number;
  /** The Qwen2.5-0.5B-shaped benchmark model (random weights), built on first call and shared. */
  model: () => Model;
  backend: Backend;
}
