// `unroll doctor`: which backend and which kernels run the recurrent layers on this machine, and, where the native
// kernels are missing (a fresh machine without g++ or Eigen's headers: `npm install` said so once), the exact
// command that builds them. The status bar's tooltip says the same through the backend's summary.
import * as path from "node:path";
import { useBackend, type BackendReport } from "unroll";
import { t } from "../runs/l10n";
import { EXIT, stringOption, type Command } from "./args";

/** Where Unroll is (the bundle is dist/cli.js): `npm run build:native` runs there. */
const unrollFolder = () => path.resolve(__dirname, "..");

/** The command that builds the native kernels on Debian or Ubuntu, run in Unroll's folder. */
export const buildNativeCommand = (folder: string) => `sudo apt-get install -y g++ libeigen3-dev && cd ${JSON.stringify(folder)} && npm run build:native`;

/** What runs the recurrent layers, in a line or two: the native kernels, the backend's own kernels, or the
 *  backend's ops with why the native kernels are not used and what makes it faster. */
export function kernelsReport(report: Pick<BackendReport, "name" | "native">, folder = unrollFolder()): string[] {
  const { name, native } = report;
  if (native.ok) return [t("recurrent layers: the native kernels ({0})", native.detail)];
  if (!native.detail) return [t("recurrent layers: the {0} backend's own kernels", name)];
  if (native.detail.startsWith("turned off")) {
    return [
      t("recurrent layers: {0} ops; the native kernels are {1}", name, native.detail),
      t("to use them: unset UNROLL_NATIVE (or set the unroll.nativeKernels setting)"),
    ];
  }
  return [
    t("recurrent layers: {0} ops, several times slower than the native kernels, which are not in use: {1}", name, native.detail),
    t("to build them: {0}", buildNativeCommand(folder)),
  ];
}

export const doctorCommand: Command = {
  summary: () => t("say which backend and kernels run here, and what makes them faster"),
  help: () => ({
    synopsis: "unroll doctor [--backend NAME]",
    about: [
      t(
        "Chooses the backend as run and train do, then prints it, what runs the recurrent layers and, where the native kernels are not built, the command that builds them.",
      ),
    ],
    options: [["--backend NAME", t("auto (default), tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu")]],
  }),
  async run({ options }) {
    const report = await useBackend(stringOption(options, "backend"), { searchPaths: [process.cwd()] });
    console.log(t("backend: {0}", report.summary));
    for (const line of kernelsReport(report)) console.log(line);
    return EXIT.ok;
  },
};
