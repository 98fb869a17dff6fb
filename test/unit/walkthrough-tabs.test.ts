// Whether the walkthrough counts as shown, from the tabs VS Code's API describes (issue 25 item 8).
import { test } from "node:test";
import assert from "node:assert/strict";
import { isWalkthroughTab, walkthroughShown } from "../../src/extension/walkthrough-tabs";

const titles = ["Unroll", "Get started with Unroll"];
const welcome = (label: string) => ({ label, input: undefined });
const file = { label: "model.ts", input: { uri: "file:///w/model.ts" } };

test("a Welcome tab named after the walkthrough shows it; a text file's tab of the same name does not", () => {
  assert.equal(isWalkthroughTab(welcome("Walkthrough: Unroll"), titles), true);
  assert.equal(isWalkthroughTab({ label: "Unroll", input: { uri: "file:///w/Unroll" } }, titles), false);
  assert.equal(walkthroughShown([file, welcome("Walkthrough: Unroll")], file, titles, false), true);
});

test("a Welcome tab still labelled 'Welcome' counts only once the walkthrough was opened in it and it is active", () => {
  assert.equal(walkthroughShown([welcome("Welcome")], welcome("Welcome"), titles, true), true);
  assert.equal(walkthroughShown([welcome("Welcome")], welcome("Welcome"), titles, false), false, "not opened: VS Code's own page");
  assert.equal(walkthroughShown([welcome("Welcome"), file], file, titles, true), false, "opened, but a text editor is in front");
});

test("a tab named after another walkthrough means it is not shown, in English or Chinese", () => {
  for (const label of ["Walkthrough: Setup VS Code Web", "演练：设置 VS Code Web"]) {
    assert.equal(walkthroughShown([welcome(label)], welcome(label), titles, true), false, label);
  }
  assert.equal(walkthroughShown([], undefined, titles, true), false, "no tab at all");
});
