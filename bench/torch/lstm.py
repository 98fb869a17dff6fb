# The PyTorch twin of examples/03_lstm.ts (the LSTM lesson), for `npm run bench:startup`.
import torch
from torch import nn

torch.manual_seed(0)
show = lambda label, t: print(f"{label:<12} {list(t.shape)}")

print("== nn.LSTM(50, 100, num_layers=2)")
lstm = nn.LSTM(50, 100, num_layers=2)
print(lstm)
for name, p in lstm.named_parameters():
    print(f"  {name:<14} {list(p.shape)}")
input = torch.randn(10, 3, 50)
output, (hn, cn) = lstm(input)
show("output", output)
show("h_n", hn)
show("c_n", cn)
h0 = torch.randn(2, 3, 100)
c0 = torch.randn(2, 3, 100)
output, (hn, cn) = lstm(input, (h0, c0))
show("output", output)
show("h_n", hn)
show("c_n", cn)

print("\n== two stacked nn.LSTMCell(10, 20) and nn.LSTMCell(20, 20)")
cell1 = nn.LSTMCell(10, 20)
cell2 = nn.LSTMCell(20, 20)
show("weight_ih", cell1.weight_ih)
sequence = torch.randn(6, 3, 10)
state1 = (torch.zeros(3, 20), torch.zeros(3, 20))
state2 = (torch.zeros(3, 20), torch.zeros(3, 20))
outputs = []
for x in sequence:
    state1 = cell1(x, state1)
    state2 = cell2(state1[0], state2)
    outputs.append(state2[0])
show("h_t", outputs[0])
show("stacked", torch.stack(outputs))

print("\n== nn.LSTM(50, 100, num_layers=4, bidirectional=True)")
bi = nn.LSTM(50, 100, num_layers=4, bidirectional=True)
print(bi)
out_bi, (h_bi, c_bi) = bi(input)
show("output", out_bi)
show("h_n", h_bi)
show("c_n", c_bi)
show("weight_ih_l1", dict(bi.named_parameters())["weight_ih_l1"])
