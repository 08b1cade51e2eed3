import { describe, expect, it } from "vitest";
import type { GenerateRequest, GenerateResult } from "../../../experts/spec.js";
import { ConclaveError, isConclaveError } from "../../../kernel/errors.js";
import { Scheduler, type SchedulableExpert, type SchedulerEffects } from "../../../orchestrator/scheduler/scheduler.js";

/** Records every effect in order; loads and runs finish on the next macrotask unless told otherwise. */
class RecordingEffects implements SchedulerEffects {
  readonly log: string[] = [];
  readonly resident = new Set<string>();
  maxResident = 0;
  failLoads = new Set<string>();

  async load(id: string) {
    this.log.push(`load ${id}`);
    await tick();
    if (this.failLoads.has(id)) throw new ConclaveError("MODEL_LOAD_FAILED", `failed to load /models/${id}.gguf`);
    this.resident.add(id);
    this.maxResident = Math.max(this.maxResident, this.resident.size);
  }

  async unload(id: string) {
    this.log.push(`unload ${id}`);
    this.resident.delete(id);
  }

  async run(id: string, request: GenerateRequest): Promise<GenerateResult> {
    if (!this.resident.has(id) && !id.startsWith("remote")) throw new Error(`${id} ran while not resident`);
    await tick();
    const text = `${id}:${request.messages[0]?.content}`;
    return { text, finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1 }, warnings: [] };
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
const GB = 1e9;

function experts(ids: string[], extra: Partial<SchedulableExpert> = {}): SchedulableExpert[] {
  return ids.map((id) => ({ id, local: true, slots: 2, memory: { ram: 1 * GB, vram: 0 }, sticky: false, ...extra }));
}

function request(content: string, signal?: AbortSignal): GenerateRequest {
  return { messages: [{ role: "user", content }], params: { maxTokens: 4 }, ...(signal ? { signal } : {}) };
}

function scheduler(list: SchedulableExpert[], effects: SchedulerEffects, budgetGb: number, fairnessCap = 1000) {
  return new Scheduler(list, effects, { budget: { ram: budgetGb * GB, vram: 0 }, fairnessCap, ageWeightMs: 1e9 });
}

describe("Scheduler", () => {
  it("loads every expert once for a batch when the budget holds them all", async () => {
    const effects = new RecordingEffects();
    const s = scheduler(experts(["a", "b", "c"]), effects, 3);
    const jobs = Array.from({ length: 30 }, (_, i) => s.submit(["a", "b", "c"][i % 3]!, request(`q${i}`)));
    const results = await Promise.all(jobs);
    expect(results.map((r) => r.text)).toEqual(Array.from({ length: 30 }, (_, i) => `${["a", "b", "c"][i % 3]}:q${i}`));
    expect(s.stats().loads).toBe(3);
    expect(s.stats().evictions).toBe(0);
    expect(effects.log.filter((e) => e.startsWith("load")).sort()).toEqual(["load a", "load b", "load c"]);
  });

  it("with room for one model, finishes each expert's backlog before switching (one load each)", async () => {
    const effects = new RecordingEffects();
    const s = scheduler(experts(["a", "b", "c"]), effects, 1);
    const jobs = Array.from({ length: 12 }, (_, i) => s.submit(["a", "b", "c"][i % 3]!, request(`q${i}`)));
    await Promise.all(jobs);
    expect(effects.maxResident).toBe(1);
    expect(s.stats().loads).toBe(3);
    expect(s.stats().evictions).toBe(2);
    expect(s.stats().experts["a"]!.served).toBe(4);
  });

  it("uses up to `slots` sequences of a resident expert at once", async () => {
    const effects = new RecordingEffects();
    const s = scheduler(experts(["a"], { slots: 3 }), effects, 1);
    await Promise.all(Array.from({ length: 9 }, (_, i) => s.submit("a", request(`q${i}`))));
    expect(s.stats().experts["a"]!.peakInFlight).toBe(3);
  });

  it("fails only the broken expert's work when its load fails; others serve", async () => {
    const effects = new RecordingEffects();
    effects.failLoads.add("broken");
    const s = scheduler(experts(["broken", "good"]), effects, 2);
    const [bad, good] = await Promise.allSettled([s.submit("broken", request("x")), s.submit("good", request("y"))]);
    expect(bad.status).toBe("rejected");
    expect(bad.status === "rejected" && isConclaveError(bad.reason) && bad.reason.code).toBe("MODEL_LOAD_FAILED");
    expect(good.status === "fulfilled" && good.value.text).toBe("good:y");
    // Later work for the broken expert fails at once, without another load attempt.
    await expect(s.submit("broken", request("z"))).rejects.toMatchObject({ code: "MODEL_LOAD_FAILED" });
    expect(effects.log.filter((e) => e === "load broken")).toHaveLength(1);
  });

  it("refuses an expert that cannot fit the budget with a reason", async () => {
    const effects = new RecordingEffects();
    const s = scheduler(experts(["big"], { memory: { ram: 3 * GB, vram: 0 } }), effects, 1);
    await expect(s.submit("big", request("x"))).rejects.toMatchObject({ code: "MODEL_TOO_LARGE" });
    expect(effects.log).toEqual([]);
  });

  it("rejects an aborted item that is still waiting, and never runs it", async () => {
    const effects = new RecordingEffects();
    const s = scheduler(experts(["a"], { slots: 1 }), effects, 1);
    const controller = new AbortController();
    const first = s.submit("a", request("first"));
    const second = s.submit("a", request("second", controller.signal));
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: "ABORTED" });
    await expect(first).resolves.toMatchObject({ text: "a:first" });
    expect(s.stats().experts["a"]!.served).toBe(1);
  });

  it("serves remote experts without loading them", async () => {
    const effects = new RecordingEffects();
    const s = scheduler(experts(["remote-x"], { local: false, memory: { ram: 0, vram: 0 } }), effects, 0);
    await expect(s.submit("remote-x", request("hi"))).resolves.toMatchObject({ text: "remote-x:hi" });
    expect(effects.log).toEqual([]);
  });

  it("unloadIdle frees idle residents only, and the next request loads again", async () => {
    const effects = new RecordingEffects();
    const s = scheduler(experts(["a", "b"]), effects, 2);
    await Promise.all([s.submit("a", request("x")), s.submit("b", request("y"))]);
    let release!: () => void;
    const busy = new Promise<void>((resolve) => (release = resolve));
    const slowRun = effects.run.bind(effects);
    effects.run = async (id, req) => {
      if (id === "b") await busy;
      return slowRun(id, req);
    };
    const running = s.submit("b", request("z"));
    await tick();
    expect(await s.unloadIdle()).toEqual(["a"]);
    expect(s.stats().experts.a!.resident).toBe(false);
    expect(s.stats().experts.b!.resident).toBe(true);
    release();
    await running;
    await s.submit("a", request("again"));
    expect(s.stats().experts.a!.loads).toBe(2);
    expect(s.stats().experts.a!.unloads).toBe(1);
  });

  it("rejects unknown experts and work after close; close unloads and is idempotent", async () => {
    const effects = new RecordingEffects();
    const s = scheduler(experts(["a"]), effects, 1);
    await expect(s.submit("nope", request("x"))).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
    await s.submit("a", request("x"));
    await s.close();
    await s.close();
    expect(effects.log).toEqual(["load a", "unload a"]);
    await expect(s.submit("a", request("y"))).rejects.toMatchObject({ code: "CLOSED" });
  });
});
