// Long texts in narrow columns: a module's repr (a whole model prints one line per layer) shortened to fit a table
// cell; the whole text goes in the cell's title. Pure logic, tested under Node.

/** The Shapes table's longest name before it is shortened. */
export const MAX_LABEL = 64;

/**
 * `text` on one line and at most `max` characters: whitespace runs become one space; a longer repr keeps its head
 * ("NamesClassifier(…)"), else its first characters and "…". Characters are counted as code points (no half emoji).
 */
export function shortLabel(text: string, max = MAX_LABEL): string {
  const line = text.replace(/\s+/g, " ").trim();
  const chars = [...line];
  if (chars.length <= max) return line;
  const open = chars.indexOf("(");
  if (open > 0 && open <= max - 3) return `${chars.slice(0, open).join("")}(…)`;
  return `${chars.slice(0, Math.max(1, max - 1)).join("")}…`;
}

/** `text` cut where a narrow column may wrap it: after a dot or an underscore, before an opening bracket (a module
 *  path, a parameter's name, a repr), never inside a word. The pieces joined are the text. */
export const wrapPieces = (text: string): string[] => text.split(/(?<=[._])(?=.)|(?<=.)(?=[([])/u);
