// What `torch.nn.*` gives: modules, losses, initialisation and utilities, under PyTorch's names.
export { Module, parameter, isParameter, type Parameter, type StateDict } from "./module";
export {
  RNN,
  LSTM,
  GRU,
  RNNCell,
  LSTMCell,
  GRUCell,
  type RNNOptions,
  type CellOptions,
  type GatedOptions,
  type GatedCellOptions,
  type LSTMState,
  type TensorLSTMState,
} from "./rnn";
export { Linear, Embedding, Dropout, Sequential, ModuleList, ModuleDict } from "./layers";
export { CrossEntropyLoss, NLLLoss, MSELoss, BCEWithLogitsLoss, type Reduction, type LossOptions, type NLLLossOptions } from "./loss";
export { ShapeError, OptionError, UsageError } from "./errors";
export * as init from "./init";
export * as utils from "./nn-utils";
