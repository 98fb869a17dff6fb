// A run's id is its folder's name: the start time, then the run's name made safe as a folder name on every OS
// (Windows' reserved names and characters included) while keeping the letters of any script ("唐诗生成" stays).
// Here, on the ground floor, because the run store makes ids and the webviews' message checks accept them.

/** What a name keeps: letters, combining marks and digits of any script, `_`, `.` and `-`; anything else is `-`. */
const UNSAFE = /[^\p{L}\p{M}\p{N}_.-]+/gu;
/** Windows refuses these as a file's name, whatever follows a dot: CON, con.txt, LPT1. */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;
/** The name part's longest, in UTF-8 bytes: the id stays far below a file name's 255 bytes with `-2`, `.tmp`. */
export const MAX_NAME_BYTES = 64;

const encoder = new TextEncoder(); // the browser has no Buffer
const utf8Bytes = (text: string) => encoder.encode(text).length;

/** `text` cut to at most `max` UTF-8 bytes at a character boundary (a letter keeps its accents). */
function cutToBytes(text: string, max: number): string {
  let out = "";
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)) {
    if (utf8Bytes(out + segment) > max) break;
    out += segment;
  }
  return out;
}

/** A run's name as it appears in its id: unsafe characters runs of `-`, no leading or trailing `-` or `.` (Windows
 *  drops a trailing dot), a reserved Windows name prefixed with `_`, NFC (macOS hands out decomposed names), at most
 *  MAX_NAME_BYTES bytes; "run" when nothing is left. */
export function safeRunName(name: string): string {
  const trim = (s: string) => s.replace(/^[-.]+|[-.]+$/g, "");
  let safe = trim(String(name).normalize("NFC").replace(UNSAFE, "-").replace(/-{2,}/g, "-"));
  if (RESERVED.test(safe)) safe = `_${safe}`;
  safe = trim(cutToBytes(safe, MAX_NAME_BYTES));
  return safe || "run";
}

/** Whether `id` can be a run's id: what safeRunName keeps, never `.` or `..`, and short enough for a file name. */
export const isRunId = (id: string): boolean => /^[\p{L}\p{M}\p{N}_.-]+$/u.test(id) && !/^\.+$/.test(id) && !RESERVED.test(id) && utf8Bytes(id) <= 128;
