// Work done at most once per animation frame. Live runs send hundreds of steps and epochs a second and a slider
// fires an input per pixel dragged: drawing for each falls behind; drawing once per frame shows the latest state.

/**
 * `draw`, run on the next animation frame however many times the returned function is called before it: call it
 * whenever something changed, and the frame draws what is there then. `nextFrame` is `requestAnimationFrame` in
 * the page (a test passes its own).
 */
export function perFrame(draw: () => void, nextFrame: (callback: () => void) => unknown = requestAnimationFrame): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    nextFrame(() => {
      pending = false;
      draw();
    });
  };
}
