// Which language the runner's processes and the CLI speak (l10n/README.md). Plain functions over the environment,
// imported by the clients that fork the processes (the extension host among them: no library, no TensorFlow.js).

/** Set by a parent on the processes it forks (the extension host: `vscode.env.language`), so that they speak the
 *  language of VS Code, not that of the machine's locale. */
export const LANGUAGE_VARIABLE = "UNROLL_LANGUAGE";

/** A language tag as VS Code writes one (`zh-cn`, `en`, `pt-br`); anything else is not a language (a path, say). */
const TAG = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/;

/** `zh_CN.UTF-8` → `zh-cn`, `zh-CN` → `zh-cn`, `de_DE@euro` → `de-de`; `C`, `POSIX`, nothing or garbage → `en`. */
export function localeLanguage(locale: string | undefined): string {
  const name = (locale ?? "").split(/[.@]/)[0].toLowerCase().replace(/_/g, "-");
  return TAG.test(name) ? name : "en";
}

/** The language of the messages: $UNROLL_LANGUAGE (from the extension), else the POSIX locale for messages —
 *  LC_ALL, then LC_MESSAGES, then LANG, the first one set and not empty. */
export function languageOf(env: NodeJS.ProcessEnv = process.env): string {
  return localeLanguage(env[LANGUAGE_VARIABLE] || env.LC_ALL || env.LC_MESSAGES || env.LANG);
}
