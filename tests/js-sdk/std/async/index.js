// Stand-in for JSR @std/async: `retry` and `RetryError`, as the SDK uses
// them (exponential backoff between attempts, every thrown error retried).

export class RetryError extends Error {
  constructor(cause, attempts) {
    super(`Retrying exceeded the maxAttempts (${attempts}).`);
    this.name = "RetryError";
    this.cause = cause;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
      if (attempt + 1 >= maxAttempts) {
        throw new RetryError(error, maxAttempts);
      }
      const base = Math.min(maxTimeout, minTimeout * multiplier ** attempt);
      const wait = base * (1 - jitter * Math.random());
      attempt += 1;
      await sleep(wait);
    }
  }
}
