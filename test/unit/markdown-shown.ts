// What a markdown string shows, for tests of text that must stay text: rendered by markdown-it with GFM's tables,
// strikethrough and bare-URL links on, and raw HTML allowed (the worst case: VS Code's hovers sanitise HTML, but a
// test should see any tag that got through).
import MarkdownIt from "markdown-it";

const markdown = new MarkdownIt({ html: true, linkify: true });

/** The HTML `source` renders to. */
export const renderMarkdown = (source: string): string => markdown.render(source);

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", quot: '"', amp: "&" };

/** The text of some HTML: without its tags, entities decoded. */
const htmlText = (html: string): string =>
  html
    .replace(/<[^>]*>/g, "")
    .replace(/&(?:(lt|gt|quot|amp)|#(\d+));/g, (_, name?: string, code?: string) => (name ? ENTITIES[name] : String.fromCodePoint(Number(code))))
    .trim();

/** The text `source` shows. */
export const shownText = (source: string): string => htmlText(renderMarkdown(source));

/** The text of each table cell `source` shows, in order. */
export const cellsOf = (source: string): string[] => [...renderMarkdown(source).matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => htmlText(m[1]));

/** The tags `source` renders to, beyond a paragraph's and a table's own and those `allowed` (`a`, `img`, `em`, …). */
export function markupIn(source: string, allowed: readonly string[] = []): string[] {
  const structural = new Set(["p", "table", "thead", "tbody", "tr", "th", "td", ...allowed]);
  return [...renderMarkdown(source).matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase()).filter((tag) => !structural.has(tag));
}
