// Loaded into the `trigger.dev dev` process (NODE_OPTIONS=--import) by the stack and the tests. Offline,
// the CLI's lookup of its "always external" package list at jsonhero.io fails and is retried with backoff
// for about 8 s on every start. This answers that one lookup at once with a 404 (not retried), so the CLI
// falls back to its built-in list, exactly as it does after the 8 s. Nothing else is touched.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (url.startsWith("https://jsonhero.io/")) return new Response("offline: answered by cli-offline-preload", { status: 404 });
  return realFetch(input, init);
};
