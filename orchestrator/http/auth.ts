/**
 * Optional bearer-key authentication. Keys are compared through their SHA-256 digests with
 * `timingSafeEqual`, so neither a key's content nor its length leaks through response timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ConclaveError } from "../../kernel/errors.js";

const digest = (text: string) => createHash("sha256").update(text).digest();

export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The bearer token of an Authorization header, or undefined. */
  static bearer(header: string | undefined): string | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
    return match?.[1]?.trim();
  }

  /** Throws INVALID_API_KEY unless the header carries a configured key (no-op when none are configured). */
  check(header: string | undefined): void {
    if (!this.enabled) return;
    const token = ApiKeys.bearer(header);
    if (!token) throw new ConclaveError("INVALID_API_KEY", "missing API key: send Authorization: Bearer <key>");
    const presented = digest(token);
    // Compare against every key, so the time taken does not say which one matched.
    let matched = false;
    for (const key of this.digests) matched = timingSafeEqual(presented, key) || matched;
    if (!matched) throw new ConclaveError("INVALID_API_KEY", "invalid API key");
  }
}

/** Keys from the config plus a comma-separated environment variable. */
export function resolveApiKeys(configured: readonly string[], envName: string | undefined, env: Record<string, string | undefined>): string[] {
  const fromEnv = envName ? (env[envName] ?? "").split(",").map((key) => key.trim()).filter(Boolean) : [];
  return [...configured, ...fromEnv];
}
