/**
 * Training checkpoints: everything a run needs to continue exactly where it stopped (weights, Adam's
 * moments and running products, the step, the data stream's position, the loss curve so far). One
 * file per training stage, F32 throughout, replaced atomically (written beside, then renamed), so a
 * crash leaves the previous checkpoint or the new one, never half of one.
 *
 * Layout: "ZCKP", u32 header length, the JSON header, zero padding to 4 bytes, then for every
 * tensor in header order its weights, first moments and second moments as little-endian F32.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import type { AdamState } from "./adam.js";
import type { StreamPosition } from "./stream.js";

const MAGIC = "ZCKP";

export interface Checkpoint {
  /** Hash of the recipe it belongs to: a checkpoint of another recipe is not resumed. */
  recipeHash: number;
  /** Steps done. */
  step: number;
  stream: StreamPosition;
  adam: AdamState;
  weights: Record<string, Float32Array>;
  shapes: Record<string, number[]>;
  losses: Array<{ step: number; loss: number }>;
  /** Training seconds spent before this checkpoint (over all runs that led to it). */
  seconds: number;
}

interface Header {
  version: 1;
  recipeHash: number;
  step: number;
  stream: StreamPosition;
  beta1Power: number;
  beta2Power: number;
  tensors: Array<{ name: string; shape: number[] }>;
  losses: Checkpoint["losses"];
  seconds: number;
}

export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const names = Object.keys(checkpoint.weights);
  const header: Header = {
    version: 1,
    recipeHash: checkpoint.recipeHash,
    step: checkpoint.step,
    stream: checkpoint.stream,
    beta1Power: checkpoint.adam.beta1Power,
    beta2Power: checkpoint.adam.beta2Power,
    tensors: names.map((name) => ({ name, shape: checkpoint.shapes[name]! })),
    losses: checkpoint.losses,
    seconds: checkpoint.seconds,
  };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const padding = (4 - ((8 + json.length) % 4)) % 4;
  const arrays = names.flatMap((name) => [checkpoint.weights[name]!, checkpoint.adam.firstMoment[name]!, checkpoint.adam.secondMoment[name]!]);
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, "ascii");
  prefix.writeUInt32LE(json.length, 4);
  const parts = [prefix, json, Buffer.alloc(padding), ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))];
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, Buffer.concat(parts));
  await rename(temporary, path);
}

/** The checkpoint at `path`, or undefined when there is none. */
export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (!bytes) return undefined;
  if (bytes.toString("ascii", 0, 4) !== MAGIC) throw new Error(`${path} is not a zoo checkpoint`);
  const length = bytes.readUInt32LE(4);
  const header = JSON.parse(bytes.toString("utf8", 8, 8 + length)) as Header;
  let offset = 8 + length + ((4 - ((8 + length) % 4)) % 4);
  const take = (count: number) => {
    // Copied out: a Float32Array view needs an aligned offset into its own buffer.
    const out = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + count * 4));
    offset += count * 4;
    return out;
  };
  const weights: Record<string, Float32Array> = {};
  const firstMoment: Record<string, Float32Array> = {};
  const secondMoment: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  for (const { name, shape } of header.tensors) {
    const count = shape.reduce((a, b) => a * b, 1);
    shapes[name] = shape;
    weights[name] = take(count);
    firstMoment[name] = take(count);
    secondMoment[name] = take(count);
  }
  if (offset !== bytes.length) throw new Error(`${path}: ${bytes.length - offset} bytes left over: a damaged checkpoint`);
  return {
    recipeHash: header.recipeHash,
    step: header.step,
    stream: header.stream,
    adam: { beta1Power: header.beta1Power, beta2Power: header.beta2Power, firstMoment, secondMoment },
    weights,
    shapes,
    losses: header.losses,
    seconds: header.seconds,
  };
}
