// Lesson 6: which nationality is a surname? (PyTorch's "Classifying names with a character-level RNN").
//
// 第 6 课：姓氏属于哪个国籍？逐字符读入姓名，循环网络最后的隐藏状态概括整个名字，Linear 层给出每个国籍的得分
// （Embedding → 打包的 2 层双向 GRU → Linear）。
//
// A name is read one character at a time; the recurrent network's final hidden state summarises it and a
// Linear layer turns that summary into one score per nationality. This version is the one you would write
// for real data in PyTorch:
//   - characters → nn.Embedding (index 0 is padding);
//   - names of different lengths in one batch: padded to the longest, then packed with
//     nn.utils.rnn.packPaddedSequence(…, { enforceSorted: false }) so the GRU never reads the padding;
//   - a 2-layer bidirectional GRU: the last layer's final states, forward and backward, side by side;
//   - batches of names of similar length, so there is little padding to skip.
//
// The data: 10,112 surnames of 16 nationalities from the name lists that @faker-js/faker ships, in ASCII
// (examples/data/surnames.csv.gz, rebuilt by `npm run data:surnames`). A seeded 80/20 split keeps a fifth
// of the names for testing. The classes are unbalanced (Italian is the largest, a fifth of them), so
// after each epoch `evaluate` reports the test accuracy next to the majority-class baseline: what you get by
// always answering "Italian". A model that learnt nothing scores the baseline.
//
//   npx unroll train examples/06_names_classifier.ts
//
// On two CPU cores with the wasm backend an epoch (32 batches) takes about 6 s; after 8 epochs the test
// accuracy is about 0.71, against a baseline of 0.22. Training longer overfits: the training loss keeps
// falling, test accuracy does not rise.
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { defineExperiment, nn, optim, torch, noGrad, type Batch } from "unroll";

export interface NamesOptions {
  epochs: number;
  /** The gzipped CSV (name,label). */
  file: string;
  embeddingSize: number;
  hiddenSize: number;
  batchSize: number;
  lr: number;
  /** Use only this many training names (all when undefined): for a quick check. */
  maxTrain?: number;
  seed: number;
}

export const defaults: NamesOptions = {
  epochs: 8,
  file: path.join(__dirname, "data", "surnames.csv.gz"),
  embeddingSize: 32,
  hiddenSize: 64,
  batchSize: 256,
  lr: 0.005,
  seed: 0,
};

/** A batch of names: character indices [batch, longest] padded with 0, and each name's length. */
export interface Names {
  tokens: torch.Tensor;
  lengths: number[];
}

export class NameClassifier extends nn.Module {
  embedding: nn.Embedding;
  rnn: nn.GRU;
  fc: nn.Linear;

  constructor(vocabularySize: number, classes: number, embeddingSize: number, hiddenSize: number) {
    super();
    this.embedding = new nn.Embedding(vocabularySize, embeddingSize, { paddingIdx: 0 });
    this.rnn = new nn.GRU(embeddingSize, hiddenSize, { numLayers: 2, bidirectional: true, batchFirst: true });
    this.fc = new nn.Linear(2 * hiddenSize, classes);
  }

  override forward({ tokens, lengths }: Names): torch.Tensor {
    const embedded = this.embedding(tokens); // [batch, longest, embeddingSize]
    const packed = nn.utils.rnn.packPaddedSequence(embedded, lengths, { batchFirst: true, enforceSorted: false });
    // PyTorch: _, h_n = self.rnn(packed): [layers 2 × directions 2, batch, hidden], in the batch's order
    const [, hn] = this.rnn(packed);
    // Layer 1 forward (read up to the last letter) and layer 1 backward (back to the first): PyTorch's hn[-2], hn[-1].
    return this.fc(torch.cat([hn.at(-2), hn.at(-1)], 1)); // [batch, classes]
  }
}

