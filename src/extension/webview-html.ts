// The HTML of Unroll's webviews and the host's end of their channels, shared by every webview (explorer, Runs view,
// Runs table, checkpoint viewer).
// Strict Content-Security-Policy: no inline script or style, a fresh nonce on the one script, and resources
// only from the extension's own dist/webview/ and media/ folders.
import * as vscode from "vscode";
import { randomBytes } from "node:crypto";
import type { WebviewChannel } from "../common/protocol";
import { capStrings } from "../common/format";
import { webviewL10n } from "./l10n";

/** The folders a webview may load from: the bundles and copied vendor styles, and media/. */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, "dist", "webview"), vscode.Uri.joinPath(extensionUri, "media")];
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: webviewRoots(extensionUri) };
}

export interface Page {
  /** dist/webview/<script>.js and media/<script>.css. */
  script: "explorer" | "runs" | "runs-table" | "checkpoint";
  title: string;
  /** Stylesheets from dist/webview/ (copied from packages) besides codicons. */
  vendorStyles?: string[];
  /** data-* attributes of <body>: what the page needs before any message (the explorer's file). */
  data?: Record<string, string>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page's HTML; call it for each render, so each gets a fresh nonce. */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: Page): string {
  const nonce = randomBytes(16).toString("base64");
  const dist = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", "webview", file)).toString();
  const media = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", file)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join("; ");
  const link = (href: string, id?: string) => `<link rel="stylesheet" href="${escape(href)}"${id ? ` id="${id}"` : ""}>`;
  const l10n = webviewL10n();
  const data = Object.entries({ ...page.data, l10n: JSON.stringify(l10n) })
    .map(([k, v]) => ` data-${k.replace(/[^a-z0-9-]/g, "")}="${escape(v)}"`)
    .join("");
  // The codicon stylesheet's id is how @vscode-elements' icons find it.
  return `<!DOCTYPE html>
<html lang="${escape(l10n.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${link(dist("codicon.css"), "vscode-codicon-stylesheet")}
${(page.vendorStyles ?? []).map((f) => link(dist(f))).join("\n")}
${link(media("common.css"))}
${link(media(`${page.script}.css`))}
<title>${escape(page.title)}</title>
</head>
<body${data}>
<script nonce="${nonce}" src="${escape(dist(`${page.script}.js`))}"></script>
</body>
</html>`;
}

/** What a webview's page asks of the host. */
export interface ChannelHandlers<From> {
  /** A message that passed the channel's check (`ready` included, after `replay`). */
  deliver: (message: From) => void;
  /** Re-sends what the page shows, on its `ready`: a hidden webview is discarded, and reloads when shown again. */
  replay: () => void;
  log: (message: string) => void;
}

/**
 * The host's end of one webview's channel: it posts only that webview's messages, and delivers only the messages
 * that pass the channel's check; anything else is dropped and logged (a webview is untrusted input).
 */
export class HostChannel<To extends { type: string }, From extends { type: string }> implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly webview: vscode.Webview,
    channel: WebviewChannel<To, From>,
    handlers: ChannelHandlers<From>,
  ) {
    this.subscription = webview.onDidReceiveMessage((m: unknown) => {
      if (!channel.isFrom(m)) {
        const type = typeof m === "object" && m !== null ? String((m as { type?: unknown }).type).slice(0, 40) : typeof m;
        handlers.log(`Unroll: dropped an invalid message from the ${channel.name} (type ${type})`);
        return;
      }
      if (m.type === "ready") handlers.replay();
      handlers.deliver(m);
    });
  }

  /** Posts to the webview, which may be gone (posting to a disposed one throws; its next `ready` replays). Strings
   *  past MAX_TEXT are cut (a 200 MB metric in a run's files would otherwise be copied whole into the webview). */
  post(message: To): void {
    try {
      void this.webview.postMessage(capStrings(message));
    } catch {
      // disposed: the next `ready` replays what it missed
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
