/**
 * The core every door shares: built once from a validated config, it owns the experts, the scheduler
 * and the router, and answers instances one at a time (online) or many at once (batch).
 *
 * Start-up reads every local model's header and estimates its memory; a model that is unreadable or
 * bigger than the budget is marked unavailable with its reason, and the rest serve. `close()` unloads
 * everything and is safe to call twice.
 */
import { availableParallelism, totalmem } from "node:os";
import { dirname, join } from "node:path";
import type { Config, ExpertConfig } from "./config/schema.js";
import type { ChatMessage, Instance, InstanceOutcome, SkillTag } from "../kernel/contracts.js";
import { ConclaveError, isConclaveError, toConclaveError } from "../kernel/errors.js";
import {
  aggregate,
  answer,
  fit,
  generationParams,
  route,
  toolRequest,
  wantsTools,
  type AnswerOptions,
  type ContextFit,
  type ExpertCalls,
  type PipelineParts,
  type RecruitOutcome,
  type RouteResult,
} from "./pipeline.js";
import type { GenerateResult } from "../experts/spec.js";
import type { BatchLineFormat, WorkerEngine } from "../queues/engine.js";
import { errorLine, successLine } from "./batch/lines.js";
import { Scheduler, type SchedulableExpert, type SchedulerStats } from "./scheduler/scheduler.js";
import { policyNamed } from "./scheduler/policies.js";
import { buildRouter } from "./router.js";
import { ZOO_CONFIG_PATH } from "./config/load.js";
import { prepareDemoPool } from "./demo/demo-pool.js";
import { loadProfile, type Profile } from "./profile/format.js";
import { createExpert } from "./expert-factory.js";
import { getRuntime, type RuntimeOptions } from "../experts/llama/runtime.js";
import type { ExpertBackend, MemoryEstimate, ModelShape } from "../experts/spec.js";
import { loadCatalog } from "./catalog.js";
import type { ContextWindow } from "./context-fit.js";
import { callCost, CostLedger, expectedCosts, profileVoteWeight } from "./cost.js";
import { competenceWeight } from "./aggregate/vote.js";

export interface OrchestratorOptions {
  env?: Record<string, string | undefined>;
  /** Where notices for the operator go (synthetic demo pool, unavailable experts). */
  notice?: (message: string) => void;
  /** A profile given in code (tests, benchmarks); otherwise `routing.profile` is read. */
  profile?: Profile;
  /** Where the pipeline's expert calls go instead of this process's scheduler (fleet mode: the workers' queues). */
  expertCalls?: ExpertCalls;
}

export interface ExpertStatus {
  id: string;
  kind: "llama" | "remote" | "replay";
  description?: string;
  shape?: ModelShape;
  memory?: MemoryEstimate;
  slots: number;
  resident: boolean;
  /** Whether it takes `tools` (known once described: a local expert's chat wrapper, a remote one's config). */
  tools?: boolean;
  unavailable?: { code: string; message: string };
}

export interface BatchProgress {
  /** The instance that just finished (its outcome or its error). */
  id: string;
  done: number;
  total: number;
  outcome: InstanceOutcome | undefined;
  error: ConclaveError | undefined;
}

export type BatchResult = { id: string; outcome: InstanceOutcome } | { id: string; error: ConclaveError };

/** An instance that got its answer (online, batch or queued), for live views such as the dashboard. */
export interface FinishedInstance {
  instance: Instance;
  outcome: InstanceOutcome;
  workClass: "online" | "batch";
}

/**
 * The engine behind every front door. It also fills in the queue port (`BatchEngine`,
 * `WorkerEngine` in queues/engine.ts), so executors and workers run on it without importing it.
 */
export class Orchestrator implements WorkerEngine {
  private closed = false;
  private readonly finishedListeners = new Set<(finished: FinishedInstance) => void>();
  /** Batch output lines in OpenAI's Batch API format, for the executors that record results. */
  readonly batchLines: BatchLineFormat = { success: successLine, failure: errorLine };

  private constructor(
    readonly config: Readonly<Config>,
    readonly experts: ReadonlyMap<string, ExpertBackend>,
    readonly statuses: ReadonlyMap<string, ExpertStatus>,
    readonly scheduler: Scheduler,
    private readonly parts: PipelineParts,
    /** True when serving the generated demo pool (answers are noise). */
    readonly synthetic: boolean,
    /** The memory budget resolved at start ("auto" made concrete) that resident models share. */
    readonly budget: Readonly<{ ram: number; vram: number }>,
    /** US dollars spent per expert (declared or recorded costs, see cost.ts). */
    readonly spending: CostLedger = new CostLedger(),
  ) {}

