// Stand-in for JSR @std/async: `retry` with exponential backoff and
// `RetryError`, as the SDK calls them.
export class RetryError extends Error {
  constructor(cause, attempts) {
    super(`Retrying exceeded the maxAttempts (${attempts}).`);
    this.name = "RetryError";
    this.cause = cause;
  }
}

export async function retry(fn, options = {}) {
  const {
    multiplier = 2,
    maxTimeout = 60000,
    maxAttempts = 5,
    minTimeout = 1000,
    jitter = 1,
  } = options;
  let attempt = 0;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      attempt += 1;
      if (attempt >= maxAttempts) throw new RetryError(error, maxAttempts);
      const base = Math.min(maxTimeout, minTimeout * multiplier ** (attempt - 1));
      const wait = base * (1 - jitter * Math.random());
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
