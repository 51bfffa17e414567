/** Raised when a call to a dependency outlives the time it was given. */
export class DeadlineExceededError extends Error {
  constructor(
    readonly dependency: string,
    readonly timeoutMs: number,
  ) {
    super(`${dependency} did not answer within ${String(timeoutMs)} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Runs `work` with an abort signal that fires after `timeoutMs`, and settles no later than
 * that whatever `work` does with the signal: a dependency that accepts the connection and never
 * answers costs the caller its timeout, not the dependency's patience.
 */
export async function withDeadline<T>(
  dependency: string,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineExceededError(dependency, timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
