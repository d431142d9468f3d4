#!/usr/bin/python3
"""Exports small real networks from PyTorch as ONNX backend-test folders.

For each network: DIR/<name>/model.onnx and DIR/<name>/test_data_set_0/
{input_0.pb, output_0.pb}, where output_0.pb is PyTorch's fp32 result. Weights
are random with a fixed seed, so the folders are reproducible and no binary
model is committed. Run with Debian's python3 (python3-torch, python3-onnx).

    /usr/bin/python3 utils/export_torch_models.py OUT_DIR [--opset N]
"""
import argparse
import os

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return F.softmax(self.fc3(x), dim=-1)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.sigmoid(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNetSmall(nn.Module):
    """ResNet-style: 7x7 stem, max pool, residual stages, global pool, FC."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 7, 2, 3, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.layers = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 32, 2),
                                    BasicBlock(32, 64, 2))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.stem(x))), 3, 2, 1)
        x = self.layers(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet50(nn.Module):
    """The ResNet-50 topology (25.6M parameters), for compile-time checks."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn = nn.BatchNorm2d(64)
        blocks, cin = [], 64
        for width, count, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            for i in range(count):
                blocks.append(Bottleneck(cin, width, stride if i == 0 else 1))
                cin = width * 4
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(2048, 1000)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.stem(x))), 3, 2, 1)
        x = self.layers(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class TransformerEncoder(nn.Module):
    """Token embedding + 2 encoder layers (GELU, LayerNorm, attention)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(100, 64)
        layer = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, activation="gelu",
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(64, 8)

    def forward(self, tokens):
        return self.head(self.encoder(self.embed(tokens)))


class BertBaseSized(nn.Module):
    """BERT-base dimensions (vocab 30522, 12 layers, hidden 768, 12 heads):
    ~110M parameters, ~440 MB of fp32 weights, for compile-time checks."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30522, 768)
        self.pos = nn.Parameter(torch.randn(1, 128, 768) * 0.02)
        layer = nn.TransformerEncoderLayer(768, 12, 3072, dropout=0.0, activation="gelu",
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 12)
        self.pool = nn.Linear(768, 768)
        # The encoder deep-copies one layer; distinct weights keep the
        # exporter from deduplicating them into one set.
        with torch.no_grad():
            for p in self.parameters():
                p.normal_(0.0, 0.02)

    def forward(self, tokens):
        h = self.encoder(self.embed(tokens) + self.pos[:, : tokens.shape[1]])
        return torch.tanh(self.pool(h[:, 0]))


class YoloStyle(nn.Module):
    """Conv/BN/LeakyReLU backbone, nearest upsampling, a two-scale head
    decoded with Sigmoid/Exp on slices."""

    def __init__(self):
        super().__init__()
        def block(cin, cout, stride):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                                 nn.BatchNorm2d(cout), nn.LeakyReLU(0.1))
        self.b1, self.b2, self.b3 = block(3, 16, 2), block(16, 32, 2), block(32, 64, 2)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.head1 = nn.Conv2d(64, 7, 1)
        self.head2 = nn.Conv2d(96, 7, 1)

    def decode(self, p):
        xy = torch.sigmoid(p[:, 0:2])
        wh = torch.exp(p[:, 2:4])
        rest = torch.sigmoid(p[:, 4:])
        return torch.cat([xy, wh, rest], 1).flatten(2)

    def forward(self, x):
        f2 = self.b2(self.b1(x))
        f3 = self.b3(f2)
        p1 = self.head1(f3)
        p2 = self.head2(torch.cat([self.up(f3), f2], 1))
        return torch.cat([self.decode(p1), self.decode(p2)], 2)


