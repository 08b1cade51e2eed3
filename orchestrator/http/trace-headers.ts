/**
 * The routing trace as response headers, for clients that cannot read the body's `conclave` field
 * (proxies, logs, streaming clients before the last chunk). Values are ASCII and comma-separated.
 */
import type { InstanceOutcome } from "../../kernel/contracts.js";
import type { RouteResult } from "../pipeline.js";

const ascii = (text: string) => text.replace(/[^\x20-\x7e]/g, "?");

export function routeHeaders(routed: RouteResult, warnings: string[]): Record<string, string> {
  const headers: Record<string, string> = {
    "x-conclave-strategy": routed.recruitment.strategy,
    "x-conclave-skills": routed.skills.map((s) => `${s.skill};score=${s.score.toFixed(3)}`).join(", "),
    "x-conclave-experts": routed.recruitment.recruits.map((r) => `${r.expertId};weight=${r.weight.toFixed(3)}`).join(", "),
  };
  if (routed.recruitment.fallback) headers["x-conclave-fallback"] = ascii(routed.recruitment.fallback);
  if (warnings.length) headers["x-conclave-warnings"] = ascii(warnings.join("; "));
  return headers;
}

export function outcomeHeaders(outcome: InstanceOutcome): Record<string, string> {
  const t = outcome.trace.times;
  const headers: Record<string, string> = {
    "x-conclave-aggregation": outcome.trace.aggregation.method,
    "x-conclave-time-ms": `tag=${t.tagMs}, recruit=${t.recruitMs}, run=${t.runMs}, aggregate=${t.aggregateMs}, total=${t.totalMs}`,
  };
  if (outcome.trace.aggregation.aggregator) headers["x-conclave-aggregator"] = outcome.trace.aggregation.aggregator;
  return headers;
}
