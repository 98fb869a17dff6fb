// The type check's cache, so that `unroll run`, `trace`, `train` and `check` skip TypeScript (~3 s) when nothing it
// read has changed. An entry is keyed by the checker (dist/typecheck.js: TypeScript and its lib files), the model
// file's path and the folder Node's types come from; it holds the result and the content hash of every other file
// the check read (the model file, the files it imports, the library's declarations, Node's types). A hit needs
// every one of those files to hash as it did. The folder is $UNROLL_CACHE_DIR, else $XDG_CACHE_HOME/unroll, else
// ~/.cache/unroll. Reading is total: a missing, corrupt, oversized or foreign entry is a miss, never an error;
// writing is best effort (a read-only home only loses the speed-up).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nodeTypeRoot } from "../ts-plugin/resolve";
import type { CheckedResult, CheckResult, TypeDiagnostic } from "./typecheck";

/** The environment variable that moves the cache; `0` turns it off. */
export const CACHE_ENV = "UNROLL_CACHE_DIR";

/** A file the check read, as the hash of the text TypeScript saw (textHash). */
export type Source = [file: string, hash: string];

/** A source in an entry: its size and modification time too, so that a lookup hashes only the files that a save
 *  touched (hundreds of declaration files are read by a check: stat is cheap, hashing them all is not). */
type StoredSource = [file: string, hash: string, size: number, mtimeMs: number];

const FORMAT = 1;
/** Bigger than any entry the checker writes (a file's diagnostics are capped below); a bigger file is not ours. */
const MAX_ENTRY_BYTES = 8 << 20;
/** As typecheck.ts: a bigger source is not checked, so it is never in an entry. */
const MAX_SOURCE_BYTES = 4 << 20;
/** "Cannot find module": a file created later may resolve it, which no hash of the files read would notice. */
const UNRESOLVED = new Set([2307, 2792]);

/** The hash of a source's text as TypeScript reads it (without a UTF-8 byte-order mark). */
export const textHash = (text: string): string => createHash("sha256").update(text).digest("base64url");

/** The user's cache folder for Unroll, or null when $UNROLL_CACHE_DIR is 0. */
export function cacheFolder(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env[CACHE_ENV] === "0") return null;
  if (env[CACHE_ENV]) return path.resolve(env[CACHE_ENV]);
  return path.join(env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), ".cache"), "unroll");
}

/** The hash of a file's text, or null when it cannot be read (or is too big to have been checked). */
function fileHash(file: string): string | null {
  try {
    if (fs.statSync(file).size > MAX_SOURCE_BYTES) return null;
    return textHash(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""));
  } catch {
    return null;
  }
}

/** The source as it is now when `file` still holds the text that was checked (same size and time, else the same
 *  hash: a rebuild that rewrites the declarations unchanged is still a hit), else null. */
function unchanged(source: StoredSource): StoredSource | null {
  const [file, hash, size, mtimeMs] = source;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return null;
  }
  if (stat.size === size && stat.mtimeMs === mtimeMs) return source;
  return fileHash(file) === hash ? [file, hash, stat.size, stat.mtimeMs] : null;
}

/** A source as stored, with its size and time now; null when it cannot be read, or when it changed after `since`
 *  (when the check began, less a second for coarse clocks) and its text is no longer the one that was checked. */
function stamped([file, hash]: Source, since: number): StoredSource | null {
  try {
    const stat = fs.statSync(file);
    if (stat.mtimeMs >= since - 1000 && fileHash(file) !== hash) return null;
    return [file, hash, stat.size, stat.mtimeMs];
  } catch {
    return null;
  }
}

const isDiagnostic = (d: unknown): d is TypeDiagnostic => {
  const o = d as Record<string, unknown>;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.file === "string" &&
    typeof o.message === "string" &&
    [o.line, o.column, o.code].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
  );
};

const isSource = (s: unknown): s is StoredSource =>
  Array.isArray(s) && s.length === 4 && typeof s[0] === "string" && typeof s[1] === "string" && Number.isFinite(s[2]) && Number.isFinite(s[3]);

