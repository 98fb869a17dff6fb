// Issue 20, class 1, in a real VS Code: a repository can ship run folders with any name. Before, a folder named
// like a markdown link to a command became a clickable link in "the run … has no weights yet", and one click typed
// a shell command into the terminal. Here a workspace holds three hostile runs (that link, a name with U+202E
// RIGHT-TO-LEFT OVERRIDE, and "$(alert) fake"); the Runs view lists them with their names as text, each isolated
// from its neighbours, the quick pick shows them without icons, and the notification they trigger holds no link.
// Two more run folders hold special files (a FIFO run.json, a run.json linked to /dev/zero): listed as damaged.
//
//   node esbuild.mjs --e2e && node --test --test-concurrency=1 --test-name-pattern="^hostile" test/e2e/out/
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { until, withVSCode, workspace } from "./vscode";

after(() => workspace.cleanup());

const LINK = "[Open weights](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22echo%20pwned%5Cn%22%7D)";
const REVERSED = "\u202Eolleh-nur";
/** A metric of the U+202E run named with the override too: before, it turned around the values after it. */
const REVERSED_METRIC = "\u202Eycarucca";
const ICON = "$(alert) fake";
const MODEL = "model.ts";

/** A completed run of `model.ts` in `.unroll/runs/<folder>`, named as its folder, without weights. */
function hostileRun(folder: string, name: string, index: number, finalMetrics: Record<string, number> = { accuracy: 0.75 }): [string, string] {
  const info = {
    id: name,
    name,
    file: "", // filled in below: the absolute path of the workspace's model.ts
    status: "completed",
    pid: 0,
    backend: "wasm (WebAssembly with SIMD, embedded)",
    backendName: "wasm",
    startedAt: `2026-12-07T19:0${index}:00.000Z`,
    endedAt: `2026-12-07T19:0${index}:30.000Z`,
    config: { epochs: 3, model: "RNN(4, 4)", parameterCount: 48, optimizer: "SGD", snapshotEvery: 0 },
    epoch: 3,
    finalLoss: 0.5 + index / 10,
    finalMetrics,
  };
  return [`.unroll/runs/${folder}/run.json`, JSON.stringify(info)];
}

