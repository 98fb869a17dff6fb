export { StepLR } from "./optim";
