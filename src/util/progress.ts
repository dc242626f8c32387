// A progress line on stderr: label, done/total, percent, rate ("812 tok/s") and ETA. On a terminal it is
// redrawn in place (throttled); otherwise (logs, CI) it prints a plain line every 10% or 30 s, so a log
// file gets a handful of lines instead of thousands of carriage returns. Clock and stream are injectable.

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** unit of work for the rate, e.g. 'tok' → "tok/s". Default 'it'. */
  unit?: string;
  /** default process.stderr. */
  stream?: ProgressStream;
  /** milliseconds clock; default performance.now. */
  now?: () => number;
  /** print nothing at all. */
  silent?: boolean;
  /** force in-place redraws on (true) or off (false); default stream.isTTY. */
  tty?: boolean;
  /** TTY: least time between redraws. Default 100 ms. */
  redrawMs?: number;
  /** non-TTY: print at least every this many ms... Default 30 000. */
  plainEveryMs?: number;
  /** ...and whenever another this share of the total is done. Default 0.1. */
  plainEveryFrac?: number;
}

/** "1:05", "1:02:03"; "?" when not finite. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Three significant-ish digits: 1234 → "1234", 56.78 → "56.8", 0.1234 → "0.12". */
export function formatRate(r: number): string {
  if (!Number.isFinite(r)) return '?';
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

/**
 * One progress line. total = null for open-ended work (no percent, no ETA).
 * e.g. "rollout 45/100 45% 12.3 tok/s ETA 0:04"
 */
export function formatProgress(label: string, done: number, total: number | null, elapsedMs: number, unit: string): string {
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : NaN;
  const parts = [label];
  if (total === null) {
    parts.push(`${done} ${unit}`, `${formatRate(rate)} ${unit}/s`, `${formatDuration(elapsedMs / 1000)} elapsed`);
  } else {
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    parts.push(`${done}/${total}`, `${pct}%`, `${formatRate(rate)} ${unit}/s`);
    parts.push(done >= total ? `done in ${formatDuration(elapsedMs / 1000)}` : `ETA ${formatDuration(rate > 0 ? (total - done) / rate : NaN)}`);
  }
  return parts.join(' ');
}

export class Progress {
  private done = 0;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastPlainFrac = 0;
  private lastPlainAt: number;
  private finished = false;
  private readonly o: Required<Omit<ProgressOptions, 'tty'>> & { tty: boolean };

  constructor(private readonly label: string, private readonly total: number | null, opts: ProgressOptions = {}) {
    const stream = opts.stream ?? process.stderr;
    this.o = {
      unit: opts.unit ?? 'it', stream, now: opts.now ?? (() => performance.now()), silent: opts.silent ?? false,
      tty: opts.tty ?? stream.isTTY === true, redrawMs: opts.redrawMs ?? 100,
      plainEveryMs: opts.plainEveryMs ?? 30_000, plainEveryFrac: opts.plainEveryFrac ?? 0.1,
    };
    this.start = this.o.now();
    this.lastPlainAt = this.start;
  }

  /** Add n units of work done. */
  tick(n = 1): void { this.update(this.done + n); }

  /** Set the amount of work done. */
  update(done: number): void {
    this.done = done;
    if (this.o.silent || this.finished) return;
    const t = this.o.now();
    if (this.o.tty) {
      if (t - this.lastDraw >= this.o.redrawMs) { this.lastDraw = t; this.draw(t); }
      return;
    }
    const frac = this.total ? done / this.total : 0;
    const step = this.o.plainEveryFrac;
    const crossed = this.total !== null && step > 0 && Math.floor(frac / step) > Math.floor(this.lastPlainFrac / step);
    if (crossed || t - this.lastPlainAt >= this.o.plainEveryMs) {
      if (this.total !== null && done >= this.total) return; // finish() prints the last line
      this.lastPlainFrac = frac;
      this.lastPlainAt = t;
      this.o.stream.write(this.line(t) + '\n');
    }
  }

  /** Print the final line (and end the in-place line on a TTY). Later calls do nothing. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.o.silent) return;
    const t = this.o.now();
    if (this.o.tty) { this.draw(t); this.o.stream.write('\n'); } else this.o.stream.write(this.line(t) + '\n');
  }

  private line(t: number): string {
    return formatProgress(this.label, this.done, this.total, t - this.start, this.o.unit);
  }

  private draw(t: number): void {
    this.o.stream.write(`\r${this.line(t)}\x1b[K`); // \x1b[K clears what a longer previous line left
  }
}
