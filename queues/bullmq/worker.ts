/**
 * A conclave batch worker: consumes the BullMQ queues the executor fills, running generations on
 * this process's engine (the orchestrator, through the `WorkerEngine` port).
 *
 * One BullMQ Worker per expert queue (created when the queue first appears; concurrency = the
 * expert's slots; paused unless drained), one always-running Worker on the aggregate queue, and per
 * expert queue a processor-less "janitor" Worker whose stalled checker runs even while the queue is
 * not drained here, so jobs of a dead worker (lock not renewed for lockDuration) return to waiting
 * and are picked up. Every `pollMs` the loop reads backlogs and claims, asks `decideDrain` which
 * queues to drain, resumes/pauses Workers and takes/refreshes/releases per-expert claims (SET NX PX).
 * A parent that fails for good still records an error line (settleFailedParent).
 *
 * Fleet mode (`fleet` option, server.execution: fleet): the worker also runs online jobs (queues/fleet/
 * online-runner.ts), publishes its residency every heartbeat (queues/fleet/registry.ts), and drains
 * exactly the queues the placement policy gives it (or tells it to load) from the registry, the
 * queues' backlogs and the front doors' demand, instead of `decideDrain` and claims: a drained lane
 * stays open while idle, so an online job is taken the moment it is queued.
 *
 * `close()` (or the `signal`) stops the loop, aborts running generations (their jobs go back to
 * waiting), closes every Worker and connection and releases claims; it is idempotent.
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import type { WorkerEngine } from "../engine.js";
import { decideDrain, type ExpertQueueView } from "./controller.js";
import { createProcessor, settleFailedParent, type ProcessorContext } from "./processors.js";
import { BATCH_PRIORITY, GENERATE, ONLINE_PRIORITY } from "./jobs.js";
import { aggregateQueue, expertQueue, expertRegistryKey, workerSwitchesKey } from "./names.js";
import { Claims } from "./claims.js";
import { OnlineRunner, type OnlineGenerate } from "../fleet/online-runner.js";
import { publishEntry, readRegistry, removeEntry, staleAfter, type WorkerEntry } from "../fleet/registry.js";
import { readDemand } from "../fleet/demand.js";
import { placementInput, type QueueBacklog } from "../fleet/fleet-input.js";
import type { PlacementPolicy } from "../fleet/placement-port.js";

export interface FleetWorkerOptions {
  /** How often the residency entry is published (server.heartbeatMs). */
  heartbeatMs: number;
  /** Runs an online job's generation in this process. */
  generate: OnlineGenerate;
  /** Which queues each worker drains (queues/fleet/placement.ts's `place`). */
  placement: PlacementPolicy;
}

export interface RunWorkerOptions {
  redisUrl: string;
  workerId?: string;
  /** Overrides config.batches.queue.prefix (the executor's prefix must match). */
  prefix?: string;
  signal?: AbortSignal;
  /** How often the drain decision is taken (ms). */
  pollMs?: number;
  /** Join an expert another worker drains when its backlog exceeds this many times its slots. */
  joinFactor?: number;
  /** At most this many experts drained at once (besides the memory budget). */
  maxExperts?: number;
  /** Parents aggregated at once on the aggregate queue. */
  aggregateConcurrency?: number;
  /** Problems that do not stop the worker (lost connections, failed ticks). */
  onError?: (error: Error) => void;
  /** Fleet mode: online jobs, the residency registry and placement (see the header). */
  fleet?: FleetWorkerOptions;
}

export interface WorkerStats {
  /** Model switches: times this worker began draining an expert whose model it did not have loaded. */
  switches: number;
  /** Times this worker began draining an expert queue (resident or not). */
  starts: number;
  /** Expert queues drained now. */
  active: string[];
  /** Jobs handled, per expert id for generations and under "aggregate" for parents. */
  processed: Record<string, number>;
}

