// One error type for bad input: the CLI prints its message as one line (no stack) and exits 2.
// Messages name the file / field / flag and how to fix it.
export class TtrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TtrlError';
  }
}

/** Throw a TtrlError unless `cond`. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new TtrlError(typeof message === 'function' ? message() : message);
}