/** mulberry32: a tiny seeded random generator, so the split and the batches are the same every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function loadNames(file: string): { name: string; label: string }[] {
  const text = zlib.gunzipSync(fs.readFileSync(file)).toString("utf8");
  return text
    .trim()
    .split("\n")
    .slice(1) // the header: name,label
    .map((line) => {
      const [name, label] = line.split(",");
      return { name: name.toLowerCase(), label };
    });
}

/** Everything the experiment needs from the CSV: the vocabulary, the labels, the split and the batches. */
function prepare(o: NamesOptions) {
  const rows = loadNames(o.file);
  const labels = [...new Set(rows.map((r) => r.label))].sort();
  const letters = [...new Set(rows.flatMap((r) => [...r.name]))].sort();
  const vocabulary = ["<pad>", ...letters]; // index 0 is padding
  const index = new Map(letters.map((c, i) => [c, i + 1]));
  const example = (r: { name: string; label: string }) => ({ codes: [...r.name].map((c) => index.get(c)!), label: labels.indexOf(r.label) });
  type Example = ReturnType<typeof example>;

  // Seeded 80/20 split.
  const random = seededRandom(o.seed);
  const all = shuffle(rows, random).map(example);
  const testSize = Math.round(all.length * 0.2);
  const test = all.slice(0, testSize);
  const train = all.slice(testSize, o.maxTrain ? testSize + o.maxTrain : undefined);

  /** Pads a group of names into one batch: [tokens, target]. */
  const toBatch = (group: Example[]): Batch<Names> => {
    const longest = Math.max(...group.map((e) => e.codes.length));
    const padded = group.map((e) => [...e.codes, ...new Array<number>(longest - e.codes.length).fill(0)]);
    return [{ tokens: torch.tensor(padded), lengths: group.map((e) => e.codes.length) }, torch.tensor(group.map((e) => e.label))];
  };
  /** Batches of names of similar length: sort by length (ties in random order), cut into batches, shuffle the
   *  batches. Within a batch the lengths are not sorted, hence enforceSorted: false. */
  const batches = (examples: Example[], shuffled: boolean): Batch<Names>[] => {
    const order = shuffled ? shuffle(examples, random) : examples;
    const byLength = [...order].sort((a, b) => a.codes.length - b.codes.length);
    const groups: Example[][] = [];
    for (let i = 0; i < byLength.length; i += o.batchSize) groups.push(shuffle(byLength.slice(i, i + o.batchSize), random));
    return (shuffled ? shuffle(groups, random) : groups).map(toBatch);
  };

  // The majority-class baseline: always answer the most common nationality of the training set.
  const counts = labels.map((_, k) => train.filter((e) => e.label === k).length);
  const majority = counts.indexOf(Math.max(...counts));
  const baseline = test.filter((e) => e.label === majority).length / test.length;
  return { vocabulary, labels, train, test, baseline, batches, sample: toBatch(test.slice(0, 8)) };
}

export function namesExperiment(options: Partial<NamesOptions> = {}) {
  const o = { ...defaults, ...options };
  let prepared: ReturnType<typeof prepare> | undefined;
  const dataset = () => (prepared ??= prepare(o)); // read the CSV once, when first needed
  let testBatches: Batch<Names>[] | undefined;

  return defineExperiment({
    name: "surname → nationality",
    epochs: o.epochs,
    model: () => {
      torch.manualSeed(o.seed);
      const { vocabulary, labels } = dataset();
      return new NameClassifier(vocabulary.length, labels.length, o.embeddingSize, o.hiddenSize);
    },
    data: () => {
      const { train, test, batches } = dataset();
      testBatches ??= batches(test, false);
      return {
        // Called again every epoch: new batches, in a new order. The previous epoch's are freed when unreachable.
        train: () => batches(train, true),
        test: testBatches,
      };
    },
    loss: () => new nn.CrossEntropyLoss(),
    optimizer: (parameters) => new optim.Adam(parameters, { lr: o.lr }),
    // The names whose hidden states and gates the runner records (the first is shown): 8 test names.
    sample: () => dataset().sample,
    evaluate: (model, d) => {
      let correct = 0;
      for (const [input, target] of d.test!) {
        correct += noGrad(() => model(input).argmax(1).eq(target).sum().item() as number);
      }
      return { accuracy: round(correct / dataset().test.length), baseline: round(dataset().baseline) };
    },
  });
}

const round = (x: number) => Math.round(x * 10000) / 10000;

export default namesExperiment();
