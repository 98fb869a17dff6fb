// Which editor tab shows the walkthrough, from what VS Code's tab API tells of it (no VS Code needed: unit-tested).

export type TabLike = { label: string; input: unknown };

/**
 * Whether the walkthrough is shown: a Welcome tab named after it, or the Welcome tab that is active after it was opened
 * (out of any other walkthrough) with no tab named after another walkthrough. VS Code does not rename a Welcome tab
 * whose page changes in place, so a shown walkthrough's tab may still be labelled "Welcome".
 */
export function walkthroughShown(tabs: readonly TabLike[], active: TabLike | undefined, titles: readonly string[], openedInWelcome: boolean): boolean {
  if (tabs.some((tab) => isWalkthroughTab(tab, titles))) return true;
  const another = tabs.some((tab) => isWelcomeTab(tab) && /[:：]\s*\S/u.test(tab.label)); // "Walkthrough: Setup VS Code Web"
  return openedInWelcome && isWelcomeTab(active) && !another;
}

/** Whether a tab is the walkthrough's: the Welcome editor (a tab whose input the API does not describe, unlike a
 *  text file's or a webview's) with a label ending in the display name or the walkthrough's title. */
export const isWalkthroughTab = (tab: TabLike, titles: readonly string[]): boolean => isWelcomeTab(tab) && titles.some((title) => tab.label.endsWith(title));

/** Whether a tab may be the Welcome editor: the API describes every other editor Unroll opens by its input. */
export const isWelcomeTab = (tab: { input: unknown } | undefined): boolean => tab !== undefined && tab.input === undefined;
