// Text from files and processes, shown as text on every side (the extension host's UI through
// src/extension/ui-text.ts, the webviews through webview/common.ts bdi()). Imports nothing.

/** Shown in place of a character that must not act: a control character, a bidi override, a broken surrogate. */
export const REPLACEMENT = "\uFFFD";

/** The explicit bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): U+202E makes "abc" read "cba"
 *  to the end of the line, and a stray U+2069 closes the isolate a <bdi> puts around a name. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** `text` with its bidi embeddings, overrides and isolates shown as U+FFFD: it can no longer turn the text around it. */
export const withoutBidiControls = (text: string): string => text.replace(BIDI_CONTROLS, REPLACEMENT);
