# The PyTorch twin of examples/hello_rnncell.ts, for `npm run bench:startup` (bench/startup.ts): the same lesson,
# import included, so that `python3 hello_rnncell.py` and `unroll run examples/hello_rnncell.ts` compare start-up.
import torch
from torch import nn, optim

chars = ["h", "e", "l", "o"]
encode = lambda s: [chars.index(c) for c in s]
torch.manual_seed(0)
x = nn.functional.one_hot(torch.tensor(encode("hello")), len(chars)).float().reshape(5, 1, len(chars))
y = torch.tensor(encode("ohlol"))

cell = nn.RNNCell(len(chars), len(chars))
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(cell.parameters(), lr=0.1)
print(cell)

for epoch in range(1, 101):
    optimizer.zero_grad()
    h = torch.zeros(1, len(chars))
    steps = []
    for xt in x:
        h = cell(xt, h)
        steps.append(h)
    logits = torch.cat(steps)
    predicted = "".join(chars[i] for i in logits.argmax(1).tolist())
    loss = criterion(logits, y)
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0 or predicted == "ohlol":
        print(f'epoch {epoch}  loss {loss.item():.4f}  predicted "{predicted}"')
    if predicted == "ohlol":
        break
