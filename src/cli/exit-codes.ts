/** The CLI's exit codes (documented in the README and in `--help`). */
export const EXIT = {
  /** Done; a check passed. */
  ok: 0,
  /** A check failed (a broken log, a failed region) or the command could not do its job. */
  failed: 1,
  /** The command line was wrong: unknown command or flag, missing or invalid value. */
  usage: 2,
} as const;

/** A command-line value that is present but unusable: reported with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
