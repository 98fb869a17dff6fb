// `npm start`: Unroll in a real VS Code, offline — code-server (the VS Code 1.100 server and web workbench,
// installed by test/e2e/install.sh into test/e2e/node_modules) with the packaged extension, serving the
// examples folder on 127.0.0.1. Open the printed address in a browser; Ctrl-C stops it.
//   npm start [-- --port 8080] [-- --folder path/to/models]
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url))); // a path, not a URL: a clone in "my 循环" works
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const folder = path.resolve(option("folder", path.join(root, "examples")));
const run = (command, commandArgs) => execFileSync(command, commandArgs, { cwd: root, stdio: "inherit" });

run("bash", ["test/e2e/install.sh"]);
run("npm", ["run", "--silent", "package"]);
const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
// This machine's .vsix (with the native kernels, when they were built), else the untargeted one.
const targeted = path.join(root, `unroll-${version}-${process.platform}-${process.arch}.vsix`);
const vsix = fs.existsSync(targeted) ? targeted : path.join(root, `unroll-${version}.vsix`);

// A stable profile under the user's home, so that settings, layout and trust persist between starts.
const profile = path.join(os.homedir(), ".unroll-code-server");
const [userData, extensions] = [path.join(profile, "user-data"), path.join(profile, "extensions")];
for (const dir of [userData, extensions]) fs.mkdirSync(dir, { recursive: true });
const common = ["--user-data-dir", userData, "--extensions-dir", extensions];
const codeServer = path.join(root, "test/e2e/node_modules/code-server/out/node/entry.js");
run(process.execPath, [codeServer, ...common, "--force", "--install-extension", vsix]);

const port = Number(option("port", 0)) || (await freePort());
const server = spawn(
  process.execPath,
  [codeServer, ...common, "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check", "--disable-getting-started-override", folder],
  { stdio: ["ignore", "ignore", "inherit"] },
);
const address = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`;
await waitHealthy(port);
console.log(`\nUnroll is running in VS Code at ${address}\n(open it in a browser; Ctrl-C stops the server)\n`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill("SIGTERM"));
server.on("exit", (code) => process.exit(code ?? 0));

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port: p } = probe.address();
      probe.close(() => resolve(p));
    });
    probe.on("error", reject);
  });
}

async function waitHealthy(p) {
  for (let i = 0; i < 300; i++) {
    if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${p}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("code-server did not answer on /healthz within 60 s");
}
