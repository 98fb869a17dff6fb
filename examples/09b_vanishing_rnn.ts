// Lesson 9b: the first-token task of 09 trained with a plain RNN. Epoch 1 is a warm-up (the token to remember is 3
// steps before the end); from epoch 2 it is 50 steps back. Watch the Training tab: at step 17 every gradient norm of
// the RNN falls to 1e-6 of its running median or less, and Unroll warns of vanishing gradients (status bar too).
//
//   npx unroll train examples/09b_vanishing_rnn.ts

// defineExperiment returns what it is given: here it makes this file a model file for the editor (Train above it).
import { defineExperiment } from "unroll";
import { firstTokenExperiment } from "./09_vanishing_gradients";

export default defineExperiment(firstTokenExperiment({ kind: "rnn" }));
