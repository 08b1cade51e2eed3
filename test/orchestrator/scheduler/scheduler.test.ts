import { describe, expect, it } from "vitest";
import type { GenerateRequest, GenerateResult } from "../../../experts/spec.js";
import { ConclaveError, isConclaveError } from "../../../kernel/errors.js";
import { Scheduler, type SchedulableExpert, type SchedulerEffects, type SchedulerOptions } from "../../../orchestrator/scheduler/scheduler.js";
import { policyNamed } from "../../../orchestrator/scheduler/policies.js";

/** Records every effect in order; loads and runs finish on the next macrotask unless told otherwise. */
class RecordingEffects implements SchedulerEffects {
  readonly log: string[] = [];
  readonly resident = new Set<string>();
  maxResident = 0;
  failLoads = new Set<string>();
  /** Loads that take this many ticks (1 by default) and stop early when their signal fires. */
  slowLoads = new Map<string, number>();

  async load(id: string, signal?: AbortSignal) {
    this.log.push(`load ${id}`);
    for (let i = 0; i < (this.slowLoads.get(id) ?? 1); i++) {
      await tick();
      if (signal?.aborted) {
        this.log.push(`cancelled ${id}`);
        throw signal.reason;
      }
    }
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

function scheduler(list: SchedulableExpert[], effects: SchedulerEffects, budgetGb: number, fairnessCap = 1000, extra: Partial<SchedulerOptions> = {}) {
  return new Scheduler(list, effects, { budget: { ram: budgetGb * GB, vram: 0 }, fairnessCap, ageWeightMs: 1e9, ...extra });
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

  it("fifo-lru reloads on every switch of an interleaved batch; grouped loads each expert once", async () => {
    const ids = ["a", "b", "c"];
    const loads: Record<string, number> = {};
    for (const name of ["fifo-lru", "grouped"] as const) {
      const effects = new RecordingEffects();
      const s = scheduler(experts(ids, { slots: 1 }), effects, 1, 1000, { policy: policyNamed(name) });
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => s.submit(ids[i % 3]!, request(`q${i}`), { workClass: "batch" })));
      expect(results.map((r) => r.text)).toEqual(Array.from({ length: 12 }, (_, i) => `${ids[i % 3]}:q${i}`));
      expect(effects.maxResident).toBe(1);
      loads[name] = s.stats().loads;
    }
    expect(loads).toEqual({ "fifo-lru": 12, grouped: 3 });
  });

  it("fifo-lru serves in arrival order: a later request never overtakes one waiting for a load", async () => {
    const effects = new RecordingEffects();
    const ran: string[] = [];
    const run = effects.run.bind(effects);
    effects.run = (id, req) => (ran.push(req.messages[0]!.content), run(id, req));
    const s = scheduler(experts(["a", "b"], { slots: 4 }), effects, 1, 1000, { policy: policyNamed("fifo-lru") });
    await Promise.all(["a", "b", "a", "b", "a"].map((id, i) => s.submit(id, request(`q${i}`))));
    expect(ran).toEqual(["q0", "q1", "q2", "q3", "q4"]);
  });

  it("grouped serves a chat before a waiting batch, and loads its model ahead of the batch's next model", async () => {
    const effects = new RecordingEffects();
    const order: string[] = [];
    const run = effects.run.bind(effects);
    effects.run = (id, req) => (order.push(req.messages[0]!.content), run(id, req));
    const s = scheduler(experts(["a", "b", "c"], { slots: 1 }), effects, 1);
    const batch = Array.from({ length: 6 }, (_, i) => s.submit(i < 3 ? "a" : "b", request(`batch${i}`), { workClass: "batch" }));
    const chat = s.submit("c", request("chat"));
    await Promise.all([...batch, chat]);
    // a was loading when the chat came: the chat's model goes next, before any more batch work.
    expect(order[0]).toBe("chat");
    expect(effects.log.filter((e) => e.startsWith("load"))).toEqual(["load a", "load c", "load a", "load b"]);
  });

  it("grouped cancels a batch model's slow load for a chat's model, then loads it again for the batch", async () => {
    const effects = new RecordingEffects();
    effects.slowLoads.set("a", 50);
    const order: string[] = [];
    const run = effects.run.bind(effects);
    effects.run = (id, req) => (order.push(req.messages[0]!.content), run(id, req));
    const s = scheduler(experts(["a", "c"], { slots: 1 }), effects, 1);
    const batch = Array.from({ length: 3 }, (_, i) => s.submit("a", request(`batch${i}`), { workClass: "batch" }));
    await tick();
    const chat = s.submit("c", request("chat"));
    const results = await Promise.all([...batch, chat]);
    expect(results.map((r) => r.text)).toEqual(["a:batch0", "a:batch1", "a:batch2", "c:chat"]);
    expect(order[0]).toBe("chat");
    expect(effects.log.filter((e) => !e.startsWith("unload"))).toEqual(["load a", "cancelled a", "load c", "load a"]);
    expect(s.stats().experts.a).toMatchObject({ loadsCancelled: 1, loadFailures: 0, loads: 1, served: 3 });
  });

  it("fifo-lru lets the slow batch load finish before the chat's model", async () => {
    const effects = new RecordingEffects();
    effects.slowLoads.set("a", 5);
    const s = scheduler(experts(["a", "c"], { slots: 1 }), effects, 1, 1000, { policy: policyNamed("fifo-lru") });
    const batch = s.submit("a", request("batch"), { workClass: "batch" });
    await tick();
    await Promise.all([batch, s.submit("c", request("chat"))]);
    expect(effects.log.filter((e) => e.startsWith("load") || e.startsWith("cancelled"))).toEqual(["load a", "load c"]);
  });

  it("lets starved batch work through after maxBatchStarvationMs despite a stream of chats", async () => {
    const effects = new RecordingEffects();
    let clock = 0;
    const s = scheduler(experts(["a", "b"], { slots: 1 }), effects, 1, 1000, { maxBatchStarvationMs: 50, now: () => clock });
    const batch = s.submit("a", request("batch"), { workClass: "batch" });
    // b is loaded for chats (online first); a never gets its turn while chats keep coming...
    const chats: Array<Promise<unknown>> = [s.submit("b", request("chat0"))];
    let batchDone = false;
    void batch.then(() => (batchDone = true));
    for (let i = 1; i <= 20 && !batchDone; i++) {
      clock += 10;
      chats.push(s.submit("b", request(`chat${i}`)));
      await tick();
      await tick();
    }
    // ...until it has starved 50 ms of the scheduler's clock.
    expect(batchDone).toBe(true);
    expect(clock).toBeGreaterThanOrEqual(50);
    await Promise.all(chats);
  });
});
