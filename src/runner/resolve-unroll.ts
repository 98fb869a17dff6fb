// Imported first by every process entry point: ES imports run in order, so everything imported after
// this one that requires "unroll" gets the one library bundle (see model-file.ts).
import { installUnrollResolver } from "./model-file";
installUnrollResolver();
