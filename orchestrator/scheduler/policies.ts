/**
 * Scheduling policies by name (`scheduler.policy` in the config). Every policy is a pure function
 * with the same signature, so benchmarks compare them on the same engine.
 *   grouped   - conclave's: work grouped by expert, online before batch, prefetch (policy.ts)
 *   fifo-lru  - arrival order, load on demand, least-recently-used eviction: Ollama, llama-swap
 */
import { decideFifoLru } from "./fifo-lru.js";
import { decide, type Policy } from "./policy.js";

export const POLICY_NAMES = ["grouped", "fifo-lru"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function policyNamed(name: PolicyName): Policy {
  switch (name) {
    case "grouped":
      return decide;
    case "fifo-lru":
      return decideFifoLru;
    default: {
      const unknown: never = name;
      throw new Error(`unknown scheduler policy ${JSON.stringify(unknown)}`);
    }
  }
}
