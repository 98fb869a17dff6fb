// perFrame (webview/frame.ts): the tabs' once-per-frame drawing, with the frames driven by the test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { perFrame } from "../../webview/frame";

/** A fake requestAnimationFrame: the callbacks wait until `frame()` runs them. */
function frames() {
  let queued: (() => void)[] = [];
  return {
    nextFrame: (callback: () => void) => queued.push(callback),
    frame: () => {
      const run = queued;
      queued = [];
      run.forEach((callback) => callback());
    },
    get waiting() {
      return queued.length;
    },
  };
}

test("perFrame draws once per frame, however many times it is asked before it", () => {
  const clock = frames();
  const drawn: number[] = [];
  let value = 0;
  const schedule = perFrame(() => drawn.push(value), clock.nextFrame);
  for (value = 1; value <= 500; value++) schedule();
  assert.equal(clock.waiting, 1, "one frame asked for, not 500");
  assert.deepEqual(drawn, [], "nothing is drawn before the frame");
  clock.frame();
  assert.deepEqual(drawn, [501], "the frame draws the latest state");
  clock.frame();
  assert.deepEqual(drawn, [501], "an idle frame draws nothing");
});

test("perFrame asks again for a frame after drawing, including from inside the drawing", () => {
  const clock = frames();
  let draws = 0;
  const schedule = perFrame(() => {
    draws++;
    if (draws === 1) schedule(); // what the drawing changes is drawn on the next frame
  }, clock.nextFrame);
  schedule();
  clock.frame();
  assert.equal(draws, 1);
  assert.equal(clock.waiting, 1);
  clock.frame();
  assert.equal(draws, 2);
  schedule();
  schedule();
  clock.frame();
  assert.equal(draws, 3);
});

test("perFrame's drawings are independent of each other", () => {
  const clock = frames();
  const drawn: string[] = [];
  const a = perFrame(() => drawn.push("a"), clock.nextFrame);
  const b = perFrame(() => drawn.push("b"), clock.nextFrame);
  a();
  b();
  a();
  clock.frame();
  assert.deepEqual(drawn, ["a", "b"]);
});
