// What the extension host passes down to the processes it forks (training, tracing), in their environment: the
// language of their messages and whether the native kernels may run. Plain functions: no library here.
import { LANGUAGE_VARIABLE } from "./language";

/** The library's switch for the native kernels (nn/native.ts reads it; clients of the runner do not import the library). */
export const NATIVE_VARIABLE = "UNROLL_NATIVE";

export interface ChildChoices {
  /** `zh-cn`: the process speaks VS Code's language, not the machine's locale. */
  language?: string;
  /** false: the native kernels stay off (the `unroll.nativeKernels` setting); else the environment decides. */
  nativeKernels?: boolean;
}

/** The environment of a forked process: this one's, with the parent's choices. */
export function childEnvironment({ language, nativeKernels }: ChildChoices): NodeJS.ProcessEnv {
  return { ...process.env, ...(language && { [LANGUAGE_VARIABLE]: language }), ...(nativeKernels === false && { [NATIVE_VARIABLE]: "0" }) };
}
