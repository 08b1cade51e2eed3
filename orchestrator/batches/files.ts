/**
 * Batch files on disk, in OpenAI's file shape: `<dir>/files/<id>` holds the bytes and
 * `<dir>/files/<id>.json` the file object. A plain directory, so several machines share it as one
 * mounted volume (NFS, a cloud file share, a Kubernetes ReadWriteMany volume). Writes go through a
 * temporary name and a rename, so a reader never sees half a file.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConclaveError } from "../../kernel/errors.js";

export type FilePurpose = "batch" | "batch_output";

export interface FileObject {
  id: string;
  object: "file";
  bytes: number;
  created_at: number;
  filename: string;
  purpose: FilePurpose;
  status: "processed";
}

const FILE_ID = /^file-[A-Za-z0-9-]+$/;

export async function writeAtomic(path: string, content: string | Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

export class FileStore {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, "files");
  }

  /** `id` is for files derived from others (a batch's output): writing it twice replaces it. */
  async create(filename: string, purpose: FilePurpose, content: string | Buffer, id = `file-${randomUUID()}`): Promise<FileObject> {
    await mkdir(this.dir, { recursive: true });
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    const file: FileObject = {
      id,
      object: "file",
      bytes: bytes.length,
      created_at: Math.floor(Date.now() / 1000),
      filename,
      purpose,
      status: "processed",
    };
    await writeAtomic(join(this.dir, file.id), bytes);
    await writeAtomic(join(this.dir, `${file.id}.json`), JSON.stringify(file));
    return file;
  }

  async get(id: string): Promise<FileObject> {
    if (!FILE_ID.test(id)) throw notFound(id);
    const text = await readFile(join(this.dir, `${id}.json`), "utf8").catch(() => {
      throw notFound(id);
    });
    return JSON.parse(text) as FileObject;
  }

  async content(id: string): Promise<Buffer> {
    await this.get(id);
    return readFile(join(this.dir, id));
  }
}

function notFound(id: string): ConclaveError {
  return new ConclaveError("FILE_NOT_FOUND", `no file with id ${id}`, { param: "file_id" });
}
