// Lesson 9c: the first-token task of 09 trained with an LSTM whose forget gate starts open (bias 5): when the token
// moves 50 steps back, the gradient keeps flowing through the cell state, no gradient warning fires, and the LSTM
// learns what 09b's RNN cannot.
//
//   npx unroll train examples/09c_vanishing_lstm.ts

// defineExperiment returns what it is given: here it makes this file a model file for the editor (Train above it).
import { defineExperiment } from "unroll";
import { firstTokenExperiment } from "./09_vanishing_gradients";

export default defineExperiment(firstTokenExperiment({ kind: "lstm" }));
