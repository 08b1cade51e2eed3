/**
 * Who a request acts for: the owner id of its API key (never the key itself) and whether the key is
 * an admin key. The HTTP door derives it (http/auth.ts); the Batch API records it as the owner of
 * the files and batches a key makes and checks it on every access.
 */
export interface Principal {
  /** Stable id of the key that made the request; files and batches record it as their owner. */
  owner: string;
  /** Admin keys see and cancel every owner's files and batches. */
  admin: boolean;
}

/** Everything made while no keys are configured belongs to this owner. */
export const ANONYMOUS: Principal = Object.freeze({ owner: "anonymous", admin: false });

/** The server itself (metrics, resuming after a restart): sees every owner's batches. */
export const SYSTEM: Principal = Object.freeze({ owner: "system", admin: true });
