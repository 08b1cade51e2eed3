/**
 * Every name the Redis adapter uses, in one place, so the executor (producer) and the workers
 * (consumers) always agree.
 *
 * Queues (BullMQ key prefix = `prefix`): `${prefix}-expert-${expertId}` per expert (generations, and
 * the instances' parents when aggregation needs the aggregator model) and `${prefix}-aggregate`
 * (parents that need no model). Queue names and job ids may not contain ':' in BullMQ, so ids are
 * percent-encoded and joined with '|' (which encoding never leaves bare): distinct inputs never
 * collide and re-enqueueing yields the same ids.
 *
 * Plain keys per batch: results hash (field customId -> JSON BatchResultLine), cancel flag, pending
 * counter (parents not yet settled), enqueued set (customIds ever queued), skipped set (parents of a
 * cancelled batch settled without a line). Per expert: the claim key of the worker draining it.
 */

const enc = (text: string): string => encodeURIComponent(text);

export const expertQueue = (prefix: string, expertId: string): string => `${prefix}-expert-${enc(expertId)}`;
export const aggregateQueue = (prefix: string): string => `${prefix}-aggregate`;

export const parentJobId = (batchId: string, customId: string): string => `${enc(batchId)}|${enc(customId)}`;
export const childJobId = (batchId: string, customId: string, expertId: string): string =>
  `${parentJobId(batchId, customId)}|${enc(expertId)}`;

/** The job id at the end of a BullMQ job key (`<prefix>:<queue>:<id>`); ids never contain ':'. */
export const jobIdOfKey = (key: string): string => key.slice(key.lastIndexOf(":") + 1);

export interface BatchKeys {
  results: string;
  cancelled: string;
  pending: string;
  enqueued: string;
  skipped: string;
  /** Number of recorded lines that are errors. */
  failed: string;
}

export function batchKeys(prefix: string, batchId: string): BatchKeys {
  const base = `${prefix}:batch:${batchId}`;
  return {
    results: `${base}:results`,
    cancelled: `${base}:cancelled`,
    pending: `${base}:pending`,
    enqueued: `${base}:enqueued`,
    skipped: `${base}:skipped`,
    failed: `${base}:failed`,
  };
}

/** Expert ids that have ever had a queue: workers find the queues of the experts they serve here, and metrics the backlog. */
export const expertRegistryKey = (prefix: string): string => `${prefix}:experts`;
/** Holds the id of the worker draining an expert's queue (SET NX PX, refreshed while draining). */
export const claimKey = (prefix: string, expertId: string): string => `${prefix}:claim:${enc(expertId)}`;
/** Hash of worker id -> model switches, published by each worker for metrics. */
export const workerSwitchesKey = (prefix: string): string => `${prefix}:workers:switches`;

/*
 * Fleet mode (online requests on workers). One attempt of one expert call is `${requestId}|${attempt}`
 * (the job id in the expert's queue): its tokens go to a stream, its cancellation to a key and a
 * channel, so a retried attempt never reads or cancels its predecessor's.
 */
export const onlineJobId = (requestId: string, attempt: number): string => `${enc(requestId)}|${attempt}`;
/** Stream of one attempt's records (start, text..., then done or error); trimmed and expiring. */
export const onlineStreamKey = (prefix: string, jobId: string): string => `${prefix}:fleet:stream:${jobId}`;
/** Set when an attempt is cancelled (a worker that picks it up later skips it). */
export const onlineCancelKey = (prefix: string, jobId: string): string => `${prefix}:fleet:cancel:${jobId}`;
/** Channel on which cancelled attempts' job ids are published to the workers running them. */
export const onlineCancelChannel = (prefix: string): string => `${prefix}:fleet:cancel`;
/** Hash of worker id -> JSON residency entry with its heartbeat time (queues/fleet/registry.ts). */
export const fleetWorkersKey = (prefix: string): string => `${prefix}:fleet:workers`;
/** Hashes of recruitments per expert and per co-recruited pair, one per time bucket (queues/fleet/demand.ts). */
export const fleetRecruitsKey = (prefix: string, bucket: number): string => `${prefix}:fleet:recruits:${bucket}`;
export const fleetPairsKey = (prefix: string, bucket: number): string => `${prefix}:fleet:pairs:${bucket}`;
/** Hash of API replica id -> JSON {inFlight, at}: the online backlog the replicas share. */
export const fleetBacklogKey = (prefix: string): string => `${prefix}:fleet:backlog`;
/** Key prefix of the shared rate limiter's counters. */
export const fleetRateLimitPrefix = (prefix: string): string => `${prefix}:fleet:rate:`;
