/**
 * The simulated workload: 200 experts of mixed sizes with a synthetic Symbolic-MoE profile, and a
 * seeded stream of requests, each with one or two skills drawn from a Zipf mix (with bursts on one
 * skill at a time), recruiting k experts through conclave's own `recruitSymbolic` (top-k). The
 * recruitment of a skill set is computed once and cached: top-k selection is deterministic in it.
 * Every system sees the same stream: it depends only on the seed and the parameters.
 */
import type { SkillTag } from "../../kernel/contracts.js";
import { mulberry32 } from "../../kernel/prng.js";
import type { Profile } from "../../orchestrator/profile/format.js";
import { recruitSymbolic } from "../../orchestrator/recruit/symbolic.js";
import type { SimParams } from "./params.js";

export interface SimExpert {
  index: number;
  id: string;
  className: string;
  memoryGB: number;
  tokensPerSecond: number;
  loadSeconds: number;
}

export interface Workload {
  experts: SimExpert[];
  /** Recruited expert indexes of a skill set (cached). */
  recruit(skills: readonly number[]): Int32Array;
  profile: Profile;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

export function buildWorkload(params: SimParams): Workload {
  const random = mulberry32(params.seed * 7919 + 17);
  const classes = params.classes;
  const experts: SimExpert[] = [];
  const width = String(params.experts - 1).length;
  for (let i = 0; i < params.experts; i++) {
    let point = random();
    const cls = classes.find((c) => (point -= c.share) < 0) ?? classes[classes.length - 1]!;
    experts.push({
      index: i,
      id: `e${pad(i, width)}`,
      className: cls.name,
      memoryGB: cls.memoryGB,
      tokensPerSecond: cls.tokensPerSecond,
      loadSeconds: cls.memoryGB / params.loadGBps + params.loadOverheadSeconds,
    });
  }
  // Each expert is strong at one skill (its specialty) and fair at a second one.
  const profile: Profile = { version: 1, experts: {} };
  for (const expert of experts) {
    const primary = expert.index % params.skills;
    let secondary = Math.floor(random() * params.skills);
    if (secondary === primary) secondary = (secondary + 1) % params.skills;
    profile.experts[expert.id] = {
      skills: { [`s${primary}`]: 5 + 10 * random(), [`s${secondary}`]: 1 + 4 * random() },
      competence: 0.5 + 0.5 * random(),
    };
  }
  const available = experts.map((e) => e.id);
  const indexOf = new Map(experts.map((e) => [e.id, e.index]));
  const cache = new Map<string, Int32Array>();
  return {
    experts,
    profile,
    recruit(skills) {
      const key = skills.join(",");
      let recruits = cache.get(key);
      if (!recruits) {
        const tags: SkillTag[] = skills.map((s, i) => ({ skill: `s${s}`, score: i === 0 ? 1 : 0.6 }));
        const result = recruitSymbolic(tags, profile, available, { k: params.k, selection: "top", seed: params.seed });
        recruits = Int32Array.from(result.recruits, (r) => indexOf.get(r.expertId)!);
        cache.set(key, recruits);
      }
      return recruits;
    },
  };
}

/** One request of the stream; the object is reused by `next()`. */
export interface Arrival {
  time: number;
  skills: number[];
  /** Output tokens of each recruit's answer. */
  outputTokens: number[];
}

/**
 * The request stream: a Poisson process whose rate is piecewise constant (the base rate, plus a
 * burst on one skill during burst windows), drawn exactly by redrawing at every rate change.
 */
export class ArrivalStream {
  private readonly random: () => number;
  private readonly cumulative: Float64Array;
  private readonly current: Arrival = { time: 0, skills: [], outputTokens: [] };
  private time = 0;
  private burstSkill = -1;

  constructor(private readonly params: SimParams) {
    this.random = mulberry32(params.seed * 104729 + 3);
    const weights = Array.from({ length: params.skills }, (_, i) => 1 / (i + 1) ** params.zipf);
    const total = weights.reduce((a, b) => a + b, 0);
    let sum = 0;
    this.cumulative = Float64Array.from(weights, (w) => (sum += w / total));
  }

  /** Base rate chosen so that the mean rate, bursts included, is `requestsPerSecond`. */
  private rates(time: number): { base: number; burst: number; until: number } {
    const p = this.params;
    const burstShare = p.burstEverySeconds > 0 ? p.burstSeconds / p.burstEverySeconds : 0;
    const base = p.requestsPerSecond / (1 + p.burstFactor * burstShare);
    if (p.burstEverySeconds <= 0) return { base, burst: 0, until: Infinity };
    const cycle = Math.floor(time / p.burstEverySeconds);
    const into = time - cycle * p.burstEverySeconds;
    // The burst sits at the end of each cycle, so the first one comes after the warm-up.
    const burstStart = p.burstEverySeconds - p.burstSeconds;
    if (into < burstStart) return { base, burst: 0, until: cycle * p.burstEverySeconds + burstStart };
    return { base, burst: base * p.burstFactor, until: (cycle + 1) * p.burstEverySeconds };
  }

  /** The next request, or undefined after `durationSeconds`. */
  next(): Arrival | undefined {
    for (;;) {
      const { base, burst, until } = this.rates(this.time);
      const gap = -Math.log(1 - this.random()) / (base + burst);
      if (this.time + gap >= until) {
        this.time = until;
        if (burst === 0) this.burstSkill = Math.floor(this.random() * this.params.skills);
        if (this.time >= this.params.durationSeconds) return undefined;
        continue;
      }
      this.time += gap;
      if (this.time >= this.params.durationSeconds) return undefined;
      const a = this.current;
      a.time = this.time;
      a.skills.length = 0;
      const bursting = burst > 0 && this.random() < burst / (base + burst);
      const first = bursting ? this.burstSkill : this.zipfSkill();
      a.skills.push(first);
      if (this.random() < this.params.twoSkillShare) {
        const second = this.zipfSkill();
        if (second !== first) a.skills.push(second);
      }
      a.outputTokens.length = 0;
      const span = this.params.maxOutputTokens - this.params.minOutputTokens;
      for (let i = 0; i < this.params.k; i++) a.outputTokens.push(this.params.minOutputTokens + Math.floor(this.random() * (span + 1)));
      return a;
    }
  }

  private zipfSkill(): number {
    const u = this.random();
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
