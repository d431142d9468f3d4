#!/usr/bin/python3
"""Exports TorchScript modules with Python loops as ONNX backend-test folders
(OUT/<name>/model.onnx, test_data_set_0 with PyTorch's fp32 outputs): the
scripted exporter writes them as ONNX Loop nodes, with lists as sequences
carried through the loop.

  rnn-list     for t in range(x.size(0)): h = tanh(lin(x[t]) + h); a list of
               the states, torch.cat'ed (SequenceEmpty, SequenceInsert in the
               body, ConcatFromSequence after)
  weighted     for i in range(x.size(0)): y = y * w + x[i] * i, the
               iteration number in the arithmetic (a constant range would be
               unrolled by TorchScript itself)

Run with Debian's python3 (python3-torch, python3-onnx):
    /usr/bin/python3 export_torch_loops.py OUT_DIR
"""
import os
import sys

import torch
from onnx import numpy_helper


class RnnList(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(8, 8)

    def forward(self, x):
        h = torch.zeros(1, 8)
        states = []
        for t in range(x.size(0)):
            h = torch.tanh(self.lin(x[t:t + 1]) + h)
            states.append(h)
        return h, torch.cat(states, 0)


class Weighted(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.full((3, 4), 0.5))

    def forward(self, x, y):
        for i in range(x.size(0)):
            y = y * self.w + x[i] * i
        return y


def export(out, name, module, inputs):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    scripted = torch.jit.script(module)
    torch.onnx.export(scripted, inputs, os.path.join(d, "model.onnx"), opset_version=13)
    results = scripted(*inputs)
    results = results if isinstance(results, tuple) else (results,)
    for kind, tensors in (("input", inputs), ("output", results)):
        for i, t in enumerate(tensors):
            with open(os.path.join(d, "test_data_set_0", f"{kind}_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(t.detach().numpy()).SerializeToString())


torch.manual_seed(0)
out = sys.argv[1]
export(out, "rnn-list", RnnList(), (torch.randn(6, 8),))
export(out, "weighted", Weighted(), (torch.randn(5, 3, 4), torch.randn(3, 4)))
