// Where in a user's file a stack is: imports nothing but types, so that the extension host (through the training
// client) can locate a stack without loading the compiler.
import type { SourceLocation } from "../common/protocol";

/** The first stack frame in `file`, as a 1-based line and column (stack traces are source-mapped). The file's name
 *  is found as written, not parsed out of the frame: a name may hold parentheses, colons or spaces. */
export function locationIn(stack: string | undefined, file: string): SourceLocation | null {
  for (const line of (stack ?? "").split("\n")) {
    const at = line.lastIndexOf(`${file}:`);
    const match = at >= 0 ? /^(\d+):(\d+)\)?\s*$/.exec(line.slice(at + file.length + 1)) : null;
    if (match) return { file, line: Number(match[1]), column: Number(match[2]) };
  }
  return null;
}
