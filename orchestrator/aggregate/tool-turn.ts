/**
 * One coherent turn from recruits of which at least one called tools: never a mix of one expert's
 * calls with another's text or calls.
 *
 * Input: every recruit's turn (text or calls) with its weight. Each turn is normalised to a key: a
 * call's function name and its arguments as canonical JSON (keys sorted, whitespace gone), the calls
 * of a turn sorted (parallel calls are a set); a text turn's key is "text". Output:
 * - vote: when two or more turns share a key of calls and that key holds more than half the weight,
 *   the heaviest of those turns (its ids and text go with its calls);
 * - single: otherwise the most suitable expert's turn (the heaviest recruit; ties to the first).
 * Pure: no effects; the reason says which turn won and why, for the trace.
 */
import type { ToolCall } from "../../kernel/contracts.js";

export interface ToolTurn {
  expertId: string;
  weight: number;
  text: string;
  toolCalls?: ToolCall[];
}

export interface ToolTurnPlan {
  method: "vote" | "single";
  turn: ToolTurn;
  reason: string;
}

/** JSON with object keys sorted at every depth, so that equal arguments give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function callKey(call: ToolCall): string {
  let args: string;
  try {
    args = canonicalJson(JSON.parse(call.function.arguments === "" ? "{}" : call.function.arguments));
  } catch {
    args = call.function.arguments.trim();
  }
  return `${call.function.name}(${args})`;
}

export function turnKey(turn: ToolTurn): string {
  if (!turn.toolCalls?.length) return "text";
  return turn.toolCalls.map(callKey).sort().join(" & ");
}

/** How much the turns agree: the weight share of the largest group of two or more with the same key (0 when none). */
export function turnAgreement(turns: readonly ToolTurn[]): number {
  const total = turns.reduce((sum, turn) => sum + turn.weight, 0) || 1;
  const groups = new Map<string, ToolTurn[]>();
  for (const turn of turns) groups.set(turnKey(turn), [...(groups.get(turnKey(turn)) ?? []), turn]);
  let best = 0;
  for (const members of groups.values()) if (members.length >= 2) best = Math.max(best, members.reduce((sum, turn) => sum + turn.weight, 0) / total);
  return best;
}

export function planToolTurn(turns: readonly ToolTurn[]): ToolTurnPlan {
  if (turns.length === 0) throw new Error("planToolTurn needs at least one turn");
  const total = turns.reduce((sum, turn) => sum + turn.weight, 0) || 1;
  const groups = new Map<string, ToolTurn[]>();
  for (const turn of turns) groups.set(turnKey(turn), [...(groups.get(turnKey(turn)) ?? []), turn]);
  const heaviest = (members: readonly ToolTurn[]) => members.reduce((best, turn) => (turn.weight > best.weight ? turn : best));
  let winner: { key: string; members: ToolTurn[]; weight: number } | undefined;
  for (const [key, members] of groups) {
    if (key === "text" || members.length < 2) continue;
    const weight = members.reduce((sum, turn) => sum + turn.weight, 0);
    if (weight / total > 0.5 && (!winner || weight > winner.weight)) winner = { key, members, weight };
  }
  if (winner) {
    const turn = heaviest(winner.members);
    return {
      method: "vote",
      turn,
      reason: `${winner.members.length} of ${turns.length} experts made the same calls ${winner.key} (weight ${(winner.weight / total).toFixed(2)}); ${turn.expertId}'s turn`,
    };
  }
  const turn = heaviest(turns);
  const what = turn.toolCalls?.length ? `its calls ${turnKey(turn)}` : "its text answer";
  return {
    method: "single",
    turn,
    reason: `no majority over normalised calls among ${turns.length} turns (${[...groups.keys()].join(" | ")}); the most suitable expert ${turn.expertId} (weight ${(turn.weight / total).toFixed(2)}) with ${what}`,
  };
}
