# The PyTorch twin of `unroll train examples/07_forecast.ts --epochs 1` (an LSTM on the monthly CO2 series), for
# `npm run bench:startup`: the same data preparation, model, loss and Adam, one epoch, then the test RMSE.
import math
import os
import sys
import torch
from torch import nn, optim

WINDOW = 24
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
rows = open(os.path.join(root, "node_modules/vega-datasets/data/co2-concentration.csv")).read().strip().split("\n")[1:]
series, last_month = [], None
for row in rows:
    date, co2 = row.split(",")[:2]
    year, month = map(int, date.split("-")[:2])
    value, m = float(co2), year * 12 + month
    if last_month is not None:
        previous = series[-1]
        for k in range(1, m - last_month):
            series.append(previous + (value - previous) * k / (m - last_month))
    series.append(value)
    last_month = m

split = math.floor(len(series) * 0.8)
changes = [v - series[i] for i, v in enumerate(series[1:split])]
scale = math.sqrt(sum(d * d for d in changes) / len(changes))


def windows(start, stop):
    inputs, targets, last = [], [], []
    for t in range(max(start, WINDOW), stop):
        anchor = series[t - 1]
        inputs.append([[(v - anchor) / scale] for v in series[t - WINDOW : t]])
        targets.append([(series[t] - anchor) / scale])
        last.append(anchor)
    return torch.tensor(inputs), torch.tensor(targets), last, series[max(start, WINDOW) : stop]


train_x, train_y, _, _ = windows(0, split)
test_x, test_y, test_last, test_actual = windows(split, len(series))


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 32, batch_first=True)
        self.fc = nn.Linear(32, 1)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.fc(output[:, -1, :])


torch.manual_seed(0)
model = Forecaster()
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=0.01)
print(model)
for k in torch.randperm((len(train_x) + 31) // 32).tolist():
    optimizer.zero_grad()
    loss = criterion(model(train_x[k * 32 : k * 32 + 32]), train_y[k * 32 : k * 32 + 32])
    loss.backward()
    optimizer.step()
with torch.no_grad():
    change = model(test_x).squeeze(1).tolist()
forecast = [test_last[i] + d * scale for i, d in enumerate(change)]
rmse = math.sqrt(sum((f - a) ** 2 for f, a in zip(forecast, test_actual)) / len(test_actual))
print(f"epoch 1/1  loss {loss.item():.4f}  rmse {rmse:.3f}")
