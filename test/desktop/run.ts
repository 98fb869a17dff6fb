// Runs the in-extension suite (suite.ts) in desktop VS Code through @vscode/test-electron, on machines that
// can download VS Code (CI here cannot: it uses code-server, see test/e2e/). `npm run test:desktop`.
//
//   VSCODE_VERSION=1.100.3 npm run test:desktop      (default: the oldest version engines.vscode accepts)
//   UNROLL_DESKTOP_VSIX=unroll-0.1.0.vsix npm run test:desktop   (test the packaged extension instead of the folder)
import * as cp from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { downloadAndUnzipVSCode, resolveCliArgsFromVSCodeExecutablePath, runTests } from "@vscode/test-electron";

/** out/test/desktop → the repository. */
const REPO = path.resolve(__dirname, "..", "..", "..");

async function main(): Promise<void> {
  const version = process.env.VSCODE_VERSION ?? "1.100.3";
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-desktop-"));
  // The suite trains and writes .unroll/runs: a copy of examples/, not the repository's.
  const workspace = path.join(scratch, "examples");
  fs.cpSync(path.join(REPO, "examples"), workspace, { recursive: true });
  const userData = path.join(scratch, "user-data");
  const extensions = path.join(scratch, "extensions");
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.writeFileSync(
    path.join(userData, "User", "settings.json"),
    JSON.stringify({ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "extensions.autoUpdate": false, "git.enabled": false }, null, 2),
  );

  // Downloaded once into out/ (git-ignored), not .vscode-test/ at the root.
  const vscodeExecutablePath = await downloadAndUnzipVSCode({ version, cachePath: path.join(REPO, "out", "vscode-test") });
  let extensionDevelopmentPath = REPO;
  const vsix = process.env.UNROLL_DESKTOP_VSIX;
  if (vsix) {
    // Install the .vsix, and point the development path at an empty extension so only the installed one runs.
    const [cli, ...args] = resolveCliArgsFromVSCodeExecutablePath(vscodeExecutablePath);
    cp.execFileSync(cli, [...args, "--extensions-dir", extensions, "--install-extension", path.resolve(vsix)], {
      stdio: "inherit",
      shell: process.platform === "win32",
    });
    extensionDevelopmentPath = path.join(scratch, "host");
    fs.mkdirSync(extensionDevelopmentPath);
    fs.writeFileSync(
      path.join(extensionDevelopmentPath, "package.json"),
      JSON.stringify({ name: "unroll-desktop-host", publisher: "unroll", version: "0.0.0", engines: { vscode: "^1.100.0" } }),
    );
  }

  try {
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath,
      extensionTestsPath: path.join(__dirname, "suite.js"),
      launchArgs: [
        workspace,
        "--user-data-dir",
        userData,
        "--extensions-dir",
        extensions,
        "--disable-workspace-trust",
        "--skip-welcome",
        "--skip-release-notes",
        "--disable-gpu",
      ],
      extensionTestsEnv: { UNROLL_TEST: "1", UNROLL_TEST_WORKSPACE: workspace },
    });
  } finally {
    if (process.env.UNROLL_DESKTOP_KEEP !== "1") fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
