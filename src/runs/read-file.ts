// Opening a run's files for reading when whoever wrote the folder may be hostile (a repository ships it; git carries
// symbolic links): only regular files are opened, a symbolic link only when it resolves to a regular file inside the
// folder it belongs to, never a FIFO (opening one blocks until a writer comes), a socket, a device (/dev/zero has no
// end) or a directory; each kind of file has a size cap, and each read a time bound. Files are read in chunks, so a
// metrics.jsonl of any size streams through in bounded memory. Nothing here throws: a file that cannot be read gives
// `{ problem }`, a sentence for the run's `damaged` ("run.json is a FIFO, not a file").
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";

const MiB = 1024 * 1024;

/** The most a reader takes of each kind of file: run.json and summary.json are a few KB (run.json lists at most 100
 *  gradient warnings); the writer caps a snapshot at 2 MB; trace.json is not read back by any reader today.
 *  metrics.jsonl has no cap: it is streamed, line by line, each line at most MAX_LINE_BYTES. */
export const FILE_CAPS = { "run.json": 4 * MiB, "summary.json": 1 * MiB, snapshot: 8 * MiB } as const;
/** A metrics line longer than this is skipped as unreadable (a step line with 256 gradient norms is ~15 KB). */
export const MAX_LINE_BYTES = 1 * MiB;
/** How long one read may take before the file counts as unreadable (a hung network or FUSE mount). */
export const READ_TIMEOUT_MS = 10_000;
/** Read at a time: parsing a chunk holds the event loop for a few tens of milliseconds at most. */
const CHUNK_BYTES = 1 * MiB;

/** Where a file's kind stops it being read; null for a regular file. */
function kindProblem(name: string, stats: fs.Stats): string | null {
  if (stats.isFile()) return null;
  const kind = stats.isFIFO()
    ? "a FIFO"
    : stats.isSocket()
      ? "a socket"
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? "a device"
        : stats.isDirectory()
          ? "a folder"
          : "not a regular file";
  return `${name} is ${kind}, not a file`;
}

const isInside = (folder: string, file: string) => {
  const relative = path.relative(folder, file);
  return relative !== "" && relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
};

const errorProblem = (name: string, error: unknown) => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ELOOP") return `${name} is a symbolic link loop`;
  if (code === "ETIMEDOUT") return (error as Error).message; // "run.json did not answer within 10 s"
  return `${name} cannot be read (${code ?? String(error)})`;
};

/** Opens for reading: not following a final link (it was resolved before), not blocking on a FIFO that took the
 *  file's place meanwhile (its kind is checked again on the open file). Windows has neither flag. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOFOLLOW ?? 0);

export type Opened<H> = { fd: H; size: number } | { missing: true } | { problem: string };

/** Whether `name` must be resolved to know where it leads: a link, or a file in a subfolder (a `snapshots` folder
 *  linked elsewhere takes its files outside). A plain file directly in the folder is opened where it is. */
const leadsElsewhere = (name: string, lstat: fs.Stats) => lstat.isSymbolicLink() || /[\\/]/.test(name);

/** The checks before opening `name` (a path inside `folder`): the path to open, or why not. `lstat`: the file's own
 *  kind; `resolved` (when it leads elsewhere): its real path and what that is, and the folder's real path. */
function target(folder: string, name: string, lstat: fs.Stats, resolved?: { real: string; folder: string; stats: fs.Stats }): string | { problem: string } {
  if (resolved && !isInside(resolved.folder, resolved.real)) return { problem: `${name} is a link to outside the run folder` };
  const problem = kindProblem(name, resolved?.stats ?? lstat);
  return problem ? { problem } : (resolved?.real ?? path.join(folder, name));
}

const sizeProblem = (name: string, size: number, cap: number) => (size > cap ? `${name} is larger than ${cap / MiB} MiB (${size} bytes)` : null);

/** Opens `name` (a path relative to `folder`, the run folder) for reading, when it is a regular file no larger than
 *  `cap` bytes (see FILE_CAPS). Synchronous (for the CLI's and tests' synchronous readers). */
