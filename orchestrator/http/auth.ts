/**
 * Optional bearer-key authentication, and who a request acts for.
 *
 * Keys are compared through their SHA-256 digests with `timingSafeEqual`, against every configured
 * key, so neither a key's content, its length nor which key matched leaks through response timing.
 * A key may be configured as `sha256:<64 hex digits>` (its digest), so a config file need not hold
 * secrets.
 *
 * `authenticate()` answers a `Principal`: the owner id of the key (derived from the key's digest, so
 * the same for a key and its `sha256:` form, and never the key itself) and whether it is an admin
 * key. With no keys configured every request acts for one anonymous owner, as before ownership.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ConclaveError } from "../../kernel/errors.js";
import { ANONYMOUS, type Principal } from "../principal.js";

export { ANONYMOUS, type Principal } from "../principal.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Who the request acts for, set by the authentication hook (anonymous on open paths). */
    principal: Principal;
  }
}

const digest = (text: string) => createHash("sha256").update(text).digest();
const HASHED = /^sha256:([0-9a-f]{64})$/i;

/** The digest a configured key stands for: its own, or the one it is given as. */
function configuredDigest(key: string): Buffer {
  const hashed = HASHED.exec(key);
  return hashed ? Buffer.from(hashed[1]!.toLowerCase(), "hex") : digest(key);
}

/** The owner id of a key digest: a second, domain-separated hash, so the id reveals nothing usable. */
export function ownerOf(keyDigest: Buffer): string {
  return `key_${createHash("sha256").update("conclave-owner\0").update(keyDigest).digest("hex").slice(0, 24)}`;
}

interface KnownKey {
  digest: Buffer;
  principal: Principal;
}

export class ApiKeys {
  private readonly known: KnownKey[];

  constructor(keys: readonly string[], adminKeys: readonly string[] = []) {
    const entry = (key: string, admin: boolean): KnownKey => {
      const keyDigest = configuredDigest(key);
      return { digest: keyDigest, principal: Object.freeze({ owner: ownerOf(keyDigest), admin }) };
    };
    this.known = [...keys.map((key) => entry(key, false)), ...adminKeys.map((key) => entry(key, true))];
  }

  get enabled(): boolean {
    return this.known.length > 0;
  }

  /** The bearer token of an Authorization header, or undefined. */
  static bearer(header: string | undefined): string | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
    return match?.[1]?.trim();
  }

  /**
   * Who the request acts for. Throws INVALID_API_KEY unless the header carries a configured key;
   * answers the anonymous owner when no keys are configured.
   */
  authenticate(header: string | undefined): Principal {
    if (!this.enabled) return ANONYMOUS;
    const token = ApiKeys.bearer(header);
    if (!token) throw new ConclaveError("INVALID_API_KEY", "missing API key: send Authorization: Bearer <key>");
    const presented = digest(token);
    // Compare against every key, so the time taken does not say which one matched. An admin key
    // listed as a plain key too keeps its admin rights.
    let matched: Principal | undefined;
    for (const key of this.known) {
      if (timingSafeEqual(presented, key.digest) && (!matched || key.principal.admin)) matched = key.principal;
    }
    if (!matched) throw new ConclaveError("INVALID_API_KEY", "invalid API key");
    return matched;
  }
}

/** Keys from the config plus a comma-separated environment variable. */
export function resolveApiKeys(configured: readonly string[], envName: string | undefined, env: Record<string, string | undefined>): string[] {
  const fromEnv = envName ? (env[envName] ?? "").split(",").map((key) => key.trim()).filter(Boolean) : [];
  return [...configured, ...fromEnv];
}
