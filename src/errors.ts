/** Exit codes, documented in --help and docs/reference.md. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A failure a person can act on: one line (what is wrong, what to do), no stack trace. */
export class CoordError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message);
    this.name = 'CoordError';
  }
}

/** Bad usage of the command line: exit code 2. */
export class UsageError extends CoordError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}
