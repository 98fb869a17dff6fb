// `unroll` on the command line.
import "../runner/resolve-unroll"; // first: "unroll" below and in model files is one library instance
import { runCli } from "./commands";

runCli(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exitCode = 70; // EX_SOFTWARE: a bug in Unroll itself
  },
);
