/**
 * Batch files on disk, in OpenAI's file shape: `<dir>/files/<id>` holds the bytes and
 * `<dir>/files/<id>.json` the file object. A plain directory, so several machines share it as one
 * mounted volume (NFS, a cloud file share, a Kubernetes ReadWriteMany volume). Writes go through a
 * temporary name and a rename, so a reader never sees half a file; files and folders are created
 * readable by their owner only (prompts and answers are private).
 *
 * Each file records its `owner` (the id of the key that made it, see http/auth.ts) on disk; the API
 * shape leaves it out (`publicFile`). Access checks belong to the caller (BatchService).
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

/** A file as stored: its API object plus the owner that may read it. */
export interface StoredFile extends FileObject {
  owner: string;
}

/** The API shape of a stored file: OpenAI's fields only. */
export function publicFile({ owner: _owner, ...file }: StoredFile): FileObject {
  return file;
}

/** Folders of batch data: no one but the server's user lists them. */
export const PRIVATE_DIR = 0o700;
/** Batch data files: prompts and answers, readable by the server's user only. */
const PRIVATE_FILE = 0o600;

const FILE_ID = /^file-[A-Za-z0-9-]+$/;

export async function writeAtomic(path: string, content: string | Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, content, { mode: PRIVATE_FILE });
  await rename(temporary, path);
}

export class FileStore {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, "files");
  }

  /** `id` is for files derived from others (a batch's output): writing it twice replaces it. */
  async create(filename: string, purpose: FilePurpose, content: string | Buffer, owner: string, id = `file-${randomUUID()}`): Promise<StoredFile> {
    await mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR });
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    const file: StoredFile = {
      id,
      owner,
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

  /** A file written before files had owners belongs to the anonymous owner. */
  async get(id: string): Promise<StoredFile> {
    if (!FILE_ID.test(id)) throw fileNotFound(id);
    const text = await readFile(join(this.dir, `${id}.json`), "utf8").catch(() => {
      throw fileNotFound(id);
    });
    const file = JSON.parse(text) as Partial<StoredFile> & FileObject;
    return { ...file, owner: file.owner ?? "anonymous" };
  }

  async content(id: string): Promise<Buffer> {
    await this.get(id);
    return readFile(join(this.dir, id));
  }
}

export function fileNotFound(id: string): ConclaveError {
  return new ConclaveError("FILE_NOT_FOUND", `no file with id ${id}`, { param: "file_id" });
}