test(
  "hostile) run folders named like a command link, with U+202E and $(alert): listed as text, and no notification holds a link",
  { timeout: 240_000 },
  async (t) => {
    const runs = [hostileRun(LINK, LINK, 1), hostileRun(REVERSED, REVERSED, 2, { [REVERSED_METRIC]: 0.25, f1: 0.5 }), hostileRun(ICON, ICON, 3)];
    const folder = workspace.bare({ [MODEL]: 'import { nn } from "unroll";\n\nexport const rnn = new nn.RNN(4, 4);\n', ...Object.fromEntries(runs) });
    // run.json names its model file by absolute path.
    for (const [file] of runs) {
      const at = path.join(folder, file);
      fs.writeFileSync(at, JSON.stringify({ ...JSON.parse(fs.readFileSync(at, "utf8")), file: path.join(folder, MODEL) }));
    }
    assert.deepEqual(fs.readdirSync(path.join(folder, ".unroll/runs")).sort(), [ICON, LINK, REVERSED].sort(), "the three folders exist under their names");
    // Class 2: special files where a run's files belong (git carries links). Listing them used to exhaust the
    // extension host's heap (/dev/zero) or hang it (a FIFO); now each lists as damaged, and nothing else breaks.
    const special = (name: string) => fs.mkdirSync(path.join(folder, ".unroll/runs", name), { recursive: true });
    special("fifo-run");
    execFileSync("mkfifo", [path.join(folder, ".unroll/runs/fifo-run/run.json")]);
    special("zero-run");
    fs.symlinkSync("/dev/zero", path.join(folder, ".unroll/runs/zero-run/run.json"));

    await withVSCode({ name: "hostile-workspace", folder }, async (vs) => {
      // The Runs view lists the three, each name as text in a <bdi>, its override shown as U+FFFD.
      await vs.activity("Unroll");
      const view = await vs.webview(async (f) => f.evaluate(() => document.querySelectorAll("li.run").length >= 5), 60_000);
      const all = await view.evaluate(() =>
        [...document.querySelectorAll("li.run")].map((li) => {
          const name = li.querySelector(".run-name")!;
          return {
            name: name.textContent ?? "",
            isolated: name.querySelector("bdi")?.textContent ?? null,
            line: (li.querySelector(".run-line.muted") as HTMLElement).innerText,
            links: li.querySelectorAll("a").length,
            text: (li as HTMLElement).innerText,
          };
        }),
      );
      const damaged = all.filter((r) => r.name === "fifo-run" || r.name === "zero-run");
      t.diagnostic(`damaged rows: ${JSON.stringify(damaged)}`);
      assert.equal(damaged.length, 2, "the two runs with special files are listed");
      assert.match(damaged.find((r) => r.name === "fifo-run")!.text, /damaged: .*run\.json is a FIFO/, "the FIFO is named as the reason");
      assert.match(damaged.find((r) => r.name === "zero-run")!.text, /damaged: .*run\.json/, "the link to /dev/zero is named as the reason");
      const rows = all.filter((r) => !damaged.includes(r));
      t.diagnostic(`Runs view: ${JSON.stringify(rows)}`);
      // Each is called by its label: its name (the names of the file's runs differ), then its start time.
      assert.deepEqual(
        rows.map((r) => r.name.replace(/ · \d\d:\d\d$/, "")).sort(),
        [ICON, LINK, REVERSED.replace("\u202E", "\uFFFD")].sort(),
        "each name shows as its text (the override as U+FFFD)",
      );
      for (const row of rows) {
        assert.equal(row.isolated, row.name, `${row.name}: the name is in its own <bdi>`);
        assert.equal(row.links, 0, `${row.name}: no link`);
        assert.match(row.line, new RegExp(`^${MODEL.replace(".", "\\.")} · wasm · `), `the line under ${row.name} reads in order: ${row.line}`);
      }
      // The metric named with the override does not turn around what follows it: drawn, its value and then "f1 0.5"
      // still read left to right.
      const metrics = view.locator("li.run", { hasText: "olleh" }).locator(".run-line").nth(2);
      assert.equal((await metrics.innerText()).trim(), "loss 0.7 · \uFFFDycarucca 0.25 · f1 0.5");
      const x = await metrics.evaluate((line) => {
        const left = (needle: string) => {
          const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const i = node.textContent!.indexOf(needle);
            if (i < 0) continue;
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + needle.length);
            return range.getBoundingClientRect().left;
          }
          return NaN;
        };
        return [left("loss"), left("ycarucca"), left("0.25"), left("f1"), left("0.5")];
      });
      t.diagnostic(`where "loss", "ycarucca", "0.25", "f1", "0.5" start: ${JSON.stringify(x)}`);
      assert.ok(
        x.every((v, i) => i === 0 || v > x[i - 1]),
        `the metrics line reads left to right: ${JSON.stringify(x)}`,
      );
      await vs.screenshot("hostile-runs-view");

      // "Unroll: Open Weights of a Run" lists the runs in a quick pick: labels as text, no icon drawn for "$(alert)".
      await vs.runCommand("Unroll: Open Weights of a Run");
      const picker = vs.page.locator(".quick-input-widget");
      await until(
        "the quick pick's three runs",
        async () => {
          const texts = await picker.locator(".monaco-list-row").allInnerTexts();
          return texts.length >= 3 && texts.some((text) => text.includes("Open weights"));
        },
        30_000,
      );
      const pickRows = await picker.locator(".monaco-list-row").evaluateAll((els) =>
        els.map((el) => ({
          text: (el as HTMLElement).innerText,
          icons: el.querySelectorAll(".codicon-alert").length,
          // The label itself is an <a class="label-name"> without a target: a link is an <a> with an href.
          links: [...el.querySelectorAll("a[href]")].map((a) => a.outerHTML),
        })),
      );
      t.diagnostic(`quick pick: ${JSON.stringify(pickRows)}`);
      assert.ok(
        pickRows.some((r) => r.text.replaceAll("\u2060", "").includes(ICON)),
        "the $(alert) run's label shows its text",
      );
      assert.equal(
        pickRows.reduce((n, r) => n + r.icons, 0),
        0,
        "no $(alert) icon is drawn",
      );
      assert.deepEqual(
        pickRows.flatMap((r) => r.links),
        [],
        "no link in the quick pick",
      );
      await vs.screenshot("hostile-quick-pick");

      // Pick the run named like a link: it has no weights, and says so.
      const linkRow = picker.locator(".monaco-list-row", { hasText: "Open weights" }).first();
      await linkRow.click();
      const notification = await until(
        "the notification that the run has no weights",
        async () => (await vs.notifications()).find((n) => n.includes("has no weights yet")),
        30_000,
      );
      t.diagnostic(`notification: ${notification}`);
      const messageLinks = await vs.page
        .locator(".notification-toast .notification-list-item-message, .notifications-center .notification-list-item-message")
        .evaluateAll((messages) => messages.map((m) => [...m.querySelectorAll("a")].map((a) => a.outerHTML)).flat());
      assert.deepEqual(messageLinks, [], "no notification's message contains a link");
      assert.ok(notification.replaceAll("\u2060", "").includes(LINK), `the folder's name shows as its text: ${notification}`);
      await vs.screenshot("hostile-notification");

      // The same from the Runs view's own button, for the run with $(alert) in its name.
      const weights = view.locator("li.run", { hasText: "fake" }).locator('button[aria-label^="Open the weights of"]');
      await weights.click({ force: true });
      await until(
        "a second notification",
        async () => (await vs.notifications()).filter((n) => n.includes("has no weights yet")).some((n) => n.replaceAll("\u2060", "").includes(ICON)),
        30_000,
      );
      const icons = await vs.page.locator(".notification-toast .notification-list-item-message .codicon").count();
      assert.equal(icons, 0, "no icon drawn in a notification's message");
      const allLinks = await vs.page.locator(".notification-list-item-message a").count();
      assert.equal(allLinks, 0, "still no link in any notification");
      await vs.screenshot("hostile-notifications");
    });
  },
);
