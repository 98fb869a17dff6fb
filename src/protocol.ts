// Every message between the runner (child process), the extension host and the webview, typed, in one
// place. Plain data only: this file imports nothing, so every side can use it.

/** 1-based line and column in a user's file. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}
