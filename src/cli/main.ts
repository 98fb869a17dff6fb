// `unroll` on the command line.
import "./compile-cache"; // first: the modules loaded after it are compiled once, not on every command
import "../runner/resolve-unroll"; // first: "unroll" below and in model files is one library instance
import { useLanguage } from "../runs/l10n";
import { runCli } from "./commands";
import { endQuietlyOnClosedOutput } from "./output";

// Before any message: $UNROLL_LANGUAGE, else LC_ALL / LC_MESSAGES / LANG (zh_CN.UTF-8 speaks Chinese; C, English).
const spoken = useLanguage();
if (spoken.error) console.error(spoken.error);

endQuietlyOnClosedOutput(); // `unroll runs | head -1` ends with exit code 0

runCli(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exitCode = 70; // EX_SOFTWARE: a bug in Unroll itself
  },
);