  static async create(config: Readonly<Config>, options: OrchestratorOptions = {}): Promise<Orchestrator> {
    const notice = options.notice ?? (() => undefined);
    const cores = availableParallelism();
    const runtime: RuntimeOptions = {
      gpu: config.runtime.gpu,
      maxThreads: config.runtime.maxThreads === "auto" ? cores : config.runtime.maxThreads,
    };
    const catalog = await loadCatalog(config.skills.catalog);
    let expertConfigs: readonly ExpertConfig[] = config.experts;
    let profile: Profile | undefined = options.profile ?? (config.routing.profile ? await loadProfile(config.routing.profile) : undefined);
    let aggregator = config.aggregation.aggregator;
    const synthetic = expertConfigs.length === 0;
    if (servesZoo(expertConfigs)) {
      notice(
        `no experts configured: serving the embedded zoo of ${expertConfigs.length} trained tiny experts ` +
          `(${dirname(ZOO_CONFIG_PATH)}; skills: ${catalog.skills.map((s) => s.id).join(", ")})`,
      );
    }
    if (synthetic) {
      const demo = await prepareDemoPool(config.models.dir, catalog.skills.map((s) => s.id), 4);
      expertConfigs = demo.experts;
      profile ??= demo.profile;
      aggregator ??= demo.aggregator;
      notice(
        `no experts configured: serving the embedded demo pool of ${demo.experts.length} synthetic MoE experts ` +
          `(random weights: answers are noise; routing, scheduling and aggregation are real)`,
      );
    }
    aggregator ??= profile?.aggregator?.expertId ?? expertConfigs[0]?.id;

    const env = options.env ?? process.env;
    const experts = new Map(expertConfigs.map((c) => [c.id, createExpert(c, { runtime, models: config.models, env })] as const));
    const budget = await resolveBudget(config, runtime);
    const statuses = new Map<string, ExpertStatus>();
    const schedulable: SchedulableExpert[] = [];
    for (const [id, expert] of experts) {
      const status = await inspectExpert(expert, budget);
      statuses.set(id, status);
      if (status.unavailable) notice(`expert ${id} is unavailable: ${status.unavailable.message}`);
      schedulable.push({
        id,
        local: expert.info.placement === "local",
        slots: expert.info.slots,
        memory: { ram: status.memory?.ramBytes ?? 0, vram: status.memory?.vramBytes ?? 0 },
        // Kept resident only when it synthesises: with a vote or a single answer it is one expert among others.
        sticky: id === aggregator && config.aggregation.method === "synthesize",
        ...(status.unavailable ? { unavailable: new ConclaveError(status.unavailable.code as never, status.unavailable.message) } : {}),
      });
    }
    const spending = new CostLedger();
    const declaredCost = new Map(expertConfigs.flatMap((c) => (c.cost ? [[c.id, c.cost] as const] : [])));
    const scheduler = new Scheduler(
      schedulable,
      {
        load: (id, signal) => experts.get(id)!.ensureLoaded(signal),
        unload: (id) => experts.get(id)!.unload(),
        // Every call gets its cost here, once: the declared price wins over what the backend reported.
        run: async (id, request) => {
          const result = await experts.get(id)!.doGenerate(request);
          const cost = callCost(declaredCost.get(id), result.usage, result.cost);
          spending.add(id, cost);
          return cost === undefined ? result : { ...result, cost };
        },
      },
      {
        budget,
        fairnessCap: config.scheduler.fairnessCap,
        ageWeightMs: config.scheduler.ageWeightMs,
        policy: policyNamed(config.scheduler.policy),
        prefetch: config.scheduler.prefetch,
        maxBatchStarvationMs: config.scheduler.maxBatchStarvationMs,
      },
    );
    const available = schedulable.filter((s) => !s.unavailable).map((s) => s.id);
    const costs = await expectedCosts(expertConfigs, experts, config.generation.maxTokens);
    const router = buildRouter({ config, catalog, profile, available, scheduler, env, costs });
    const parts: PipelineParts = {
      router,
      scheduler: options.expertCalls ?? scheduler,
      aggregation: config.aggregation,
      generation: config.generation,
      aggregator,
      competenceWeight: (id) => profileVoteWeight(profile?.experts, id, competenceWeight),
      cascadeThreshold: config.routing.cascade.threshold,
      contextOf: (id) => contextWindow(experts.get(id)),
      // Read when asked: a local expert's capability is known once it was described (at start).
      toolCapable: (id) => experts.get(id)?.info.tools === true,
      toolExperts: () => available.filter((id) => experts.get(id)?.info.tools === true),
    };
    return new Orchestrator(config, experts, statuses, scheduler, parts, synthetic, budget, spending);
  }

  get aggregator(): string | undefined {
    return this.parts.aggregator;
  }

