/**
 * A hand-written RouterBench-like fixture: three models answering six two-choice questions, with
 * costs and grades chosen so every figure the tests check can be computed by hand.
 *   strong: right on all but q6, $0.010 a call      mid: right on q1-q4, $0.002      weak: right on q1-q3 and q6, $0.001
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const Q = (n: number) => `Question ${n}: which one?\nA) first\nB) second\nAnswer:`;
const truth: Record<number, "A" | "B"> = { 1: "A", 2: "B", 3: "A", 4: "B", 5: "A", 6: "B" };
const other = (letter: "A" | "B") => (letter === "A" ? "B" : "A");
const right = { strong: [1, 2, 3, 4, 5], mid: [1, 2, 3, 4], weak: [1, 2, 3, 6] } as const;
export const COSTS = { strong: 0.01, mid: 0.002, weak: 0.001 } as const;
export type Model = keyof typeof COSTS;

export function fixtureLines(questions: readonly number[] = [1, 2, 3, 4, 5, 6]): string[] {
  return questions.map((n) => {
    const answers = Object.fromEntries(
      (Object.keys(COSTS) as Model[]).map((m) => {
        const ok = (right[m] as readonly number[]).includes(n);
        return [m, { text: ok ? truth[n]! : other(truth[n]!), correct: ok ? 1 : 0, cost: COSTS[m] }];
      }),
    );
    return JSON.stringify({ id: `q${n}`, task: "toy", prompt: Q(n), answers });
  });
}

export const prompt = Q;

export async function writeFixture(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), "conclave-replay-"));
  const file = join(dir, "toy.jsonl");
  await writeFile(file, `${fixtureLines().join("\n")}\n`);
  return { dir, file };
}
