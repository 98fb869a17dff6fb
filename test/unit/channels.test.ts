// The webviews' typed channels (src/protocol.ts): each webview's messages are its own, to and from. Most of what is
// checked here is checked by the compiler (`npm test` type-checks this file): each `@ts-expect-error` below fails the
// type check the day the line it marks compiles, e.g. when a channel starts taking another webview's messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkpointChannel,
  explorerChannel,
  runsTableChannel,
  runsViewChannel,
  webviewChannel,
  type Check,
  type FromExplorer,
  type FromWebview,
  type ToCheckpoint,
  type ToExplorer,
  type ToRunsTable,
  type ToRunsView,
  type ToWebview,
} from "../../src/common/protocol";

/** True when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Equal<A, B>) => assert.equal(proof, true);

test("each channel carries its webview's unions, to and from", () => {
  same<ToWebview<typeof explorerChannel>, ToExplorer>(true);
  same<FromWebview<typeof explorerChannel>, FromExplorer>(true);
  same<ToWebview<typeof runsViewChannel>, ToRunsView>(true);
  same<ToWebview<typeof runsTableChannel>, ToRunsTable>(true);
  same<ToWebview<typeof checkpointChannel>, ToCheckpoint>(true);
  // @ts-expect-error: the Runs view's messages are not the Runs table's
  same<ToWebview<typeof runsViewChannel>, ToRunsTable>(true);
});

test("a host message of one webview cannot be posted to another", () => {
  const posted: unknown[] = [];
  /** What HostChannel.post takes for channel C. */
  const postTo =
    <C>(_channel: C) =>
    (message: ToWebview<C>) =>
      posted.push(message);
  const toExplorer: ToExplorer = { type: "backend", summary: "wasm" };
  const toRunsView: ToRunsView = { type: "runs", runs: [], selected: [] };
  const toTable: ToRunsTable = { type: "table", runs: [], selected: [] };
  postTo(explorerChannel)(toExplorer);
  postTo(runsViewChannel)(toRunsView);
  postTo(runsTableChannel)(toTable);
  // @ts-expect-error: an explorer message to the Runs view
  postTo(runsViewChannel)(toExplorer);
  // @ts-expect-error: the Runs view's list to the Runs table (the same shape once; now each has its own type)
  postTo(runsTableChannel)(toRunsView);
  // @ts-expect-error: the table's list to the Runs view
  postTo(runsViewChannel)(toTable);
  // @ts-expect-error: a checkpoint to the explorer
  postTo(explorerChannel)({ type: "comparison", comparison: null });
  // @ts-expect-error: one channel does not stand for another
  const swapped: typeof runsViewChannel = runsTableChannel;
  assert.equal(posted.length, 7); // every call above ran (types are erased at run time): the guard is the compiler
  assert.ok(swapped);
});

test("a channel does not compile until every message kind of its union has a check", () => {
  const bare: Check = (m) => Object.keys(m).length === 1;
  // @ts-expect-error: "stop", "reveal" and "exportCsv" have no check
  const partial = webviewChannel<ToExplorer, FromExplorer>("partial", { ready: bare, train: bare });
  // @ts-expect-error: a check for a kind the union does not have
  webviewChannel<ToCheckpoint, { type: "ready" }>("extra", { ready: bare, compare: bare });
  // A kind without its check is refused at run time too (the compiler was overruled above).
  assert.equal(partial.isFrom({ type: "stop" }), false);
  assert.equal(partial.isFrom({ type: "ready" }), true);
});

test("isFrom narrows to the channel's own union", () => {
  const value: unknown = JSON.parse('{"type":"reveal","line":3,"column":7}');
  assert.ok(explorerChannel.isFrom(value));
  const m: FromExplorer = value; // narrowed: no cast
  assert.equal(m.type === "reveal" && m.line, 3);
  assert.equal(runsViewChannel.isFrom(value), false);
  assert.equal(checkpointChannel.isFrom({ type: "ready", extra: 1 }), false);
});
