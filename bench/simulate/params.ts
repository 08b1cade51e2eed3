/**
 * Parameters of the fleet simulation and their defaults. Measured figures are cited; everything
 * else is an assumption, marked as such.
 *
 * Measured (sources):
 * - Load time. vLLM PR #52462 (github.com/vllm-project/vllm/pull/52462), one H100-80GB, local NVMe:
 *   Qwen3-30B-A3B (MoE, bf16, 61.1 GB) loads its weights in 13.4 s with the page cache evicted
 *   (4.5 GB/s) and 4.6 s from the page cache (13 GB/s); with fastsafetensors 32.1 s / 12.4 s.
 *   llama.cpp on an H100 loads Mixtral 8x7B Q5_K_M (~32 GB) in 4.4 s (abetlen/llama-cpp-python#1017:
 *   "load time = 4422.18 ms", ~7 GB/s). Default: 5 GB/s (between cold NVMe and page cache) plus
 *   2 s to create the context and warm up (assumption).
 * - Decode speed of one sequence. Qwen3-30B-A3B on an A100 with vLLM: TPOT 9.6 ms at concurrency 1,
 *   104 tokens/s (tenstorrent/tt-inference-server#340); Mixtral 8x7B Q5_K_M with llama.cpp on an
 *   H100: 60.7 tokens/s at one sequence (llama-cpp-python#1017); Qwen3-8B on 2x3090 vLLM FP8 dp2
 *   581 output tok/s batched (r/LocalLLaMA, "Qwen3 throughput benchmarks on 2x 3090").
 *   Assumption: with a full batch each sequence keeps about 2/3 of its single-stream speed
 *   (batched decode is memory-bound and shares the weight reads), which gives the per-sequence
 *   rates below (Qwen3-30B-A3B 70, Mixtral 40); the 8B (80) and the 70B-class model (20) are
 *   assumptions.
 * - Weights, GGUF file sizes: Qwen3-30B-A3B Q4_K_M 17.28 GB (GOBA-AI-Labs/PrunedHub-Qwen3-30B-A3B
 *   model card, "original Q4_K_M (17.28 GB)"; bf16 61.10 GB in bartowski/Qwen3-30B-A3B-GGUF),
 *   Mixtral 8x7B Q4_K_M 26.49 GB (MaziyarPanahi/Mixtral-8x7B-Instruct-v0.1-GGUF, as listed by
 *   localmodel.run); an 8B Q8_0 8.5 GB and a 70B Q4_K_M 42.5 GB (Llama-3 GGUF listings, not
 *   re-checked here); plus 8 GB of KV cache per loaded copy (assumption).
 * - Budget: 127 GB of an H200's 141 GB (vLLM's `--gpu-memory-utilization 0.9`, as in its recipes).
 *   The decode rates are H100/A100 figures, so an H200 (1.4x the memory bandwidth) would be faster:
 *   the simulated latencies are on the slow side.
 * Assumptions without a measurement: 128 sequences per loaded copy and per GPU (the GPU's KV and
 * compute cap, shared by its models), 500-token prompts prefilled at 10,000 tokens/s, 40-180 output
 * tokens per expert answer (uniform), the skill mix (Zipf 1.0 over 40 skills), the bursts.
 */

export interface ModelClass {
  name: string;
  /** Weights plus KV cache of one loaded copy, GB. */
  memoryGB: number;
  /** Share of the experts in this class. */
  share: number;
  /** Decode tokens/s of one sequence with a full batch. */
  tokensPerSecond: number;
}

export interface SimParams {
  seed: number;
  gpus: number;
  experts: number;
  skills: number;
  /** Experts recruited per request (Symbolic-MoE's k). */
  k: number;
  requestsPerSecond: number;
  durationSeconds: number;
  /** Requests arriving before this are not counted (the fleet starts with nothing loaded). */
  warmupSeconds: number;
  /** Zipf exponent of the skill mix. */
  zipf: number;
  /** Share of requests that need two skills (the others need one). */
  twoSkillShare: number;
  /** Every `burstEverySeconds`, for `burstSeconds`, one random skill gets `burstFactor` x the base rate on top. */
  burstEverySeconds: number;
  burstSeconds: number;
  burstFactor: number;
  gpuBudgetGB: number;
  gpuSequences: number;
  modelSlots: number;
  classes: ModelClass[];
  loadGBps: number;
  loadOverheadSeconds: number;
  promptTokens: number;
  prefillTokensPerSecond: number;
  minOutputTokens: number;
  maxOutputTokens: number;
  /** place()'s knobs: the share of a hot expert's slots its demand should fill, and how soon a backlog should clear (0 = no backlog term). */
  targetOccupancy: number;
  clearSeconds: number;
  /** How often the fleet re-places (a registry snapshot per heartbeat). */
  placementIntervalSeconds: number;
  /** A GPU's scheduler runs at most once per quantum (it batches completions and arrivals). */
  dispatchQuantumSeconds: number;
  /** Half-life of the smoothed per-expert demand rate. */
  rateHalfLifeSeconds: number;
  /** After the stream ends, simulate this long for open requests to finish; those still open are censored. */
  drainSeconds: number;
}

/** KV cache of one loaded copy (assumption: 128 sequences x ~2k tokens, GQA, q8 cache). */
const KV_GB = 8;

export const DEFAULT_PARAMS: SimParams = {
  seed: 1,
  gpus: 64,
  experts: 200,
  skills: 40,
  k: 3,
  requestsPerSecond: 1000,
  durationSeconds: 1000,
  warmupSeconds: 60,
  zipf: 1,
  twoSkillShare: 0.4,
  burstEverySeconds: 100,
  burstSeconds: 10,
  burstFactor: 0.5,
  gpuBudgetGB: 127,
  gpuSequences: 128,
  modelSlots: 128,
  classes: [
    { name: "8B Q8_0", memoryGB: 8.5 + KV_GB, share: 0.3, tokensPerSecond: 80 },
    { name: "Qwen3-30B-A3B Q4_K_M", memoryGB: 17.3 + KV_GB, share: 0.4, tokensPerSecond: 70 },
    { name: "Mixtral-8x7B Q4_K_M", memoryGB: 26.5 + KV_GB, share: 0.2, tokensPerSecond: 40 },
    { name: "70B Q4_K_M", memoryGB: 42.5 + KV_GB, share: 0.1, tokensPerSecond: 20 },
  ],
  loadGBps: 5,
  loadOverheadSeconds: 2,
  promptTokens: 500,
  prefillTokensPerSecond: 10_000,
  minOutputTokens: 40,
  maxOutputTokens: 180,
  targetOccupancy: 0.9,
  clearSeconds: 0,
  placementIntervalSeconds: 0.5,
  dispatchQuantumSeconds: 0.02,
  rateHalfLifeSeconds: 10,
  drainSeconds: 300,
};
