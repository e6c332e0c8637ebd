import { describe, expect, it } from "vitest";
import { ConnectionCap } from "../../lib/http/connection-cap";

describe("ConnectionCap", () => {
  it("lets `max` in, refuses the next with 429 naming what, and counts each one out once", () => {
    const cap = new ConnectionCap(2, "feeds");
    const first = cap.enter();
    cap.enter();
    expect(() => cap.enter()).toThrow(/Too many feeds open at once \(2\)/);
    first();
    first(); // a second leave does not free another place
    cap.enter();
    expect(() => cap.enter()).toThrow(expect.objectContaining({ status: 429 }));
  });
});