  answer(instance: Instance, options: AnswerOptions = {}): Promise<InstanceOutcome> {
    if (this.closed) return Promise.reject(new ConclaveError("CLOSED", "conclave is shutting down"));
    return this.validateExpert(options.expertId)
      .then(() => answer(this.parts, instance, options))
      .then((outcome) => this.finished(instance, outcome, options.workClass ?? "online"));
  }

  /** The skills routing would tag in a text (the configured tagger), e.g. for validation questions without skills. */
  tagSkills(text: string): Promise<SkillTag[]> {
    if (this.closed) return Promise.reject(new ConclaveError("CLOSED", "conclave is shutting down"));
    return this.parts.router.tag(text);
  }

  /** Dry run: skills and recruits, no generation. With an expert id, routing is bypassed. */
  async route(messages: readonly ChatMessage[], expertId?: string, options: { tools?: boolean } = {}): Promise<RouteResult> {
    if (this.closed) throw new ConclaveError("CLOSED", "conclave is shutting down");
    await this.validateExpert(expertId);
    return route(this.parts, messages, expertId, options.tools ?? false);
  }

  /**
   * One recruit's generation for an instance, through the scheduler: what a queued batch job runs
   * on a worker. `aggregateRecruits` then turns the recruits' outcomes into the instance's answer.
   */
  async generateFor(instance: Instance, expertId: string, signal?: AbortSignal): Promise<GenerateResult> {
    if (this.closed) throw new ConclaveError("CLOSED", "conclave is shutting down");
    // A queued job passed no door that checked its context: it is checked here, for this recruit.
    const fitted = await fit(this.parts, instance, { skills: [], recruitment: { strategy: "direct", recruits: [{ expertId, weight: 1, reason: "queued job" }] }, tagMs: 0, recruitMs: 0 });
    const params = { ...generationParams(this.parts, fitted.instance), ...(fitted.maxTokens === undefined ? {} : { maxTokens: fitted.maxTokens }) };
    const result = await this.scheduler.submit(expertId, { messages: fitted.instance.messages, params, ...toolRequest(fitted.instance), ...(signal ? { signal } : {}) }, { workClass: "batch" });
    return fitted.warnings.length ? { ...result, warnings: [...fitted.warnings, ...result.warnings] } : result;
  }

  /**
   * Checks that an instance fits its recruits' contexts before anything is generated, for a door
   * that must refuse before it starts a stream; `answer()` takes the result as `fit`.
   */
  fitContext(instance: Instance, routed: RouteResult): Promise<ContextFit> {
    if (this.closed) return Promise.reject(new ConclaveError("CLOSED", "conclave is shutting down"));
    return fit(this.parts, instance, routed);
  }

  aggregateRecruits(instance: Instance, routed: RouteResult, outcomes: readonly RecruitOutcome[], runMs = 0): Promise<InstanceOutcome> {
    if (this.closed) return Promise.reject(new ConclaveError("CLOSED", "conclave is shutting down"));
    return aggregate(this.parts, instance, routed, outcomes, { runMs, started: performance.now() - runMs }, { workClass: "batch" }).then((outcome) =>
      this.finished(instance, outcome, "batch"),
    );
  }

  /** Whether aggregating an instance may need the aggregator model (synthesis configured). */
  get aggregationNeedsModel(): boolean {
    return this.config.aggregation.method === "synthesize" && this.parts.aggregator !== undefined;
  }


  /**
   * Answers many instances. The whole batch is routed first and then queued at once, so the scheduler
   * sees every expert's full backlog, groups the work by expert and loads each model once.
   * `perInstanceLoading` is the naive baseline: one instance at a time, its models unloaded after it.
   * Results come back in input order; a failed instance carries its error and never stops the rest.
   */
  async runBatch(
    lines: ReadonlyArray<{ instance: Instance; expertId?: string }>,
    options: { perInstanceLoading?: boolean; onProgress?: (progress: BatchProgress) => void; signal?: AbortSignal } = {},
  ): Promise<BatchResult[]> {
    if (this.closed) throw new ConclaveError("CLOSED", "conclave is shutting down");
    let done = 0;
    const report = (result: BatchResult): BatchResult => {
      done += 1;
      options.onProgress?.({
        id: result.id,
        done,
        total: lines.length,
        outcome: "outcome" in result ? result.outcome : undefined,
        error: "error" in result ? result.error : undefined,
      });
      return result;
    };
    const settle = (id: string, work: Promise<InstanceOutcome>): Promise<BatchResult> =>
      work.then(
        (outcome) => report({ id, outcome }),
        (error: unknown) => report({ id, error: toConclaveError(error) }),
      );
    const signal = options.signal ? { signal: options.signal } : {};
    if (options.perInstanceLoading) {
      const results: BatchResult[] = [];
      for (const { instance, expertId } of lines) {
        results.push(await settle(instance.id, this.answer(instance, { ...signal, workClass: "batch", ...(expertId ? { expertId } : {}) })));
        await this.scheduler.unloadIdle();
      }
      return results;
    }
    const routes = await Promise.all(
      lines.map(({ instance, expertId }) =>
        this.validateExpert(expertId)
          .then(() => route(this.parts, instance.messages, expertId, wantsTools(instance)))
          .then((routed) => ({ routed }), (error: unknown) => ({ error: toConclaveError(error) })),
      ),
    );
    return Promise.all(
      lines.map(({ instance }, index) => {
        const routed = routes[index]!;
        if ("error" in routed) return Promise.resolve(report({ id: instance.id, error: routed.error }));
        return settle(instance.id, answer(this.parts, instance, { ...signal, workClass: "batch", routed: routed.routed }).then((outcome) => this.finished(instance, outcome, "batch")));
      }),
    );
  }

