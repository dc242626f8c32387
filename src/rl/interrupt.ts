// Ctrl-C and SIGTERM during a run. The first signal asks the run to stop at the next safe point: a rollout
// or an evaluation in progress is dropped (it changed nothing yet), an update in progress finishes; then the
// run writes a checkpoint of the last finished step and exits 130 (SIGINT) or 143 (SIGTERM). A second signal
// exits at once. The trainer's long work pauses for the event loop every few milliseconds (util/pause.ts),
// which is what lets these handlers run.

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The shell's exit status for a process ended by the signal: 128 + its number. */
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export class Interrupt {
  /** The first signal received, or null. */
  signal: StopSignal | null = null;
  private readonly handlers = new Map<StopSignal, () => void>();

  /** `onFirst` tells the user what happens next (the run keeps going to a safe point). */
  constructor(private readonly onFirst: (s: StopSignal) => void) {}

  get requested(): boolean { return this.signal !== null; }

  /** Installs the handlers; call uninstall() when the run ends (Node's default handling comes back). */
  install(): this {
    for (const s of ['SIGINT', 'SIGTERM'] as const) {
      const h = (): void => {
        if (this.signal !== null) { process.exit(SIGNAL_EXIT[s]); return; }
        this.signal = s;
        this.onFirst(s);
      };
      this.handlers.set(s, h);
      process.on(s, h);
    }
    return this;
  }

  uninstall(): void {
    for (const [s, h] of this.handlers) process.off(s, h);
    this.handlers.clear();
  }
}

/** A run that a signal stopped, for callers that cannot go on without it (the demo); the CLI exits 128 + n. */
export class RunStopped extends Error {
  constructor(readonly signal: StopSignal) {
    super(`stopped by ${signal}`);
    this.name = 'RunStopped';
  }
}
