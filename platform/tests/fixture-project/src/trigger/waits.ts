// Waits: until a date, on a token, and long ones for the restart test.
import { task, wait } from "@trigger.dev/sdk";

export const waitUntil = task({
  id: "wait-until",
  run: async (payload: { at: string }) => {
    await wait.until({ date: new Date(payload.at) });
    return { resumedAt: new Date().toISOString() };
  },
});

export const waitForToken = task({
  id: "wait-for-token",
  run: async (payload: { tokenId: string }) => {
    const result = await wait.forToken<{ approved: boolean }>(payload.tokenId);
    return result.ok ? { ok: true, output: result.output } : { ok: false, error: String(result.error) };
  },
});

export const createsToken = task({
  id: "creates-token",
  run: async (payload: { timeout?: string }) => {
    const token = await wait.createToken({ timeout: payload.timeout ?? "1h", tags: ["e2e"] });
    const result = await wait.forToken<{ approved: boolean }>(token.id);
    return { tokenId: token.id, ok: result.ok, output: result.ok ? result.output : undefined };
  },
});