/** The entry's result when it is well formed and was written for `key`, else null. */
function parseEntry(text: string, key: string): { diagnostics: TypeDiagnostic[]; sources: StoredSource[] } | null {
  let entry: unknown;
  try {
    entry = JSON.parse(text);
  } catch {
    return null;
  }
  const e = entry as Record<string, unknown>;
  if (typeof e !== "object" || e === null || e.format !== FORMAT || e.key !== key) return null;
  if (!Array.isArray(e.diagnostics) || !e.diagnostics.every(isDiagnostic)) return null;
  if (!Array.isArray(e.sources) || !e.sources.length || !e.sources.every(isSource)) return null;
  return { diagnostics: e.diagnostics, sources: e.sources };
}

export class CheckCache {
  private readonly checker: string;

  /** `checker`: dist/typecheck.js, whose size and time stand for TypeScript's version and its lib files. */
  constructor(
    private readonly folder: string,
    checker: string,
    private readonly declarations: string,
  ) {
    let stamp = "missing";
    try {
      const stat = fs.statSync(checker);
      stamp = `${stat.size}:${stat.mtimeMs}`;
    } catch {
      // no checker, no hit: a key no entry was written for
    }
    this.checker = `${path.resolve(checker)}:${stamp}`;
  }

  /** The cache from the environment (null when turned off). */
  static fromEnv(checker: string, declarations: string, env: NodeJS.ProcessEnv = process.env): CheckCache | null {
    const folder = cacheFolder(env);
    return folder ? new CheckCache(path.join(folder, "check"), checker, declarations) : null;
  }

  /** What identifies a check of `file` besides the files it read. */
  private key(file: string): string {
    const absolute = path.resolve(file);
    return JSON.stringify([this.checker, absolute, nodeTypeRoot(path.dirname(absolute), this.declarations, fs.existsSync)]);
  }

  private entryPath(key: string): string {
    return path.join(this.folder, `${createHash("sha256").update(key).digest("hex").slice(0, 40)}.json`);
  }

  /** The stored result of checking `file` when every file it read is unchanged; null otherwise. Never throws. */
  lookup(file: string): CheckResult | null {
    const key = this.key(file);
    let text: string;
    try {
      const entryFile = this.entryPath(key);
      if (fs.statSync(entryFile).size > MAX_ENTRY_BYTES) return null;
      text = fs.readFileSync(entryFile, "utf8");
    } catch {
      return null;
    }
    const entry = parseEntry(text, key);
    if (!entry) return null;
    const now: StoredSource[] = [];
    for (const source of entry.sources) {
      const current = unchanged(source);
      if (!current) return null;
      now.push(current);
    }
    // Touched but unchanged files: their new times are kept, so that the next lookup does not hash them again.
    if (now.some((source, i) => source !== entry.sources[i])) this.write(key, entry.diagnostics, now);
    return { diagnostics: entry.diagnostics };
  }

  /** Keeps a result the checker gave with the files it read, for a check that began at `since` (Date.now()); results
   *  it could not give, and those of files saved during the check, are not kept. Never throws. */
  store(file: string, result: CheckedResult, since: number): void {
    if (!("diagnostics" in result) || !result.sources.length || result.diagnostics.some((d) => UNRESOLVED.has(d.code))) return;
    const sources = result.sources.map((source) => stamped(source, since));
    if (!sources.includes(null)) this.write(this.key(file), result.diagnostics, sources as StoredSource[]);
  }

  /** Writes an entry whole or not at all (a check running beside may read it); failures are ignored. */
  private write(key: string, diagnostics: TypeDiagnostic[], sources: StoredSource[]): void {
    const text = JSON.stringify({ format: FORMAT, key, diagnostics, sources });
    if (text.length > MAX_ENTRY_BYTES) return;
    const entryFile = this.entryPath(key);
    const partial = `${entryFile}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(this.folder, { recursive: true });
      fs.writeFileSync(partial, text);
      fs.renameSync(partial, entryFile);
    } catch {
      fs.rm(partial, { force: true }, () => undefined);
    }
  }
}