class UNetStyle(nn.Module):
    """Two-level encoder/decoder with ConvTranspose, bilinear Resize and skip
    concatenations."""

    def __init__(self):
        super().__init__()
        def conv(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.ReLU())
        self.e1, self.e2, self.mid = conv(3, 8), conv(8, 16), conv(16, 32)
        self.up2 = nn.ConvTranspose2d(32, 16, 2, 2)
        self.d2 = conv(32, 16)
        self.d1 = conv(24, 8)
        self.out = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        e1 = self.e1(x)
        e2 = self.e2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.d2(torch.cat([self.up2(m), e2], 1))
        u1 = F.interpolate(d2, scale_factor=2, mode="bilinear", align_corners=False)
        return self.out(self.d1(torch.cat([u1, e1], 1)))


class Recurrent(nn.Module):
    def __init__(self, kind):
        super().__init__()
        cls = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[kind]
        self.rnn = cls(16, 32, num_layers=2, bidirectional=True)
        self.fc = nn.Linear(64, 4)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y)


TORCHVISION = ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0",
               "densenet121", "shufflenet_v2_x0_5", "squeezenet1_0", "convnext_tiny",
               "regnet_y_400mf", "googlenet"]


def torchvision_model(name):
    """A torchvision classifier with seeded random weights (no download)."""
    import torchvision.models as tvm
    kwargs = {"weights": None}
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=True)
    return getattr(tvm, name)(**kwargs)


def randomize_batchnorm(model, gen):
    # Non-trivial running statistics, so BatchNorm is really exercised.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.1)


MODELS = {
    "mlp": (MLP, (4, 64)),
    "lenet5": (LeNet5, (2, 1, 28, 28)),
    "resnet_small": (ResNetSmall, (1, 3, 64, 64)),
}
# Exported only when asked for by name (--models resnet50,transformer,...).
EXTRA_MODELS = {
    "resnet50": (ResNet50, (1, 3, 224, 224)),
    "transformer": (TransformerEncoder, ("tokens", 2, 16)),
    "bert_base_sized": (BertBaseSized, ("tokens", 1, 128)),
    "yolo_style": (YoloStyle, (1, 3, 64, 64)),
    "unet_style": (UNetStyle, (1, 3, 32, 32)),
    "gru": (lambda: Recurrent("gru"), (5, 3, 16)),
    "lstm": (lambda: Recurrent("lstm"), (5, 3, 16)),
    "rnn": (lambda: Recurrent("rnn"), (5, 3, 16)),
    # Long sequences: the time loop, not unrolling (compile time, drift).
    "gru_long": (lambda: Recurrent("gru"), (1000, 2, 16)),
    "lstm_long": (lambda: Recurrent("lstm"), (1000, 2, 16)),
}


def export(name, out_dir, opset):
    if name.startswith("torchvision_"):  # e.g. torchvision_resnet50
        cls, shape = (lambda: torchvision_model(name[len("torchvision_"):])), (1, 3, 224, 224)
    elif name in TORCHVISION:
        cls, shape = (lambda: torchvision_model(name)), (1, 3, 224, 224)
    else:
        cls, shape = {**MODELS, **EXTRA_MODELS}[name]
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = cls().eval()
    with torch.no_grad():
        randomize_batchnorm(model, gen)
        if shape[0] == "tokens":
            x = torch.randint(0, 100, shape[1:], generator=gen)  # Any vocab >= 100.
        else:
            x = torch.randn(*shape, generator=gen)
        y = model(x)
    folder = os.path.join(out_dir, name)
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    # Constant folding off: keep BatchNormalization for dlc to handle.
    torch.onnx.export(model, x, path, input_names=["input"], output_names=["output"],
                      opset_version=opset, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.EVAL)
    onnx.checker.check_model(onnx.load(path))
    for fname, t, tname in (("input_0.pb", x, "input"), ("output_0.pb", y, "output")):
        a = t.numpy()
        tensor = numpy_helper.from_array(a if a.dtype == np.int64 else a.astype(np.float32), tname)
        with open(os.path.join(data, fname), "wb") as f:
            f.write(tensor.SerializeToString())
    return folder


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    for name in args.models.split(","):
        print(export(name, args.out_dir, args.opset))


if __name__ == "__main__":
    main()
