import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { ANONYMOUS, ApiKeys, resolveApiKeys } from "../../../orchestrator/http/auth.js";
import { InFlight } from "../../../orchestrator/http/in-flight.js";

describe("ApiKeys", () => {
  it("accepts configured bearer keys only, and nothing is required when none are configured", () => {
    const keys = new ApiKeys(["alpha", "beta"]);
    expect(() => keys.authenticate("Bearer beta")).not.toThrow();
    expect(() => keys.authenticate("bearer   alpha ")).not.toThrow();
    expect(() => keys.authenticate("Bearer alph")).toThrow(/invalid API key/);
    expect(() => keys.authenticate("Basic alpha")).toThrow(/missing API key/);
    expect(() => keys.authenticate(undefined)).toThrow(expect.objectContaining({ code: "INVALID_API_KEY" }));
    expect(new ApiKeys([]).authenticate(undefined)).toBe(ANONYMOUS);
  });

  it("answers a stable owner per key that reveals neither the key nor its digest, the same for the key and its sha256: form", () => {
    const keys = new ApiKeys(["alpha", "beta"], ["root"]);
    const alpha = keys.authenticate("Bearer alpha");
    expect(alpha).toEqual({ owner: expect.stringMatching(/^key_[0-9a-f]{24}$/), admin: false });
    expect(keys.authenticate("Bearer alpha")).toEqual(alpha);
    expect(keys.authenticate("Bearer beta").owner).not.toBe(alpha.owner);
    expect(alpha.owner).not.toContain("alpha");
    const digest = createHash("sha256").update("alpha").digest("hex");
    expect(alpha.owner).not.toContain(digest.slice(0, 24));
    const hashed = new ApiKeys([`sha256:${digest.toUpperCase()}`]);
    expect(hashed.authenticate("Bearer alpha")).toEqual(alpha);
    expect(() => hashed.authenticate(`Bearer sha256:${digest}`)).toThrow(/invalid API key/);
    expect(keys.authenticate("Bearer root")).toEqual({ owner: expect.stringMatching(/^key_/), admin: true });
    // A key listed as both keeps its admin rights.
    expect(new ApiKeys(["root"], ["root"]).authenticate("Bearer root").admin).toBe(true);
  });

  it("merges keys from the config and a comma-separated environment variable", () => {
    expect(resolveApiKeys(["a"], "KEYS", { KEYS: " b, c ,," })).toEqual(["a", "b", "c"]);
    expect(resolveApiKeys([], "KEYS", {})).toEqual([]);
    expect(resolveApiKeys(["a"], undefined, { KEYS: "b" })).toEqual(["a"]);
  });
});

describe("InFlight", () => {
  it("waits for requests that finish before the deadline and cancels the others", async () => {
    const inFlight = new InFlight();
    const quick = inFlight.start();
    setTimeout(quick.done, 10);
    expect(await inFlight.drain(1000)).toBe(0);

    const stuck = inFlight.start();
    stuck.signal.addEventListener("abort", () => setTimeout(stuck.done, 5));
    const started = Date.now();
    expect(await inFlight.drain(50)).toBe(1);
    expect(stuck.signal.aborted).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(inFlight.size).toBe(0);
  });
});
