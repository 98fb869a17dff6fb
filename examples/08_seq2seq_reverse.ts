// Lesson 8: sequence to sequence: a GRU encoder-decoder that learns to reverse digit strings
// (after PyTorch's "NLP From Scratch: Translation with a Sequence to Sequence Network and Attention",
// without the attention).
//
// 第 8 课：序列到序列：GRU 编码器-解码器学习把数字串倒过来，训练时用教师强制，评估时用贪心解码。
//
//   "12345" → encoder → h → decoder → "54321" <stop>
//
// The encoder GRU reads the digits; its final hidden state is the whole string, summarised. The decoder GRU
// starts from that state and the start token, and writes one digit per step until it writes the stop token.
//   - Training uses teacher forcing: the decoder is fed the correct previous digit (the start token, then
//     the reversed string) rather than its own guess, so the whole target is one call of the decoder GRU.
//     This needs the target inside the forward pass, hence the experiment's custom `step`.
//   - `evaluate` decodes greedily, as the model would be used: each step feeds back the most likely digit.
//     It reports an example and the share of test strings reversed exactly.
// The strings (3 to 8 digits) are drawn with torch.randint after torch.manualSeed: reproducible.
//
//   npx unroll train examples/08_seq2seq_reverse.ts
//
// Exact-match accuracy climbs from 0 to about 0.95 in 40 epochs (about 1 s each on two cores).
import { defineExperiment, nn, optim, torch, noGrad, type Batch } from "unroll";

const START = 10; // tokens 0–9 are the digits
const STOP = 11;
const VOCABULARY = 12;
const LENGTHS = [3, 4, 5, 6, 7, 8];

export class Seq2Seq extends nn.Module {
  sourceEmbedding = new nn.Embedding(VOCABULARY, 32);
  encoder: nn.GRU;
  targetEmbedding = new nn.Embedding(VOCABULARY, 32);
  decoder: nn.GRU;
  out: nn.Linear;

  constructor(hiddenSize = 128) {
    super();
    this.encoder = new nn.GRU(32, hiddenSize, { batchFirst: true });
    this.decoder = new nn.GRU(32, hiddenSize, { batchFirst: true });
    this.out = new nn.Linear(hiddenSize, VOCABULARY);
  }

  /** source [batch, L] → h [1, batch, hidden]: the encoder's final state. */
  encode(source: torch.Tensor): torch.Tensor {
    const [, h] = this.encoder(this.sourceEmbedding(source));
    return h;
  }

  /** Decoder steps from state h: tokens [batch, T] → scores [batch, T, vocabulary] and the new state. */
  decode(tokens: torch.Tensor, h: torch.Tensor): [torch.Tensor, torch.Tensor] {
    const [output, hNext] = this.decoder(this.targetEmbedding(tokens), h);
    return [this.out(output), hNext];
  }

  /** Teacher forcing: the decoder reads [start, y_1 … y_L] and should write [y_1 … y_L, stop]. */
  override forward(source: torch.Tensor, decoderInput: torch.Tensor): torch.Tensor {
    const [scores] = this.decode(decoderInput, this.encode(source));
    return scores; // [batch, L + 1, vocabulary]
  }

  /** Greedy decoding: feed back the most likely token, up to maxLength steps; each row cut at its stop. */
  greedy(source: torch.Tensor, maxLength: number): number[][] {
    return noGrad(() => {
      const batch = source.shape[0];
      let h = this.encode(source);
      let token = torch.full([batch, 1], START);
      const steps: torch.Tensor[] = [];
      for (let t = 0; t < maxLength; t++) {
        let scores: torch.Tensor;
        [scores, h] = this.decode(token, h); // one step: [batch, 1, vocabulary]
        token = scores.argmax(2); // [batch, 1]
        steps.push(token);
      }
      const written = torch.cat(steps, 1).tolist() as number[][];
      return written.map((row) => (row.includes(STOP) ? row.slice(0, row.indexOf(STOP)) : row));
    });
  }
}

/** A batch of random digit strings of one length: source [batch, L] and target [batch, L + 1] (reversed + stop). */
function makeBatch(batchSize: number, length: number): Batch<torch.Tensor> {
  const source = torch.randint(0, 10, [batchSize, length]);
  const reversed = source.indexSelect(1, torch.arange(length - 1, -1, -1)); // PyTorch: source.flip(1)
  return [source, torch.cat([reversed, torch.full([batchSize, 1], STOP)], 1)];
}

export function reverseExperiment({ epochs = 40, batchesPerEpoch = 24, batchSize = 64, hiddenSize = 128, lr = 0.003, seed = 0 } = {}) {
  let test: Batch<torch.Tensor>[] | undefined;

  return defineExperiment({
    name: "seq2seq: reverse digit strings",
    epochs,
    model: () => {
      torch.manualSeed(seed);
      return new Seq2Seq(hiddenSize);
    },
    data: () => {
      torch.manualSeed(seed + 1);
      test ??= LENGTHS.map((length) => makeBatch(50, length)); // 300 fixed test strings
      return {
        // Fresh strings every epoch, each batch of one length (so no padding). The last epoch's are freed when unreachable.
        train: () => Array.from({ length: batchesPerEpoch }, (_, i) => makeBatch(batchSize, LENGTHS[i % LENGTHS.length])),
        test,
      };
    },
    loss: () => new nn.CrossEntropyLoss(),
    optimizer: (parameters) => new optim.Adam(parameters, { lr }),
    scheduler: (optimizer) => new optim.lrScheduler.StepLR(optimizer, { stepSize: 15, gamma: 0.3 }),
    clipGradNorm: 1,
    // Teacher forcing: the decoder's input is the target shifted right by one, behind the start token.
    step: ({ model, batch: [source, target], loss }) => {
      const [batch, steps] = target.shape as [number, number];
      const decoderInput = torch.cat([torch.full([batch, 1], START), target.narrow(1, 0, steps - 1)], 1); // PyTorch: target[:, :-1]
      const scores = model(source, decoderInput); // [batch, L + 1, vocabulary]
      return loss(scores.view(-1, VOCABULARY), target.view(-1));
    },
    evaluate: (model, data) => {
      let correct = 0;
      let total = 0;
      let example = "";
      for (const [source, target] of data.test!) {
        const written = model.greedy(source, target.shape[1]! + 1);
        const sources = source.tolist() as number[][];
        const expected = target.tolist() as number[][];
        written.forEach((row, i) => {
          total++;
          if (row.join("") === expected[i].slice(0, -1).join("")) correct++;
        });
        if (source.shape[1] === 5) example = `${sources[0].join("")} → ${written[0].join("")}`;
      }
      return { example, accuracy: Math.round((correct / total) * 1000) / 1000 };
    },
  });
}

export default reverseExperiment();
