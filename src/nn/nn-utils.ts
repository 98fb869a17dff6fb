// torch.nn.utils: `utils.rnn.packPaddedSequence(...)`, `utils.clipGradNorm(...)`.
export * as rnn from "./packed";
export { clipGradNorm } from "./optim";