export interface WorkerHandle {
  readonly id: string;
  stats(): WorkerStats;
  close(): Promise<void>;
}

interface Lane {
  expertId: string;
  queue: Queue;
  worker: Worker;
  janitor: Worker;
  draining: boolean;
  /** Pause/resume run one after another per lane. */
  op: Promise<void>;
}

export async function runWorker(engine: WorkerEngine, options: RunWorkerOptions): Promise<WorkerHandle> {
  const settings = engine.config.batches.queue;
  const prefix = options.prefix ?? settings.prefix;
  const id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const pollMs = options.pollMs ?? 250;
  const onError = options.onError ?? (() => undefined);
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const closing = new AbortController();
  // Every running generation listens to it: many at once is expected, not a leak.
  setMaxListeners(0, closing.signal);
  const processed: Record<string, number> = {};
  const onProcessed = (job: Job) => {
    const key = job.name === GENERATE ? String((job.data as { expertId?: unknown }).expertId) : "aggregate";
    processed[key] = (processed[key] ?? 0) + 1;
  };
  const fleet = options.fleet;
  const online = fleet ? new OnlineRunner(redis, prefix, id, fleet.generate, closing.signal) : undefined;
  await online?.start();
  const context: ProcessorContext = { engine, redis, prefix, closing: closing.signal, onProcessed, ...(online ? { online } : {}) };
  const processor = createProcessor(context);
  const common = {
    connection: redis,
    prefix,
    autorun: false,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    maxStalledCount: settings.attempts,
  };
  const watch = (worker: Worker) =>
    worker
      .on("error", (error) => onError(error))
      .on("failed", (job, error) => void (job ? settleFailedParent(context, job, error).catch(onError) : undefined));

  const aggregator = watch(new Worker(aggregateQueue(prefix), processor, { ...common, concurrency: options.aggregateConcurrency ?? 4 }));
  void aggregator.run().catch(onError);

  const lanes = new Map<string, Lane>();
  const laneFor = (expertId: string): Lane => {
    let lane = lanes.get(expertId);
    if (lane) return lane;
    const name = expertQueue(prefix, expertId);
    const slots = engine.statuses.get(expertId)?.slots ?? 1;
    const janitor = watch(new Worker(name, undefined, common));
    void janitor.startStalledCheckTimer().catch(onError);
    lane = {
      expertId,
      queue: new Queue(name, { connection: redis, prefix }).on("error", onError),
      // Fleet mode takes a second round of jobs ahead: they wait in this process's scheduler, so a
      // freed sequence starts the next call at once, not after BullMQ's finish-and-fetch round trips.
      worker: watch(new Worker(name, processor, { ...common, concurrency: fleet ? 2 * slots : slots })),
      janitor,
      draining: false,
      op: Promise.resolve(),
    };
    lanes.set(expertId, lane);
    return lane;
  };
  const chain = (lane: Lane, step: () => Promise<unknown>) => {
    lane.op = lane.op.then(step).then(() => undefined, onError);
  };
  const claims = new Claims(redis, prefix, id, Math.max(settings.lockDurationMs, 8 * pollMs));

  const budget = engine.budget.ram;
  let switches = 0;
  /**
   * Fleet mode: experts whose queue this worker opened to load them, until resident. Published as
   * loading at once, so no other worker's placement sees the model as cold and loads it too in the
   * time before the first job reaches the scheduler.
   */
  const opening = new Set<string>();
  let starts = 0;

  const startDraining = async (lane: Lane, resident: boolean) => {
    lane.draining = true;
    starts += 1;
    if (!resident) {
      switches += 1;
      await redis.hset(workerSwitchesKey(prefix), id, switches);
    }
    chain(lane, () => lane.worker.resume());
  };

  /** This worker's residency, as the registry publishes it. */
  const entry = (): WorkerEntry => {
    const stats = engine.stats().experts;
    const serves: WorkerEntry["serves"] = {};
    for (const [expertId, status] of engine.statuses) if (!status.unavailable) serves[expertId] = { memory: status.memory?.ramBytes ?? 0, slots: status.slots };
    const held = Object.entries(stats);
    return {
      id,
      budget,
      resident: held.filter(([, s]) => s.resident).map(([expertId]) => expertId),
      loading: [...new Set([...held.filter(([, s]) => s.loading === true).map(([expertId]) => expertId), ...[...opening].filter((e) => !stats[e]?.resident)])],
      inFlight: Object.fromEntries(held.filter(([, s]) => s.inFlight + s.backlog > 0).map(([expertId, s]) => [expertId, s.inFlight + s.backlog])),
      serves,
      loads: Object.fromEntries(held.filter(([, s]) => s.loads > 0).map(([expertId, s]) => [expertId, s.loads])),
      served: Object.fromEntries(held.filter(([, s]) => (s.served ?? 0) > 0).map(([expertId, s]) => [expertId, s.served ?? 0])),
      failed: Object.fromEntries(held.filter(([, s]) => (s.failed ?? 0) > 0).map(([expertId, s]) => [expertId, s.failed ?? 0])),
      cancelled: online?.cancelled ?? 0,
      serviceMs: Object.fromEntries(
        held.flatMap(([expertId, s]) => {
          const runs = (s.served ?? 0) + (s.failed ?? 0);
          return runs > 0 && s.busyMs !== undefined ? [[expertId, s.busyMs / runs]] : [];
        }),
      ),
    };
  };
  const heartbeat = async () => {
    if (fleet && !closing.signal.aborted) await publishEntry(redis, prefix, entry());
  };
  await heartbeat();
  const beats = fleet ? setInterval(() => void heartbeat().catch(onError), fleet.heartbeatMs) : undefined;

  /** Every expert queue (served here or not), for the backlog the placement policy sees. */
  const queues = new Map<string, Queue>();
  const queueOf = (expertId: string): Queue => {
    let queue = queues.get(expertId);
    // An error event with no listener BullMQ prints with console.error, at every reconnection attempt.
    if (!queue) queues.set(expertId, (queue = new Queue(expertQueue(prefix, expertId), { connection: redis, prefix }).on("error", onError)));
    return queue;
  };

  /** Fleet mode: drain exactly what placement gives this worker. */
  async function fleetTick(policy: FleetWorkerOptions): Promise<void> {
    const experts = await redis.smembers(expertRegistryKey(prefix));
    for (const expertId of experts) {
      const status = engine.statuses.get(expertId);
      if (status && !status.unavailable) laneFor(expertId);
    }
    const [registry, demand, counts] = await Promise.all([
      readRegistry(redis, prefix, staleAfter(policy.heartbeatMs)),
      readDemand(redis, prefix),
      Promise.all(experts.map((expertId) => queueOf(expertId).getCountsPerPriority([ONLINE_PRIORITY, BATCH_PRIORITY, 0]))),
    ]);
    if (closing.signal.aborted) return;
    const backlog = new Map<string, QueueBacklog>(
      experts.map((expertId, i) => {
        const count = counts[i] ?? {};
        return [expertId, { online: count[ONLINE_PRIORITY] ?? 0, batch: (count[BATCH_PRIORITY] ?? 0) + (count[0] ?? 0) }];
      }),
    );
    const placement = policy.placement(placementInput(registry, backlog, demand));
    const mine = new Set([...(placement.drain[id] ?? []), ...placement.loads.filter((load) => load.workerId === id).map((load) => load.expertId)]);
    const residency = engine.stats().experts;
    for (const lane of lanes.values()) {
      // A holder keeps its lane open while idle (placement lists only experts with backlog): the next
      // online job is then taken the moment it is queued, not at the next tick.
      const resident = residency[lane.expertId]?.resident ?? false;
      if (resident || !lane.draining) opening.delete(lane.expertId);
      const wanted = mine.has(lane.expertId) || (lane.draining && resident);
      if (wanted && !lane.draining) {
        await startDraining(lane, resident);
        if (!resident) {
          opening.add(lane.expertId);
          await heartbeat();
        }
      } else if (!wanted && lane.draining) {
        lane.draining = false;
        chain(lane, () => lane.worker.pause());
      }
    }
  }

  async function tick(): Promise<void> {
    if (fleet) return fleetTick(fleet);
    // Only experts this process can serve: a worker without a model must leave its queue to the
    // workers that have it, not fail its jobs (work for an expert no worker has waits, visibly,
    // in conclave_queue_backlog).
    for (const expertId of await redis.smembers(expertRegistryKey(prefix))) {
      const status = engine.statuses.get(expertId);
      if (status && !status.unavailable) laneFor(expertId);
    }
    const all = [...lanes.values()];
    if (all.length === 0) return;
    const [counts, claimed] = await Promise.all([
      Promise.all(all.map((lane) => lane.queue.getJobCounts("waiting", "prioritized", "delayed"))),
      claims.heldByOthers(all.map((lane) => lane.expertId)),
    ]);
    if (closing.signal.aborted) return;
    const residency = engine.stats().experts;
    const views: ExpertQueueView[] = all.map((lane, i) => {
      const count = counts[i] ?? {};
      return {
        id: lane.expertId,
        slots: engine.statuses.get(lane.expertId)?.slots ?? 1,
        backlog: (count["waiting"] ?? 0) + (count["prioritized"] ?? 0) + (count["delayed"] ?? 0),
        busy: (residency[lane.expertId]?.inFlight ?? 0) + (residency[lane.expertId]?.backlog ?? 0),
        resident: residency[lane.expertId]?.resident ?? false,
        draining: lane.draining,
        claimedByOther: claimed[i] ?? false,
        memory: engine.statuses.get(lane.expertId)?.memory?.ramBytes ?? 0,
      };
    });
    const decision = decideDrain({ experts: views, budget, joinFactor: options.joinFactor ?? 4, maxDraining: options.maxExperts ?? Infinity });
    for (const expertId of decision.stop) {
      const lane = lanes.get(expertId)!;
      lane.draining = false;
      chain(lane, async () => {
        await lane.worker.pause();
        if (!lane.draining) await claims.release(expertId);
      });
    }
    await Promise.all(decision.keep.map((expertId) => claims.hold(expertId)));
    const start = views.find((view) => view.id === decision.start);
    // Two workers may choose the same free expert at once: only the one that takes its claim starts.
    if (start && (start.claimedByOther || (await claims.take(start.id)))) await startDraining(lanes.get(start.id)!, start.resident);
  }

  let wake: () => void = () => undefined;
  const loop = (async () => {
    while (!closing.signal.aborted) {
      await tick().catch(onError);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing.abort(new Error("worker closing"));
      clearInterval(beats);
      wake();
      await loop;
      const all = [...lanes.values()];
      await Promise.all(all.map((lane) => lane.op));
      await Promise.all([aggregator.close(), ...all.flatMap((lane) => [lane.worker.close(), lane.janitor.close(), lane.queue.close()]), ...[...queues.values()].map((q) => q.close())]);
      await online?.close();
      if (fleet) await removeEntry(redis, prefix, id).catch(() => undefined);
      await Promise.all(all.map((lane) => claims.release(lane.expertId).catch(() => undefined)));
      for (const lane of all) lane.draining = false;
      await redis.quit().catch(() => undefined);
    })());
  options.signal?.addEventListener("abort", () => void close(), { once: true });
  if (options.signal?.aborted) void close();

  return {
    id,
    stats: () => ({ switches, starts, active: [...lanes.values()].filter((lane) => lane.draining).map((lane) => lane.expertId), processed: { ...processed } }),
    close,
  };
}
