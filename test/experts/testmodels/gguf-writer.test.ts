import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeGguf, type TensorSource, type TensorType } from "../../../experts/testmodels/gguf-writer.js";
import { floatToHalf, halfToFloat } from "../../../experts/testmodels/half.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-gguf-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A ramp whose values are known: row r, column c -> (c - 16 + r) / 8. */
const ramp = (name: string, type: TensorType, dims: number[]): TensorSource => ({
  name,
  dims,
  type,
  fillRow: (row, out) => out.forEach((_, c) => (out[c] = (c - 16 + row) / 8)),
});

/** Our own decoder of the four types, reading what the file holds at the tensor's offset. */
function decodeRow(type: TensorType, bytes: Buffer, at: number, length: number): number[] {
  const values: number[] = [];
  for (let block = 0; block < length; block += type === "F32" || type === "F16" ? length : 32) {
    if (type === "F32") for (let i = 0; i < length; i++) values.push(bytes.readFloatLE(at + i * 4));
    if (type === "F16") for (let i = 0; i < length; i++) values.push(halfToFloat(bytes.readUInt16LE(at + i * 2)));
    if (type === "Q8_0") {
      const p = at + (block / 32) * 34;
      const d = halfToFloat(bytes.readUInt16LE(p));
      for (let j = 0; j < 32; j++) values.push(d * bytes.readInt8(p + 2 + j));
    }
    if (type === "Q4_0") {
      const p = at + (block / 32) * 18;
      const d = halfToFloat(bytes.readUInt16LE(p));
      const low: number[] = [];
      const high: number[] = [];
      for (let j = 0; j < 16; j++) {
        low.push(d * ((bytes.readUInt8(p + 2 + j) & 0x0f) - 8));
        high.push(d * ((bytes.readUInt8(p + 2 + j) >> 4) - 8));
      }
      values.push(...low, ...high);
    }
  }
  return values;
}

describe("writeGguf", () => {
  it("writes key/values of every GGUF type that node-llama-cpp reads back", async () => {
    const path = join(dir, "kv.gguf");
    await writeGguf(path, {
      kv: [
        ["general.architecture", { type: "string", value: "llama" }],
        ["t.u8", { type: "u8", value: 200 }],
        ["t.i8", { type: "i8", value: -100 }],
        ["t.u16", { type: "u16", value: 60000 }],
        ["t.i16", { type: "i16", value: -30000 }],
        ["t.u32", { type: "u32", value: 4000000000 }],
        ["t.i32", { type: "i32", value: -2000000000 }],
        ["t.f32", { type: "f32", value: 0.5 }],
        ["t.f64", { type: "f64", value: 1 / 3 }],
        ["t.u64", { type: "u64", value: 12345678901n }],
        ["t.i64", { type: "i64", value: -12345678901n }],
        ["t.bool", { type: "bool", value: true }],
        ["t.text", { type: "string", value: "héllo ▁ world" }],
        ["t.words", { type: "array", itemType: "string", value: ["a", "bb", "ccc"] }],
        ["t.numbers", { type: "array", itemType: "i32", value: [1, -2, 3] }],
      ],
      tensors: [ramp("x.weight", "F32", [32])],
    });
    const info = await readGgufFileInfo(path);
    expect(info.version).toBe(3);
    const t = (info.metadata as unknown as { t: Record<string, unknown> }).t;
    expect(t).toMatchObject({ u8: 200, i8: -100, u16: 60000, i16: -30000, u32: 4000000000, i32: -2000000000, f32: 0.5, bool: true, text: "héllo ▁ world" });
    expect(t.f64).toBeCloseTo(1 / 3, 12);
    expect(BigInt(t.u64 as number | bigint)).toBe(12345678901n);
    expect(BigInt(t.i64 as number | bigint)).toBe(-12345678901n);
    expect(t.words).toEqual(["a", "bb", "ccc"]);
    expect(t.numbers).toEqual([1, -2, 3]);
    expect(info.metadata.general.alignment).toBe(32);
  });

  it("lays out tensors at aligned offsets, and each type decodes to the values written", async () => {
    const path = join(dir, "tensors.gguf");
    const tensors = [ramp("a", "F32", [32, 3]), ramp("b", "F16", [32, 2]), ramp("c", "Q8_0", [64, 2]), ramp("d", "Q4_0", [32, 3, 2])];
    const bytes = await writeGguf(path, { kv: [["general.architecture", { type: "string", value: "llama" }]], tensors });
    const file = await readFile(path);
    expect(file.length).toBe(bytes);
    const info = await readGgufFileInfo(path, { readTensorInfo: true });
    expect(info.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType])).toEqual([
      ["a", [32, 3], 0],
      ["b", [32, 2], 1],
      ["c", [64, 2], 8],
      ["d", [32, 3, 2], 2],
    ]);
    const rowBytes = { F32: 128, F16: 64, Q8_0: 68, Q4_0: 18 } as const;
    const tolerance = { F32: 1e-7, F16: 1e-3, Q8_0: 0.025, Q4_0: 0.3 } as const;
    for (const [index, tensor] of tensors.entries()) {
      const at = Number(info.tensorInfo![index]!.fileOffset);
      expect(at % 32).toBe(0);
      const rows = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
      for (let row = 0; row < rows; row++) {
        const decoded = decodeRow(tensor.type, file, at + row * rowBytes[tensor.type], tensor.dims[0]!);
        decoded.forEach((value, c) => expect(Math.abs(value - (c - 16 + row) / 8)).toBeLessThanOrEqual(tolerance[tensor.type]));
      }
    }
  });

  it("refuses a quantised row that is not a whole number of blocks, leaving no file behind", async () => {
    const path = join(dir, "bad.gguf");
    await expect(writeGguf(path, { kv: [], tensors: [ramp("odd", "Q8_0", [48])] })).rejects.toThrow(/multiple of 32/);
    await expect(writeGguf(path, { kv: [], tensors: [ramp("empty", "F32", [0])] })).rejects.toThrow(/bad dims/);
    expect((await readdir(dir)).filter((name) => name.startsWith("bad"))).toEqual([]);
  });
});

describe("floatToHalf", () => {
  it("rounds to the nearest binary16 and handles subnormals, overflow and signs", () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(1e6)).toBe(0x7c00);
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    for (const value of [0.1, -3.7, 1234.25, 6e-5]) expect(Math.abs(halfToFloat(floatToHalf(value)) - value)).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11);
  });
});