  private async validateExpert(expertId: string | undefined): Promise<void> {
    if (expertId && !this.experts.has(expertId)) {
      throw new ConclaveError("MODEL_NOT_FOUND", `no expert or ensemble named "${expertId}"`, { param: "model" });
    }
  }

  /**
   * Calls `listener` with every instance answered from now on; returns the unsubscribe. Listeners run
   * synchronously on the answer's path, so they must be quick; one that throws is ignored.
   */
  onFinished(listener: (finished: FinishedInstance) => void): () => void {
    this.finishedListeners.add(listener);
    return () => this.finishedListeners.delete(listener);
  }

  private finished(instance: Instance, outcome: InstanceOutcome, workClass: FinishedInstance["workClass"]): InstanceOutcome {
    for (const listener of this.finishedListeners) {
      try {
        listener({ instance, outcome, workClass });
      } catch {
        // A live view must never fail the request it watches.
      }
    }
    return outcome;
  }

  stats(): SchedulerStats {
    return this.scheduler.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.scheduler.close();
    await Promise.all([...this.experts.values()].map((expert) => expert.close().catch(() => undefined)));
  }
}

async function resolveBudget(config: Readonly<Config>, runtime: RuntimeOptions): Promise<{ ram: number; vram: number }> {
  const ram = config.memory.budget === "auto" ? Math.floor(totalmem() * 0.7) : config.memory.budget;
  if (config.memory.vramBudget !== "auto") return { ram, vram: config.memory.vramBudget };
  if (runtime.gpu === false) return { ram, vram: 0 };
  const llama = await getRuntime(runtime);
  if (llama.gpu === false) return { ram, vram: 0 };
  const vram = await llama.getVramState();
  return { ram, vram: Math.floor(vram.free * 0.9) };
}

async function inspectExpert(expert: ExpertBackend, budget: { ram: number; vram: number }): Promise<ExpertStatus> {
  const status: ExpertStatus = {
    id: expert.info.id,
    kind: expert.info.kind,
    slots: expert.info.slots,
    resident: expert.isLoaded(),
    ...(expert.info.description ? { description: expert.info.description } : {}),
  };
  try {
    status.shape = await expert.describe();
    status.tools = expert.info.tools === true;
    status.memory = await expert.estimateMemory();
    if (status.memory.ramBytes > budget.ram || status.memory.vramBytes > budget.vram) {
      const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
      status.unavailable = {
        code: "MODEL_TOO_LARGE",
        message:
          `${expert.info.id} needs ${gib(status.memory.ramBytes)} RAM / ${gib(status.memory.vramBytes)} VRAM; ` +
          `the budget is ${gib(budget.ram)} RAM / ${gib(budget.vram)} VRAM (memory.budget, memory.vramBudget)`,
      };
    }
  } catch (error) {
    const failure = isConclaveError(error) ? error : toConclaveError(error, "MODEL_LOAD_FAILED");
    status.unavailable = { code: failure.code, message: failure.message };
  }
  return status;
}

/** The context a backend declares, with its token counter when it has one. */
function contextWindow(expert: ExpertBackend | undefined): ContextWindow | undefined {
  const contextSize = expert?.info.contextSize;
  if (!expert || contextSize === undefined) return undefined;
  return { expertId: expert.info.id, contextSize, ...(expert.countTokens ? { countTokens: (messages, tools) => expert.countTokens!(messages, tools) } : {}) };
}

/** Whether every expert is one of the zoo's committed models (the embedded default). */
function servesZoo(experts: readonly ExpertConfig[]): boolean {
  const zooModels = join(dirname(ZOO_CONFIG_PATH), "models");
  return experts.length > 0 && experts.every((e) => e.backend === "llama" && dirname(e.model) === zooModels);
}
