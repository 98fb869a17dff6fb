// Lesson 9b: the first-token task of 09 trained with a plain RNN. Watch the Training tab: the gradient norm of
// rnn.weight_hh_l0 falls far below its running median, and Unroll warns of vanishing gradients (status bar too).
//
//   npx unroll train examples/09b_vanishing_rnn.ts

// defineExperiment returns what it is given: here it makes this file a model file for the editor (Train above it).
import { defineExperiment } from "unroll";
import { firstTokenExperiment } from "./09_vanishing_gradients";

export default defineExperiment(firstTokenExperiment({ kind: "rnn" }));
