/**
 * The committed zoo's manifest, read back: the shape its models were trained with and the phrasing
 * its data files use, so that tests and measurements follow whichever zoo is committed (the
 * fixed-phrasing one or, once a build promotes it, the grammar-trained one).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelShape } from "./model.js";
import type { Phrasing } from "./tasks.js";

export interface ZooManifest {
  shape: ModelShape & { parameters: number; activeParameters: number };
  data: { phrasing?: Phrasing };
  models: Array<{ id: string; file: string; heldOutAccuracy: { overall: number; perSkill: Record<string, number> } }>;
}

export function readManifest(path = join(import.meta.dirname, "manifest.json")): ZooManifest {
  return JSON.parse(readFileSync(path, "utf8")) as ZooManifest;
}

/** The shape the committed models have (the manifest also lists parameter counts; dropped here). */
export function committedShape(manifest = readManifest()): ModelShape {
  const { vocab, embedding, layers, heads, experts, expertsUsed, feedForward, contextLength, ropeBase, rmsEps } = manifest.shape;
  return { vocab, embedding, layers, heads, experts, expertsUsed, feedForward, contextLength, ropeBase, rmsEps };
}

/** How the committed zoo's questions are phrased (manifests before the grammar say nothing: fixed). */
export function committedPhrasing(manifest = readManifest()): Phrasing {
  return manifest.data.phrasing ?? "fixed";
}
