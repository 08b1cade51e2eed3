import { describe, expect, it } from "vitest";
import { ApiKeys, resolveApiKeys } from "../../../orchestrator/http/auth.js";
import { InFlight } from "../../../orchestrator/http/in-flight.js";

describe("ApiKeys", () => {
  it("accepts configured bearer keys only, and nothing is required when none are configured", () => {
    const keys = new ApiKeys(["alpha", "beta"]);
    expect(() => keys.check("Bearer beta")).not.toThrow();
    expect(() => keys.check("bearer   alpha ")).not.toThrow();
    expect(() => keys.check("Bearer alph")).toThrow(/invalid API key/);
    expect(() => keys.check("Basic alpha")).toThrow(/missing API key/);
    expect(() => keys.check(undefined)).toThrow(expect.objectContaining({ code: "INVALID_API_KEY" }));
    expect(() => new ApiKeys([]).check(undefined)).not.toThrow();
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
