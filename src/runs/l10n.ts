// The runner's and the CLI's messages in the user's language, with @vscode/l10n (the package made for the processes
// of an extension): `t`, whose key is the English message, as `vscode.l10n.t` in the host, reading the same bundles,
// l10n/bundle.l10n.<language>.json, which lie beside dist/ in the repository and in the .vsix. English by default.
import * as fs from "node:fs";
import * as path from "node:path";
import * as l10n from "@vscode/l10n";
import type { Translate } from "../common/format";
import { languageOf } from "./language";

/** The folder above dist/, where this module is bundled (dist/cli.js, train.js, trace-server.js). */
const ROOT = path.join(__dirname, "..");

/** The bundle of `language` (`zh-cn`), else of its primary language (`pt-br` → `pt`); none for English. */
export function bundleFile(language: string, root = ROOT): string | undefined {
  for (const tag of new Set([language, language.split("-")[0]])) {
    if (tag === "en") return undefined;
    const file = path.join(root, "l10n", `bundle.l10n.${tag}.json`);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/** Makes `t` speak `language` (from $UNROLL_LANGUAGE or the locale by default): its bundle when Unroll has one,
 *  English otherwise. Returns the language spoken, and why not the one asked for when its bundle is unreadable. */
export function useLanguage(language = languageOf(), root = ROOT): { language: string; error?: string } {
  const file = bundleFile(language, root);
  let contents: Record<string, string> = {};
  try {
    if (file) contents = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
    if (typeof contents !== "object" || contents === null || Array.isArray(contents)) throw new Error("not a JSON object");
  } catch (error) {
    l10n.config({ contents: {} });
    return { language: "en", error: `unroll: cannot read ${file}, English it is: ${error instanceof Error ? error.message : String(error)}` };
  }
  l10n.config({ contents });
  return { language: file ? language : "en" };
}

/** A message in the language `useLanguage` chose (English before it is called): `t("epoch {0}/{1}", 3, 10)`. */
export const t: Translate = (message, ...args) => l10n.t(message, ...args);
