// The webviews' language: the host writes VS Code's language and its bundle into the page (<body data-l10n>, a
// WebviewL10n), so the first render speaks it. `t("epoch {0}/{1}", 3, 10)` as vscode.l10n.t on the host: the English
// message is its own key, and test/unit/l10n.test.ts checks that each one has its translation.
import { fillMessage, type Translate } from "../src/common/format";
import type { WebviewL10n } from "../src/common/protocol";

function read(): WebviewL10n {
  try {
    const parsed = JSON.parse(document.body.dataset.l10n ?? "") as Partial<WebviewL10n>;
    const bundle = parsed.bundle && typeof parsed.bundle === "object" ? parsed.bundle : {};
    return { language: typeof parsed.language === "string" ? parsed.language : "en", bundle };
  } catch {
    return { language: "en", bundle: {} };
  }
}

const l10n = read();

/** VS Code's language ("en", "zh-cn"), for Intl's number and date formats. */
export const language = l10n.language;

export const t: Translate = (message, ...args) => fillMessage(l10n.bundle[message] ?? message, args);

/** Like t, for a message with data in it, as nodes: each argument in its place, an element (bdi(name)) as it is. */
export const tNodes = (message: string, ...args: (string | number | Node)[]): (string | Node)[] =>
  (l10n.bundle[message] ?? message)
    .split(/(\{\d+\})/)
    .filter((part) => part !== "")
    .map((part) => {
      const i = /^\{(\d+)\}$/.exec(part)?.[1];
      const arg = i !== undefined ? args[Number(i)] : undefined;
      return arg === undefined ? part : typeof arg === "number" ? String(arg) : arg;
    });
