# The PyTorch twin of `unroll train examples/05a_hello_rnncell.ts --epochs 1`, for `npm run bench:startup`: the
# experiment's model, data, loss and Adam, one epoch (one step), then its evaluation.
import torch
from torch import nn, optim

chars = ["h", "e", "l", "o"]
encode = lambda s: [chars.index(c) for c in s]


def unroll(cell, x):
    h = torch.zeros(1, cell.hidden_size)
    steps = []
    for xt in x:
        h = cell(xt, h)
        steps.append(h)
    return torch.cat(steps)


torch.manual_seed(0)
cell = nn.RNNCell(len(chars), len(chars))
x = nn.functional.one_hot(torch.tensor(encode("hello")), len(chars)).float().reshape(5, 1, len(chars))
y = torch.tensor(encode("ohlol"))
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(cell.parameters(), lr=0.1)
print(cell)
optimizer.zero_grad()
loss = criterion(unroll(cell, x), y)
loss.backward()
optimizer.step()
with torch.no_grad():
    predicted = "".join(chars[i] for i in unroll(cell, x).argmax(-1).tolist())
print(f'epoch 1/1  loss {loss.item():.4f}  predicted "{predicted}"')
