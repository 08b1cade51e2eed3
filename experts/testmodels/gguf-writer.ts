/**
 * A GGUF v3 writer: key/values of every GGUF type and tensors in F32, F16, Q8_0 or Q4_0.
 *
 * Tensor data is produced row by row by the caller and written in chunks, so a 1.5 GB model never
 * sits in memory. Layout (little-endian): magic, version, counts, key/values, tensor infos
 * (dims innermost-first, offsets relative to the data section), padding to the alignment, data.
 */
import { open, rename, rm } from "node:fs/promises";
import { floatToHalf } from "./half.js";

export const GGML_TYPES = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;
export type TensorType = keyof typeof GGML_TYPES;

const QUANT_BLOCK = 32;

type NumberType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "u64" | "i64" | "f64";
export type ScalarType = NumberType | "bool" | "string";

const VALUE_TYPE_IDS: Record<ScalarType | "array", number> = {
  u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12,
};

export type KvValue =
  | { type: NumberType; value: number | bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "array"; itemType: ScalarType; value: ReadonlyArray<number | bigint | boolean | string> };

export interface TensorSource {
  name: string;
  /** Innermost first: dims[0] is the row length. */
  dims: readonly number[];
  type: TensorType;
  /** Writes row `row` (dims[0] values) into `out`. Called once per row, in order. */
  fillRow(row: number, out: Float32Array): void;
}

export interface GgufContent {
  kv: ReadonlyArray<readonly [string, KvValue]>;
  tensors: readonly TensorSource[];
  alignment?: number;
}

export function rowBytes(type: TensorType, rowLength: number): number {
  switch (type) {
    case "F32":
      return rowLength * 4;
    case "F16":
      return rowLength * 2;
    case "Q8_0":
      return (rowLength / QUANT_BLOCK) * 34;
    case "Q4_0":
      return (rowLength / QUANT_BLOCK) * 18;
  }
}

export function tensorBytes(tensor: Pick<TensorSource, "dims" | "type">): number {
  const rows = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
  return rows * rowBytes(tensor.type, tensor.dims[0]!);
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** Growable little-endian byte buffer for the header. */
class HeaderBuffer {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const bigger = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  number(type: NumberType | "bool", value: number | bigint | boolean): void {
    const sizes = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8 } as const;
    this.reserve(sizes[type]);
    const at = this.length;
    const b = this.buffer;
    switch (type) {
      case "u8": b.writeUInt8(Number(value), at); break;
      case "i8": b.writeInt8(Number(value), at); break;
      case "bool": b.writeUInt8(value ? 1 : 0, at); break;
      case "u16": b.writeUInt16LE(Number(value), at); break;
      case "i16": b.writeInt16LE(Number(value), at); break;
      case "u32": b.writeUInt32LE(Number(value), at); break;
      case "i32": b.writeInt32LE(Number(value), at); break;
      case "f32": b.writeFloatLE(Number(value), at); break;
      case "u64": b.writeBigUInt64LE(BigInt(value as number | bigint), at); break;
      case "i64": b.writeBigInt64LE(BigInt(value as number | bigint), at); break;
      case "f64": b.writeDoubleLE(Number(value), at); break;
    }
    this.length += sizes[type];
  }

  string(text: string): void {
    const bytes = Buffer.from(text, "utf8");
    this.number("u64", bytes.length);
    this.reserve(bytes.length);
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }

  scalar(type: ScalarType, value: number | bigint | boolean | string): void {
    if (type === "string") this.string(String(value));
    else this.number(type, value as number | bigint | boolean);
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function encodeHeader(content: GgufContent, offsets: number[]): Buffer {
  const header = new HeaderBuffer();
  // The magic is four raw bytes, not a length-prefixed GGUF string.
  for (const byte of Buffer.from("GGUF", "ascii")) header.number("u8", byte);
  header.number("u32", 3);
  header.number("u64", content.tensors.length);
  header.number("u64", content.kv.length);
  for (const [key, entry] of content.kv) {
    header.string(key);
    header.number("u32", VALUE_TYPE_IDS[entry.type]);
    if (entry.type === "array") {
      header.number("u32", VALUE_TYPE_IDS[entry.itemType]);
      header.number("u64", entry.value.length);
      for (const item of entry.value) header.scalar(entry.itemType, item);
    } else {
      header.scalar(entry.type, entry.value);
    }
  }
  content.tensors.forEach((tensor, i) => {
    header.string(tensor.name);
    header.number("u32", tensor.dims.length);
    for (const dim of tensor.dims) header.number("u64", dim);
    header.number("u32", GGML_TYPES[tensor.type]);
    header.number("u64", offsets[i]!);
  });
  return header.bytes();
}

/** Views of the chunk buffer: typed-array stores are several times faster than Buffer.write* calls. */
interface Chunk {
  buffer: Buffer;
  view: DataView;
  int8: Int8Array;
  uint8: Uint8Array;
}

function chunkOf(bytes: number): Chunk {
  const buffer = Buffer.alloc(bytes);
  return {
    buffer,
    view: new DataView(buffer.buffer, buffer.byteOffset, buffer.length),
    int8: new Int8Array(buffer.buffer, buffer.byteOffset, buffer.length),
    uint8: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length),
  };
}

/** Quantises one row of floats into `out` at `at`; returns the bytes written. */
function encodeRow(type: TensorType, row: Float32Array, out: Chunk, at: number): number {
  switch (type) {
    case "F32":
      for (let i = 0; i < row.length; i++) out.view.setFloat32(at + i * 4, row[i]!, true);
      return row.length * 4;
    case "F16":
      for (let i = 0; i < row.length; i++) out.view.setUint16(at + i * 2, floatToHalf(row[i]!), true);
      return row.length * 2;
    case "Q8_0": {
      let p = at;
      for (let block = 0; block < row.length; block += QUANT_BLOCK) {
        let amax = 0;
        for (let j = 0; j < QUANT_BLOCK; j++) amax = Math.max(amax, Math.abs(row[block + j]!));
        const d = amax / 127;
        const inverse = d ? 1 / d : 0;
        out.view.setUint16(p, floatToHalf(d), true);
        for (let j = 0; j < QUANT_BLOCK; j++) out.int8[p + 2 + j] = Math.round(row[block + j]! * inverse);
        p += 34;
      }
      return p - at;
    }
    case "Q4_0": {
      // llama.cpp's reference: the signed value of largest magnitude maps to -8.
      let p = at;
      for (let block = 0; block < row.length; block += QUANT_BLOCK) {
        let amax = 0;
        let max = 0;
        for (let j = 0; j < QUANT_BLOCK; j++) {
          const v = row[block + j]!;
          if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
        }
        const d = max / -8;
        const inverse = d ? 1 / d : 0;
        out.view.setUint16(p, floatToHalf(d), true);
        for (let j = 0; j < QUANT_BLOCK / 2; j++) {
          const lo = Math.min(15, Math.trunc(row[block + j]! * inverse + 8.5));
          const hi = Math.min(15, Math.trunc(row[block + j + 16]! * inverse + 8.5));
          out.uint8[p + 2 + j] = lo | (hi << 4);
        }
        p += 18;
      }
      return p - at;
    }
  }
}

function checkTensor(tensor: TensorSource): void {
  if (tensor.dims.length === 0 || tensor.dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`tensor ${tensor.name}: bad dims ${JSON.stringify(tensor.dims)}`);
  }
  if ((tensor.type === "Q8_0" || tensor.type === "Q4_0") && tensor.dims[0]! % QUANT_BLOCK !== 0) {
    throw new Error(`tensor ${tensor.name}: ${tensor.type} needs a row length that is a multiple of ${QUANT_BLOCK}, got ${tensor.dims[0]}`);
  }
}

