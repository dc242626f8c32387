// Long synchronous work (sampling, the policy update) pauses now and then so the event loop can run signal
// handlers (Ctrl-C) and timers. Pauses depend on the clock but change only timing, never a result.

/** Lets the event loop run once (pending signal handlers, I/O callbacks, timers). */
export function pauseForEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Pauses at most every `ms` milliseconds of work: call tick() between units of work. */
export class Pacer {
  private last = performance.now();
  constructor(private readonly ms = 50) {}

  /** True after a pause happened (callers check their stop flag then). */
  async tick(): Promise<boolean> {
    if (performance.now() - this.last < this.ms) return false;
    await pauseForEvents();
    this.last = performance.now();
    return true;
  }
}
