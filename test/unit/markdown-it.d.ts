// The little of markdown-it (a devDependency, for tests only) that markdown-shown.ts uses: it ships no types.
declare module "markdown-it" {
  export default class MarkdownIt {
    constructor(options?: { html?: boolean; linkify?: boolean });
    render(source: string): string;
  }
}