const CHUNK_BYTES = 4 << 20;

/**
 * Writes the file to `path` (through a temporary name, renamed at the end, so a reader never sees
 * half a model). Returns the file's size in bytes.
 */
export async function writeGguf(path: string, content: GgufContent): Promise<number> {
  const alignment = content.alignment ?? 32;
  content.tensors.forEach(checkTensor);
  const offsets: number[] = [];
  let dataBytes = 0;
  for (const tensor of content.tensors) {
    offsets.push(dataBytes);
    dataBytes = align(dataBytes + tensorBytes(tensor), alignment);
  }
  const kv = content.kv.some(([key]) => key === "general.alignment")
    ? content.kv
    : [...content.kv, ["general.alignment", { type: "u32", value: alignment }] as const];
  const header = encodeHeader({ ...content, kv }, offsets);
  const dataStart = align(header.length, alignment);

  const temporary = `${path}.${process.pid}.partial`;
  const file = await open(temporary, "w");
  try {
    await file.write(header);
    let position = header.length;
    const chunk = chunkOf(CHUNK_BYTES);
    let used = 0;
    const flush = async () => {
      if (used === 0) return;
      await file.write(chunk.buffer, 0, used, position);
      position += used;
      used = 0;
    };
    const pad = async (to: number) => {
      await flush();
      if (to > position) {
        await file.write(Buffer.alloc(to - position), 0, to - position, position);
        position = to;
      }
    };
    await pad(dataStart);
    for (let t = 0; t < content.tensors.length; t++) {
      const tensor = content.tensors[t]!;
      await pad(dataStart + offsets[t]!);
      const rowLength = tensor.dims[0]!;
      const rows = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
      const bytesPerRow = rowBytes(tensor.type, rowLength);
      const row = new Float32Array(rowLength);
      if (bytesPerRow > CHUNK_BYTES) throw new Error(`tensor ${tensor.name}: a row of ${bytesPerRow} bytes is too long`);
      for (let r = 0; r < rows; r++) {
        if (used + bytesPerRow > CHUNK_BYTES) await flush();
        row.fill(0);
        tensor.fillRow(r, row);
        used += encodeRow(tensor.type, row, chunk, used);
      }
    }
    await pad(dataStart + dataBytes);
    await file.close();
    await rename(temporary, path);
    return dataStart + dataBytes;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}
