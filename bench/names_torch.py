#!/usr/bin/python3
"""PyTorch's time for one training epoch of examples/06_names_classifier.ts, for bench/names.ts.

The same data (examples/data/surnames.csv.gz), the same seeded 80/20 split and batching (mulberry32, names
sorted by length, cut into batches of 256, shuffled), the same model (Embedding(vocab, 32, padding_idx=0) ->
packed 2-layer bidirectional GRU(32, 64), batch_first -> last layer's h_n forward ++ reverse -> Linear(128,
classes)), CrossEntropyLoss and Adam(lr=0.005). Setup as bench/torch_ref.py: torch.set_num_threads(1), OpenBLAS
with its own 2 threads. Prints {"seconds": [one per epoch]}.  Usage: names_torch.py [epochs]
"""
import gzip
import json
import os
import sys
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def mulberry32(seed):
    state = seed & 0xFFFFFFFF

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def random():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = imul(state ^ (state >> 15), state | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return random


def shuffle(items, random):
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = int(random() * (i + 1))
        out[i], out[j] = out[j], out[i]
    return out


class NameClassifier(nn.Module):
    def __init__(self, vocabulary, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, 32, padding_idx=0)
        self.rnn = nn.GRU(32, 64, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(128, classes)

    def forward(self, tokens, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(tokens), lengths, batch_first=True, enforce_sorted=False)
        _, hn = self.rnn(packed)
        return self.fc(torch.cat([hn[2], hn[3]], 1))


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(1)
    torch.manual_seed(0)
    path = os.path.join(HERE, "..", "examples", "data", "surnames.csv.gz")
    lines = gzip.open(path, "rt", encoding="utf8").read().strip().split("\n")[1:]
    rows = [(name.lower(), label) for name, label in (line.split(",") for line in lines)]
    labels = sorted({label for _, label in rows})
    letters = sorted({c for name, _ in rows for c in name})
    index = {c: i + 1 for i, c in enumerate(letters)}
    random = mulberry32(0)
    examples = [([index[c] for c in name], labels.index(label)) for name, label in shuffle(rows, random)]
    train = examples[round(len(examples) * 0.2):]

    def batches():
        by_length = sorted(shuffle(train, random), key=lambda e: len(e[0]))
        groups = [shuffle(by_length[i:i + 256], random) for i in range(0, len(by_length), 256)]
        out = []
        for group in shuffle(groups, random):
            longest = max(len(codes) for codes, _ in group)
            tokens = torch.tensor([codes + [0] * (longest - len(codes)) for codes, _ in group])
            out.append((tokens, [len(codes) for codes, _ in group], torch.tensor([label for _, label in group])))
        return out

    model = NameClassifier(len(letters) + 1, len(labels))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    seconds = []
    for _ in range(epochs):
        epoch = batches()
        t0 = time.perf_counter()
        for tokens, lengths, target in epoch:
            optimizer.zero_grad()
            criterion(model(tokens, lengths), target).backward()
            optimizer.step()
        seconds.append(time.perf_counter() - t0)
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
