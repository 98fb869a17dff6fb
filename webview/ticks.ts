// The ticks moved to src/common/ticks.ts (the notebook kernel draws chart images with them too).
export * from "../src/common/ticks";
