"""Post-training quantization on real data: scikit-learn's bundled digits.

  prepare DIR   trains a small CNN with torch (seeded, one thread), exports
                DIR/digits.onnx (batch dimension 'batch'), and writes
                DIR/calib/x.npy (100 training images), DIR/heldout/chunk_K/
                input_0.pb (700 held-out images in batches of 100) and
                DIR/labels.npy.
  evaluate DIR FP32.so INT8.so --dlc-run PATH
                runs both builds (compiled at batch 100) on the held-out
                chunks and prints each one's accuracy against the labels,
                then PASS when int8 is within 1 point of fp32.
"""
import os
import subprocess
import sys

import numpy as np


def prepare(out):
    import torch
    from sklearn.datasets import load_digits
    import onnx
    from onnx import numpy_helper

    torch.manual_seed(0)
    torch.set_num_threads(1)
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = digits.target.astype(np.int64)
    perm = np.random.RandomState(0).permutation(len(x))
    test, train = perm[:700], perm[700:]

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(32 * 4 * 4, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    xt, yt = torch.from_numpy(x[train]), torch.from_numpy(y[train])
    for epoch in range(25):
        order = torch.randperm(len(train))
        for i in range(0, len(train), 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    model.eval()
    os.makedirs(out, exist_ok=True)
    torch.onnx.export(model, torch.from_numpy(x[:1]),
                      os.path.join(out, "digits.onnx"), opset_version=13,
                      input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})
    os.makedirs(os.path.join(out, "calib"), exist_ok=True)
    np.save(os.path.join(out, "calib", "x.npy"), x[train[:100]])
    for k in range(7):
        d = os.path.join(out, "heldout", "chunk_%d" % k)
        os.makedirs(d, exist_ok=True)
        t = numpy_helper.from_array(x[test[100 * k:100 * (k + 1)]], "x")
        with open(os.path.join(d, "input_0.pb"), "wb") as f:
            f.write(t.SerializeToString())
    np.save(os.path.join(out, "labels.npy"), y[test])


def accuracy(out, so, dlc_run, labels):
    from onnx import numpy_helper, TensorProto
    right = 0
    for k in range(7):
        d = os.path.join(out, "heldout", "chunk_%d" % k)
        res = os.path.join(out, "result_%s_%d" % (os.path.basename(so), k))
        subprocess.run([dlc_run, so, "--input", os.path.join(d, "input_0.pb"),
                        "--output-dir", res], check=True,
                       stdout=subprocess.DEVNULL)
        t = TensorProto()
        with open(os.path.join(res, "output_0.pb"), "rb") as f:
            t.ParseFromString(f.read())
        logits = numpy_helper.to_array(t)
        right += int((logits.argmax(1) == labels[100 * k:100 * (k + 1)]).sum())
    return 100.0 * right / len(labels)


def evaluate(out, fp32, int8, dlc_run):
    labels = np.load(os.path.join(out, "labels.npy"))
    a32 = accuracy(out, fp32, dlc_run, labels)
    a8 = accuracy(out, int8, dlc_run, labels)
    print("fp32 accuracy %.2f%%, int8 accuracy %.2f%% on %d held-out images"
          % (a32, a8, len(labels)))
    print("PASS" if a8 >= a32 - 1.0 and a32 > 90 else "FAIL")


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    else:
        evaluate(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[6])
