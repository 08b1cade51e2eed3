import { describe, expect, it } from "vitest";
import { ConclaveError, ERROR_CATALOGUE, isConclaveError, toConclaveError, toOpenAIErrorBody } from "../../kernel/errors.js";

describe("error catalogue", () => {
  it("gives every code an HTTP status, an OpenAI error type and a retry hint", () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^[A-Z][A-Z_]+$/);
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.status, code).toBeLessThan(600);
      expect(["invalid_request_error", "server_error", "rate_limit_error", "request_aborted"], code).toContain(entry.type);
      // Client errors are never worth retrying as they are, except being told to slow down.
      if (entry.status < 500 && entry.status !== 429 && entry.status !== 499) expect(entry.retryable, code).toBe(false);
    }
  });

  it("maps the statuses the HTTP door promises", () => {
    const status = (code: keyof typeof ERROR_CATALOGUE) => new ConclaveError(code, "x").status;
    expect([status("INVALID_REQUEST"), status("INVALID_API_KEY"), status("MODEL_NOT_FOUND"), status("BODY_TOO_LARGE"), status("OVER_CAPACITY"), status("NO_EXPERT_AVAILABLE")]).toEqual([
      400, 401, 404, 413, 429, 503,
    ]);
  });

  it("recognises errors by marker and renders OpenAI's error body", () => {
    const error = new ConclaveError("MODEL_NOT_FOUND", "no expert named x", { param: "model" });
    expect(isConclaveError(error)).toBe(true);
    expect(isConclaveError({ code: "MODEL_NOT_FOUND" })).toBe(false);
    expect(toOpenAIErrorBody(error)).toEqual({ error: { message: "no expert named x", type: "invalid_request_error", param: "model", code: "model_not_found" } });
    const abort = Object.assign(new Error("stop"), { name: "AbortError" });
    expect(toConclaveError(abort).code).toBe("ABORTED");
    expect(toConclaveError(new Error("boom"), "INTERNAL_ERROR")).toMatchObject({ code: "INTERNAL_ERROR", message: "boom" });
  });
});
