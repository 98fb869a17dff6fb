// A run's meta.json: what the user wrote about it (a label, tags, a note), beside run.json in its folder. The host
// writes it atomically; every reader takes it totally: a missing, oversized, malformed or hostile file gives no meta
// (and says why), a field of the wrong type is dropped, long texts are cut, never an exception.
import type { RunMeta } from "../common/protocol";
import { readTextFile, readTextFileSync, type TextRead } from "./read-file";

export const META_FILE = "meta.json";
/** The largest meta.json read: a label, a few tags and a note fit many times over. */
export const META_CAP = 64 * 1024;
export const MAX_LABEL = 120;
export const MAX_TAG = 40;
export const MAX_TAGS = 20;
export const MAX_NOTE = 4000;

/** One line of text, trimmed and cut to `max` characters (never inside a surrogate pair); "" for anything else. */
function cleanText(value: unknown, max: number, { multiline = false } = {}): string {
  if (typeof value !== "string") return "";
  // Control characters (a newline too, in a label or tag) would break a list's row or a tab title.
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  const text = (multiline ? value.replace(/[\0-\x08\x0b-\x1f\x7f]/g, "") : value.replace(/[\0-\x1f\x7f]+/g, " ")).trim();
  const chars = [...text];
  return chars.length > max ? chars.slice(0, max).join("").trimEnd() : text;
}

/** Tags from what a user typed or a file holds: an array of strings, or one string separated by commas; each one
 *  line, no empties, no repeats, at most MAX_TAGS. */
export function cleanTags(value: unknown): string[] {
  const raw = typeof value === "string" ? value.split(",") : Array.isArray(value) ? value.slice(0, MAX_TAGS * 4) : [];
  const tags: string[] = [];
  for (const item of raw) {
    const tag = cleanText(item, MAX_TAG);
    if (tag && !tags.includes(tag) && tags.length < MAX_TAGS) tags.push(tag);
  }
  return tags;
}

/** The meta a value holds: its label, tags and note when they are what they should be; empty fields left out. */
export function metaOf(value: unknown): RunMeta {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const v = value as Record<string, unknown>;
  const label = cleanText(Object.hasOwn(v, "label") ? v.label : undefined, MAX_LABEL);
  const tags = cleanTags(Object.hasOwn(v, "tags") ? v.tags : undefined);
  const note = cleanText(Object.hasOwn(v, "note") ? v.note : undefined, MAX_NOTE, { multiline: true });
  return { ...(label ? { label } : {}), ...(tags.length ? { tags } : {}), ...(note ? { note } : {}) };
}

/** meta.json's text as meta, or why it is not. */
export function parseMeta(read: TextRead): { meta: RunMeta; problem?: string } {
  if ("missing" in read) return { meta: {} };
  if ("problem" in read) return { meta: {}, problem: read.problem };
  try {
    return { meta: metaOf(JSON.parse(read.text)) };
  } catch {
    return { meta: {}, problem: `${META_FILE} is not JSON` };
  }
}

export const readRunMeta = async (dir: string) => parseMeta(await readTextFile(dir, META_FILE, META_CAP));
export const readRunMetaSync = (dir: string) => parseMeta(readTextFileSync(dir, META_FILE, META_CAP));

/** meta.json's text for `meta`, cleaned as a reader would clean it (the run store's writeRunMeta writes it). */
export const metaText = (meta: RunMeta): string => JSON.stringify(metaOf(meta), null, 2) + "\n";

/** `meta` with one field replaced by what the user typed (an empty text removes the field). */
export function editedMeta(meta: RunMeta, field: keyof RunMeta, typed: string): RunMeta {
  const next: Record<string, unknown> = { ...meta, [field]: field === "tags" ? cleanTags(typed) : typed };
  return metaOf(next);
}
