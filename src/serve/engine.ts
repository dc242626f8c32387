// The server's engine: one Scheduler (src/sample) fed by HTTP requests as they arrive, stepped on the event
// loop (one admit + decode step per turn, so sockets are served between steps), and weight swaps that wait
// until no started request is left, so every sample comes from exactly one set of weights.
import type { Model } from '../model/model.js';
import { Scheduler, type Job, type JobHandle, type SampleProgress } from '../sample/index.js';

export interface EngineOptions {
  /** KV slots: the most samples decoded at once. */
  slots: number;
  /** KV positions per slot: the longest prompt + max_tokens served. */
  capacity: number;
  /** The weight version reported before any update. */
  version: string;
  /** Whether requests are being read off their sockets now (their jobs are about to be submitted). */
  arriving?: () => boolean;
}

/** How long a step may wait for requests being read, so that they share its prefill and decode steps. */
export const GATHER_MS = 20;

interface Swap { load: () => Model; version: string; resolve: () => void; reject: (e: unknown) => void }

export class Engine {
  private readonly sched: Scheduler;
  private ticking = false;
  private gatherSince = 0;
  private swaps: Swap[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly failers = new Set<(e: unknown) => void>();
  /** The version of the weights that samples admitted now are drawn from. */
  version: string;

  constructor(model: Model, readonly opts: EngineOptions) {
    this.sched = new Scheduler(model, { slots: opts.slots, capacity: opts.capacity });
    this.version = opts.version;
  }

  get capacity(): number { return this.sched.capacity; }
  /** Whether a weight swap waits for the requests in flight. */
  get swapPending(): boolean { return this.swaps.length > 0; }
  stats(): SampleProgress & { running: number; queued: number } {
    return { ...this.sched.progress(), running: this.sched.running, queued: this.sched.queued };
  }

  /**
   * Queue a job; `fail` is called instead of further callbacks if the engine breaks. Throws a TtrlError
   * (nothing queued) for a job the scheduler refuses. Inside onSample, `version` is the version of the
   * weights that sample came from (weights never change while a started job has samples in flight).
   */
  submit(job: Job, fail: (e: unknown) => void): JobHandle {
    let finished = 0;
    const wrapped: Job = {
      ...job,
      onSample: (j, s) => { if (++finished === job.n) this.failers.delete(fail); job.onSample(j, s); },
    };
    this.failers.add(fail);
    let h: JobHandle;
    try {
      h = this.sched.submit(wrapped, 'request');
    } catch (e) {
      this.failers.delete(fail);
      throw e;
    }
    this.kick();
    return { cancel: () => { this.failers.delete(fail); h.cancel(); this.kick(); } };
  }

  /** Load new weights once nothing is in flight (requests queued meanwhile wait, then use them). */
  swapWeights(load: () => Model, version: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.swaps.push({ load, version, resolve, reject });
      this.sched.hold = true;
      this.kick();
    });
  }

  /** Resolves once nothing is queued or running. */
  drained(): Promise<void> {
    if (this.sched.idle() && this.swaps.length === 0) return Promise.resolve();
    return new Promise((resolve) => { this.idleWaiters.push(resolve); this.kick(); });
  }

  private kick(): void {
    if (this.ticking) return;
    this.ticking = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.ticking = false;
    // a forward blocks the event loop: let requests already on their way in join this step
    if (this.opts.arriving?.()) {
      const now = performance.now();
      if (this.gatherSince === 0) this.gatherSince = now;
      if (now - this.gatherSince < GATHER_MS) {
        this.ticking = true;
        setTimeout(() => this.tick(), 1);
        return;
      }
    }
    this.gatherSince = 0;
    try {
      if (this.swaps.length > 0 && !this.sched.busy()) this.applySwaps();
      if (!this.sched.idle()) this.sched.step();
    } catch (e) {
      this.failAll(e);
    }
    if (!this.sched.idle() || this.swaps.length > 0) this.kick();
    else for (const w of this.idleWaiters.splice(0)) w();
  }

  private applySwaps(): void {
    for (const s of this.swaps.splice(0)) {
      try {
        this.sched.setModel(s.load());
        this.version = s.version;
        s.resolve();
      } catch (e) {
        s.reject(e);
      }
    }
    this.sched.hold = false;
  }

  /** A forward failed: every waiting request gets the error (the server answers 500 and keeps serving). */
  private failAll(e: unknown): void {
    process.stderr.write(`ttrl serve: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    for (const f of [...this.failers]) f(e);
    this.failers.clear();
  }
}