export function openRegularSync(folder: string, name: string, cap = Infinity): Opened<number> {
  let lstat: fs.Stats;
  try {
    lstat = fs.lstatSync(path.join(folder, name));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? { missing: true } : { problem: errorProblem(name, error) };
  }
  try {
    const real = leadsElsewhere(name, lstat) ? fs.realpathSync(path.join(folder, name)) : undefined;
    const file = target(folder, name, lstat, real === undefined ? undefined : { real, folder: fs.realpathSync(folder), stats: fs.statSync(real) });
    if (typeof file !== "string") return file;
    const fd = fs.openSync(file, OPEN_FLAGS);
    const stats = fs.fstatSync(fd);
    const problem = kindProblem(name, stats) ?? sizeProblem(name, stats.size, cap);
    if (!problem) return { fd, size: stats.size };
    fs.closeSync(fd);
    return { problem };
  } catch (error) {
    return { problem: errorProblem(name, error) };
  }
}

/** `work`, or a rejection when it takes longer than `ms`: the read it waits for is left to finish on its own. */
export function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} did not answer within ${ms / 1000} s`), { code: "ETIMEDOUT" })), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** openRegularSync, asynchronously and within READ_TIMEOUT_MS (a file opened after that is closed when it is). */
export function openRegular(folder: string, name: string, cap = Infinity): Promise<Opened<fsp.FileHandle>> {
  const opening = openChecked(folder, name, cap);
  return within(opening, READ_TIMEOUT_MS, name).catch((error) => {
    void opening.then((late) => ("fd" in late ? late.fd.close() : undefined)).catch(() => {});
    return { problem: errorProblem(name, error) };
  });
}

async function openChecked(folder: string, name: string, cap: number): Promise<Opened<fsp.FileHandle>> {
  let lstat: fs.Stats;
  try {
    lstat = await fsp.lstat(path.join(folder, name));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? { missing: true } : { problem: errorProblem(name, error) };
  }
  let handle: fsp.FileHandle | undefined;
  try {
    let resolved: { real: string; folder: string; stats: fs.Stats } | undefined;
    if (leadsElsewhere(name, lstat)) {
      const real = await fsp.realpath(path.join(folder, name));
      resolved = { real, folder: await fsp.realpath(folder), stats: await fsp.stat(real) };
    }
    const file = target(folder, name, lstat, resolved);
    if (typeof file !== "string") return file;
    handle = await fsp.open(file, OPEN_FLAGS);
    const opened = await handle.stat();
    const problem = kindProblem(name, opened) ?? sizeProblem(name, opened.size, cap);
    if (!problem) return { fd: handle, size: opened.size };
    await handle.close().catch(() => {});
    return { problem };
  } catch (error) {
    await handle?.close().catch(() => {});
    return { problem: errorProblem(name, error) };
  }
}

/** Opens a file the user chose (a checkpoint: links are followed anywhere) when it is a regular file, without blocking
 *  on a FIFO; throws an Error that says what it is otherwise ("weights.safetensors is a FIFO, not a file"). */
export async function openChosenFile(file: string): Promise<fsp.FileHandle> {
  const handle = await within(fsp.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0)), READ_TIMEOUT_MS, path.basename(file));
  const problem = await handle.stat().then(
    (stats) => kindProblem(path.basename(file), stats),
    (error) => errorProblem(path.basename(file), error),
  );
  if (!problem) return handle;
  await handle.close().catch(() => {});
  throw new Error(problem);
}

/** A small file's text: the whole of a regular file no larger than `cap` (see FILE_CAPS). */
export type TextRead = { text: string } | { missing: true } | { problem: string };

export async function readTextFile(folder: string, name: string, cap: number): Promise<TextRead> {
  const opened = await openRegular(folder, name, cap);
  if (!("fd" in opened)) return opened;
  try {
    const bytes = Buffer.alloc(opened.size);
    let at = 0;
    for (let n = 1; at < bytes.length && n > 0; at += n) n = (await within(opened.fd.read(bytes, at, bytes.length - at, at), READ_TIMEOUT_MS, name)).bytesRead;
    return { text: bytes.subarray(0, at).toString("utf8") };
  } catch (error) {
    return { problem: errorProblem(name, error) };
  } finally {
    void opened.fd.close().catch(() => {});
  }
}

export function readTextFileSync(folder: string, name: string, cap: number): TextRead {
  const opened = openRegularSync(folder, name, cap);
  if (!("fd" in opened)) return opened;
  try {
    const bytes = Buffer.alloc(opened.size);
    let at = 0;
    for (let n = 1; at < bytes.length && n > 0; at += n) n = fs.readSync(opened.fd, bytes, at, bytes.length - at, at);
    return { text: bytes.subarray(0, at).toString("utf8") };
  } catch (error) {
    return { problem: errorProblem(name, error) };
  } finally {
    fs.closeSync(opened.fd);
  }
}

/**
 * Cuts bytes, pushed in chunks, into lines as they come: a chunk may end inside a line, and inside a UTF-8 character
 * (a newline byte never is one: lines are decoded whole). Empty lines are dropped; a line longer than MAX_LINE_BYTES
 * is passed as null, without being kept. A last line without its newline (cut short by a kill, or still being
 * written) stays unread: `end` is where the whole lines end.
 */
export class LineSplitter {
  private carry: Buffer[] = []; // the bytes after the last newline (none kept while discarding)
  private pending = 0; // how many bytes came after the last newline, kept or not
  private discarding = false; // inside a line too long to keep
  private pushed = 0;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly onLine: (line: string | null) => void,
    private readonly maxLine = MAX_LINE_BYTES,
  ) {}

  /** Bytes pushed up to the end of the last whole line. */
  get end(): number {
    return this.pushed - this.pending;
  }

  push(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.pushed += bytes.length;
    const first = bytes.indexOf(10);
    if (first < 0) return this.keep(bytes);
    this.keep(bytes.subarray(0, first));
    this.endLine();
    const last = bytes.lastIndexOf(10);
    if (last > first) for (const line of this.decoder.decode(bytes.subarray(first + 1, last)).split("\n")) this.text(line);
    this.keep(bytes.subarray(last + 1));
  }

  /** The head of a line that goes on in the next chunk (copied: the chunk's buffer is reused). */
  private keep(bytes: Buffer): void {
    this.pending += bytes.length;
    if (this.discarding || !bytes.length) return;
    if (this.pending > this.maxLine) {
      this.discarding = true;
      this.carry = [];
    } else this.carry.push(Buffer.from(bytes));
  }

  /** A newline: the line kept so far is whole. */
  private endLine(): void {
    if (this.discarding) this.onLine(null);
    else if (this.pending) this.onLine(this.decoder.decode(Buffer.concat(this.carry)));
    this.carry = [];
    this.pending = 0;
    this.discarding = false;
  }

  private text(line: string): void {
    if (line.length > this.maxLine) this.onLine(null);
    else if (line) this.onLine(line);
  }
}

export type StreamResult = { end: number; size: number } | { missing: true } | { problem: string } | { beyond: true } | { overBudget: number };

/** Passes each whole line of `name` from byte `from` to `onLine` (null: a line too long to read), reading at most
 *  up to the size the file had when opened. `{ beyond }` when the file is shorter than `from`; `{ overBudget }`, with
 *  nothing read, when more than `budget` bytes are to be read. `end`: where the last whole line ends. */
export async function streamLines(folder: string, name: string, from: number, onLine: (line: string | null) => void, budget = Infinity): Promise<StreamResult> {
  const opened = await openRegular(folder, name);
  if (!("fd" in opened)) return opened;
  try {
    if (opened.size < from) return { beyond: true };
    if (opened.size - from > budget) return { overBudget: opened.size - from };
    const splitter = new LineSplitter(onLine);
    const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, opened.size - from));
    for (let at = from, n = 1; at < opened.size && n > 0; at += n) {
      n = (await within(opened.fd.read(buffer, 0, Math.min(buffer.length, opened.size - at), at), READ_TIMEOUT_MS, name)).bytesRead;
      splitter.push(buffer.subarray(0, n));
    }
    return { end: from + splitter.end, size: opened.size };
  } catch (error) {
    return { problem: errorProblem(name, error) };
  } finally {
    void opened.fd.close().catch(() => {});
  }
}

/** streamLines, synchronously and without a budget (the CLI's and the tests' readRun). */
export function streamLinesSync(folder: string, name: string, onLine: (line: string | null) => void): StreamResult {
  const opened = openRegularSync(folder, name);
  if (!("fd" in opened)) return opened;
  try {
    const splitter = new LineSplitter(onLine);
    const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, opened.size));
    for (let at = 0, n = 1; at < opened.size && n > 0; at += n) {
      n = fs.readSync(opened.fd, buffer, 0, Math.min(buffer.length, opened.size - at), at);
      splitter.push(buffer.subarray(0, n));
    }
    return { end: splitter.end, size: opened.size };
  } catch (error) {
    return { problem: errorProblem(name, error) };
  } finally {
    fs.closeSync(opened.fd);
  }
}
