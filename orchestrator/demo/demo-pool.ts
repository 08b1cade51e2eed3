/**
 * The embedded default: with no experts configured, conclave generates a small pool of synthetic
 * sparse-MoE experts (random weights, a few MB in all) so that every door works offline on any machine.
 * Their answers are noise; their routing, scheduling and aggregation are real. The profile below is
 * *declared*, not measured: it says which demo expert stands for which skills.
 *
 * Files are written once into `<models.dir>/demo` and reused (the writer skips identical specs).
 */
import { join } from "node:path";
import type { ExpertConfig } from "../config/schema.js";
import type { Profile } from "../profile/format.js";
import { writeTestModelSet, type TestModelSpec } from "../../experts/testmodels/generate.js";

interface DemoExpert {
  id: string;
  description: string;
  spec: TestModelSpec;
  skills: string[];
}

const base = { embedding: 64, layers: 2, heads: 4, feedForward: 128, contextLength: 1024, quant: "Q8_0" } as const;

export const DEMO_EXPERTS: readonly DemoExpert[] = [
  {
    id: "demo-math",
    description: "synthetic Mixtral-style MoE (4 experts, top-2) standing for mathematics",
    spec: { ...base, name: "demo-math", experts: 4, expertsUsed: 2, seed: 11 },
    skills: ["arithmetic", "algebra", "statistics"],
  },
  {
    id: "demo-code",
    description: "synthetic Mixtral-style MoE (4 experts, top-2) standing for programming and databases",
    spec: { ...base, name: "demo-code", experts: 4, expertsUsed: 2, seed: 12 },
    skills: ["python-programming", "sql"],
  },
  {
    id: "demo-law",
    description: "synthetic Mixtral-style MoE (8 experts, top-2) standing for law and history",
    spec: { ...base, name: "demo-law", experts: 8, expertsUsed: 2, seed: 13 },
    skills: ["contract-law", "history"],
  },
  {
    id: "demo-science",
    description: "synthetic Mixtral-style MoE (4 experts, top-1) standing for the natural sciences",
    spec: { ...base, name: "demo-science", experts: 4, expertsUsed: 1, seed: 14 },
    skills: ["biology", "chemistry"],
  },
  {
    id: "demo-writer",
    description: "synthetic Mixtral-style MoE (4 experts, top-2) standing for writing; the demo aggregator",
    spec: { ...base, name: "demo-writer", experts: 4, expertsUsed: 2, seed: 15 },
    skills: ["creative-writing", "summarization", "translation"],
  },
];

export const DEMO_AGGREGATOR = "demo-writer";

export interface DemoPool {
  experts: ExpertConfig[];
  profile: Profile;
  aggregator: string;
}

/** +4 on an expert's own skills, -1 on the others' (as if measured on a validation set of 5 per skill). */
export function demoProfile(skillIds: readonly string[]): Profile {
  const experts: Profile["experts"] = {};
  for (const expert of DEMO_EXPERTS) {
    const skills: Record<string, number> = {};
    for (const skill of skillIds) skills[skill] = expert.skills.includes(skill) ? 4 : -1;
    // Declared equally competent: the demo pool's experts differ only in which skills they stand for.
    experts[expert.id] = { skills, competence: 1 };
  }
  return { version: 1, source: "declared for the synthetic demo pool, not measured", experts, aggregator: { expertId: DEMO_AGGREGATOR } };
}

export async function prepareDemoPool(modelsDir: string, skillIds: readonly string[], sequences: number): Promise<DemoPool> {
  const dir = join(modelsDir, "demo");
  const written = await writeTestModelSet(dir, Object.fromEntries(DEMO_EXPERTS.map((e) => [e.id, e.spec])));
  const experts: ExpertConfig[] = DEMO_EXPERTS.map((expert) => ({
    id: expert.id,
    backend: "llama",
    model: written[expert.id]!.path,
    description: expert.description,
    contextSize: 1024,
    sequences,
    // One thread: at this size llama.cpp's thread sync costs more than the math
    // (measured here: 0.8 ms/token on 1 thread, 12.4 ms/token on 2).
    threads: 1,
    gpuLayers: 0,
    useMmap: true,
    promptFormat: "chat",
    reusePrefix: true,
  }));
  return { experts, profile: demoProfile(skillIds), aggregator: DEMO_AGGREGATOR };
}
