/**
 * Human-readable renderings for the CLI: the routing trace of one answer and the summary of a batch.
 * Pure string building, so the wording is tested without running a model.
 */
import type { RoutingTrace } from "../../kernel/contracts.js";

const ms = (value: number) => `${Math.round(value)} ms`;

function oneLine(text: string, max: number): string {
  const flat = text.trim().replace(/\s+/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function formatTrace(trace: RoutingTrace): string {
  const lines: string[] = [];
  const skills = trace.skills.length
    ? trace.skills.map((s) => `${s.skill} ${s.score.toFixed(2)}${s.keyword && s.keyword !== s.skill ? ` (“${s.keyword}”)` : ""}`).join(", ")
    : "(none)";
  lines.push(`skills      ${skills}`);
  const fallback = trace.recruitment.fallback ? ` — fallback: ${trace.recruitment.fallback}` : "";
  lines.push(`recruited   ${trace.recruitment.strategy}${fallback}`);
  if (trace.recruitment.abstain) lines.push(`abstained   ${trace.recruitment.abstain.reason}`);
  for (const recruit of trace.recruitment.recruits) {
    lines.push(`  ${recruit.expertId.padEnd(18)} weight ${recruit.weight.toFixed(2)}  ${recruit.reason}`);
  }
  for (const failure of trace.failures) lines.push(`  ✗ ${failure.expertId}: ${failure.code} ${failure.message}`);
  // A thinking expert's thought, on one line (the answer above is what came after it).
  for (const answer of trace.answers) if (answer.reasoning) lines.push(`thought     ${answer.expertId}: ${oneLine(answer.reasoning, 200)}`);
  const aggregator = trace.aggregation.aggregator ? ` by ${trace.aggregation.aggregator}` : "";
  for (const step of trace.cascade ?? []) lines.push(`  cascade tier ${step.tier + 1}: ${step.experts.join(", ")} — ${step.reason}`);
  lines.push(`aggregation ${trace.aggregation.method}${aggregator}: ${trace.aggregation.reason}`);
  if (trace.cost !== undefined && trace.cost > 0) lines.push(`cost        $${trace.cost.toPrecision(3)}`);
  const t = trace.times;
  lines.push(`time        tag ${ms(t.tagMs)} · recruit ${ms(t.recruitMs)} · experts ${ms(t.runMs)} · aggregate ${ms(t.aggregateMs)} · total ${ms(t.totalMs)}`);
  for (const warning of trace.warnings) lines.push(`warning     ${warning}`);
  return lines.join("\n");
}

export interface BatchSummary {
  instances: number;
  succeeded: number;
  failed: number;
  loads: Record<string, number>;
  wallMs: number;
  peakRssBytes: number;
  mode: "grouped" | "per-instance";
  /** US dollars spent by the batch's calls, per expert and in total (declared or recorded costs). */
  costUsd?: { total: number; byExpert: Record<string, number> };
}

export function formatSummary(summary: BatchSummary): string {
  const loads = Object.entries(summary.loads)
    .map(([id, n]) => `${id}×${n}`)
    .join(", ");
  return [
    `instances   ${summary.instances} (${summary.succeeded} ok, ${summary.failed} failed)`,
    `loads       ${loads || "(none)"} — ${summary.mode === "grouped" ? "grouped by expert" : "per instance"}`,
    `wall time   ${(summary.wallMs / 1000).toFixed(2)} s`,
    `peak RSS    ${(summary.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    ...(summary.costUsd && summary.costUsd.total > 0 ? [`cost        $${summary.costUsd.total.toPrecision(4)}`] : []),
  ].join("\n");
}
