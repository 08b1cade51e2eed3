import { describe, expect, it } from "vitest";
import { ConclaveError } from "../../../kernel/errors.js";
import { deadline, retryable, withRetries } from "../../../orchestrator/langchain/retry.js";

/** An attempt that fails with the given codes in turn, then answers "ok". */
function flaky(...codes: Array<ConstructorParameters<typeof ConclaveError>[0]>) {
  let calls = 0;
  const attempt = async () => {
    const code = codes[calls++];
    if (code) throw new ConclaveError(code, `failure ${calls}`);
    return "ok";
  };
  return { attempt, calls: () => calls };
}

describe("withRetries", () => {
  it("retries failures a retry can fix, up to maxRetries", async () => {
    const twice = flaky("OVER_CAPACITY", "REMOTE_EXPERT_ERROR");
    await expect(withRetries(2, undefined, twice.attempt)).resolves.toBe("ok");
    expect(twice.calls()).toBe(3);
    const thrice = flaky("RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED");
    await expect(withRetries(2, undefined, thrice.attempt)).rejects.toMatchObject({ code: "RATE_LIMITED", message: "failure 3" });
    expect(thrice.calls()).toBe(3);
  });

  it("never retries a request error, an abort or a closed engine; nor with maxRetries 0", async () => {
    for (const code of ["INVALID_REQUEST", "ABORTED", "CLOSED", "MODEL_NOT_FOUND"] as const) {
      const once = flaky(code);
      await expect(withRetries(3, undefined, once.attempt)).rejects.toMatchObject({ code });
      expect(once.calls()).toBe(1);
    }
    const none = flaky("OVER_CAPACITY");
    await expect(withRetries(0, undefined, none.attempt)).rejects.toMatchObject({ code: "OVER_CAPACITY" });
    expect(none.calls()).toBe(1);
    expect(retryable(new Error("plain"))).toBe(false);
  });

  it("does not retry once a streamed attempt has delivered text", async () => {
    const streamed = flaky("REMOTE_EXPERT_ERROR");
    await expect(withRetries(2, undefined, streamed.attempt, () => false)).rejects.toMatchObject({ code: "REMOTE_EXPERT_ERROR" });
    expect(streamed.calls()).toBe(1);
  });

  it("an abort during the wait ends it with ABORTED", async () => {
    const controller = new AbortController();
    const failing = flaky("OVER_CAPACITY", "OVER_CAPACITY");
    const run = withRetries(5, controller.signal, async () => {
      const result = failing.attempt();
      // Abort once the first failure is in and the 250 ms wait before the retry has begun.
      result.catch(() => setTimeout(() => controller.abort(), 20));
      return result;
    });
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    expect(failing.calls()).toBe(1);
  });
});

describe("deadline", () => {
  it("passes the caller's signal through without a timeout", () => {
    const controller = new AbortController();
    expect(deadline(controller.signal, undefined).signal).toBe(controller.signal);
  });

  it("says a call timed out when its timer fired, and leaves the caller's own abort as it was", async () => {
    const timed = deadline(undefined, 5);
    await new Promise((resolve) => timed.signal!.addEventListener("abort", resolve, { once: true }));
    expect(timed.explain(new ConclaveError("ABORTED", "the request was aborted")).message).toBe("ChatConclave timed out after 5 ms");
    const controller = new AbortController();
    const caller = deadline(controller.signal, 60_000);
    controller.abort();
    expect(caller.signal!.aborted).toBe(true);
    expect(caller.explain(new ConclaveError("ABORTED", "the request was aborted")).message).toBe("the request was aborted");
    expect(caller.explain(new ConclaveError("INVALID_REQUEST", "bad")).code).toBe("INVALID_REQUEST");
  });
});
