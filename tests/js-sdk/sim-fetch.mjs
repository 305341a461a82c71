// Points code that calls https://api.vipps.no or https://apitest.vipps.no
// with the global fetch at a simulator instead, by wrapping
// globalThis.fetch. The request is passed on as fetch would send it: its
// body is read from the original Request (consuming it, as a real fetch
// does), so code that sends the same Request object twice fails the same
// way it would against production.
export function pointFetchAt(baseUrl) {
  const realFetch = globalThis.fetch;
  const base = new URL(baseUrl);
  globalThis.fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    if (url.host === "api.vipps.no" || url.host === "apitest.vipps.no") {
      url.protocol = base.protocol;
      url.host = base.host;
    }
    const body = ["GET", "HEAD"].includes(request.method)
      ? undefined
      : await request.arrayBuffer();
    return realFetch(url, {
      method: request.method,
      headers: request.headers,
      body,
      signal: request.signal,
    });
  };
}
