// The user's language on the host side: every string shown goes through vscode.l10n.t (English is its own key; the
// translations are l10n/bundle.l10n.<language>.json, the manifest's are package.nls.<language>.json). Pure code gets
// the words as an argument; the webviews get the bundle in their HTML (see webview-html.ts, webview/l10n.ts).
import * as vscode from "vscode";
import type { WebviewL10n } from "../common/protocol";
import type { Words } from "./shapes";

/** Whether VS Code speaks something other than English. */
const translated = () => !/^en\b/.test(vscode.env.language);

/** The words of hovers and diagnostics: with a line in the user's language under the library's English shape errors. */
export const words = (): Words => ({ t: vscode.l10n.t, locale: vscode.env.language, explain: translated() });

/** What a webview needs to speak the user's language. */
export const webviewL10n = (): WebviewL10n => ({ language: vscode.env.language, bundle: vscode.l10n.bundle ?? {} });
