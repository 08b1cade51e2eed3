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

/**
 * `scheduler.prefetch` resolved: `auto` prefetches only when some local expert holds GPU memory. On a
 * GPU a load (disk and PCIe) overlaps generation (compute); on the CPU both need the same cores, and
 * the online and schedule benches measured prefetch slowing p99 there.
 */
export function prefetchFor(setting: boolean | "auto", experts: ReadonlyArray<{ local: boolean; memory: { vram: number } }>): boolean {
  if (setting !== "auto") return setting;
  return experts.some((e) => e.local && e.memory.vram > 0);
}
