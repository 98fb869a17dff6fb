// Lesson 7: forecasting a time series with an LSTM: the CO2 concentration measured at Mauna Loa.
//
// 第 7 课：用 LSTM 预测时间序列：根据过去 24 个月的莫纳罗亚 CO2 浓度预测下个月。
//
// The monthly record (1958–2020, in ppm) ships with the vega-datasets package (a devDependency; it is read
// from node_modules, nothing is downloaded). It rises every year and swings up and down with the seasons.
// The task: from the last 24 months, predict the next one.
//
//   - Windows of 24 months → the 25th. Train on the first 80% of the record, test on the last 20% (the
//     future, as a forecast would be used: split by time, never shuffled across the cut).
//   - Normalisation: the test years lie above every value seen in training, and an LSTM (tanh and sigmoid
//     inside) cannot output levels it never saw. So each window is expressed relative to its last month, and
//     scaled by the typical month-to-month change: the model predicts how much the next month differs from
//     the last one. Adding it back gives the forecast in ppm.
//   - The baseline to beat is the naive forecast "next month = this month". `evaluate` reports the test
//     RMSEs in ppm.
//
//   npx unroll train examples/07_forecast.ts
//
// After 30 epochs (about 0.2 s each) the LSTM's test RMSE is about 0.45 ppm, against 1.37 ppm for the naive
// forecast: it has learnt the seasonal cycle. `seasonalRmse` is a stronger baseline (this month plus last
// year's change over the same month, 0.54 ppm); the LSTM beats it too, by less.
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { defineExperiment, nn, optim, torch, noGrad, type Batch } from "unroll";

export const WINDOW = 24;

/** The monthly CO2 series in ppm, oldest first; the few missing months are filled in linearly. */
export function loadCo2(): number[] {
  // Where npm installed vega-datasets, found as `import "vega-datasets"` would be from this file. The package
  // exports only its JavaScript entry point (build/index.js); the data folder sits beside build/.
  const entry = createRequire(__filename).resolve("vega-datasets");
  const file = path.join(path.dirname(entry), "..", "data", "co2-concentration.csv");
  const rows = fs.readFileSync(file, "utf8").trim().split("\n").slice(1); // Date,CO2,adjusted CO2
  const series: number[] = [];
  let lastMonth: number | undefined;
  for (const row of rows) {
    const [date, co2] = row.split(",");
    const [year, month] = date.split("-").map(Number);
    const value = Number(co2);
    const m = year * 12 + month;
    if (lastMonth !== undefined) {
      const previous = series[series.length - 1];
      for (let k = 1; k < m - lastMonth; k++) series.push(previous + ((value - previous) * k) / (m - lastMonth)); // a gap
    }
    series.push(value);
    lastMonth = m;
  }
  return series;
}

class Forecaster extends nn.Module {
  lstm = new nn.LSTM(1, 32, { batchFirst: true });
  fc = new nn.Linear(32, 1);

  override forward(x: torch.Tensor): torch.Tensor {
    const [output] = this.lstm(x); // x [batch, 24, 1] → output [batch, 24, 32]
    const last = output.at(":", -1); // PyTorch: output[:, -1], h at the last month: [batch, 32]
    return this.fc(last); // [batch, 1]: the scaled change to next month
  }
}

function prepare(batchSize: number) {
  const series = loadCo2();
  const split = Math.floor(series.length * 0.8); // targets before `split` train; the rest test
  // The scale: the typical month-to-month change in the training part.
  const changes = series.slice(1, split).map((v, i) => v - series[i]);
  const scale = Math.sqrt(changes.reduce((s, d) => s + d * d, 0) / changes.length);

  const windows = (from: number, to: number) => {
    const inputs: number[][][] = [];
    const targets: number[][] = [];
    const last: number[] = [];
    for (let t = Math.max(from, WINDOW); t < to; t++) {
      const anchor = series[t - 1]; // the last month the model sees
      inputs.push(series.slice(t - WINDOW, t).map((v) => [(v - anchor) / scale]));
      targets.push([(series[t] - anchor) / scale]);
      last.push(anchor);
    }
    return { inputs, targets, last, actual: series.slice(Math.max(from, WINDOW), to) };
  };
  const train = windows(0, split);
  const test = windows(split, series.length);
  const batches: Batch<torch.Tensor>[] = [];
  for (let i = 0; i < train.inputs.length; i += batchSize) {
    batches.push([torch.tensor(train.inputs.slice(i, i + batchSize)), torch.tensor(train.targets.slice(i, i + batchSize))]);
  }
  const testBatch: Batch<torch.Tensor> = [torch.tensor(test.inputs), torch.tensor(test.targets)];
  return { series, split, scale, batches, testBatch, test };
}

/** A random permutation of 0…n-1, like torch.randperm(n). */
function randperm(n: number): number[] {
  const values = torch.rand(n).tolist() as number[];
  return [...values.keys()].sort((a, b) => values[a] - values[b]);
}

const rmse = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length);

export function forecastExperiment({ epochs = 30, batchSize = 32, lr = 0.01, seed = 0 } = {}) {
  let prepared: ReturnType<typeof prepare> | undefined;
  const dataset = () => (prepared ??= prepare(batchSize)); // read the file once, when first needed

  return defineExperiment({
    name: "CO2 forecast (LSTM)",
    epochs,
    model: () => {
      torch.manualSeed(seed);
      return new Forecaster();
    },
    data: () => {
      const { batches, testBatch } = dataset();
      return {
        // Every epoch, the training batches in a new order (torch.randperm, seeded by manualSeed).
        train: () => randperm(batches.length).map((k) => batches[k]),
        test: [testBatch],
      };
    },
    loss: () => new nn.MSELoss(),
    optimizer: (parameters) => new optim.Adam(parameters, { lr }),
    scheduler: (optimizer) => new optim.lrScheduler.StepLR(optimizer, { stepSize: 10, gamma: 0.5 }), // halve lr every 10 epochs
    evaluate: (model) => {
      const { testBatch, test, scale, series, split } = dataset();
      const change = noGrad(() => model(testBatch[0]).flatten().tolist() as number[]);
      const forecast = change.map((d, i) => test.last[i] + d * scale); // back to ppm
      return {
        rmse: round(rmse(forecast, test.actual)), // the LSTM, in ppm
        naiveRmse: round(rmse(test.last, test.actual)), // "next month = this month"
        // A stronger, seasonal baseline: this month plus last year's change over the same month.
        seasonalRmse: round(
          rmse(
            test.actual.map((_, i) => series[split + i - 1] + series[split + i - 12] - series[split + i - 13]),
            test.actual,
          ),
        ),
      };
    },
  });
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export default forecastExperiment();
