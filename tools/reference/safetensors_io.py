"""Minimal safetensors reader and writer (the format is an 8-byte header length, a JSON header, raw data).

Written for the fedtune reference so that nothing here depends on the `safetensors` package: the Java side
and this side must not share a parser, or a parsing bug would hide in both.
"""
import json
import struct

import numpy as np

# safetensors dtype -> (numpy dtype of the stored bytes, bytes per element)
_STORED = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # raw bits; widened by hand
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "U8": np.dtype("u1"),
}


def bf16_bits_to_f32(bits):
    """BF16 is the upper half of an IEEE float32."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16_bits(values):
    """Round-to-nearest-even float32 -> BF16 bits (NaN not expected in fixtures)."""
    u = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounding = ((u >> 16) & 1) + 0x7FFF
    return ((u + rounding) >> 16).astype(np.uint16)


def read(path):
    """Returns {name: float32 or integer numpy array} with BF16/F16 widened to float32, and the metadata."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    base = 8 + header_len
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        stored = _STORED[info["dtype"]]
        raw = np.frombuffer(data, dtype=stored, count=(end - begin) // stored.itemsize, offset=base + begin)
        array = raw.reshape(info["shape"])
        if info["dtype"] == "BF16":
            array = bf16_bits_to_f32(array)
        elif info["dtype"] == "F16":
            array = array.astype(np.float32)
        tensors[name] = np.array(array)
    return tensors, metadata


def write(path, tensors, dtype="F32", metadata=None):
    """Writes {name: numpy float array} as dtype F32, F16 or BF16 (sorted by name, 8-byte aligned header)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        value = np.asarray(tensors[name], dtype=np.float32)
        if dtype == "F32":
            raw = value.astype("<f4").tobytes()
        elif dtype == "F16":
            raw = value.astype("<f2").tobytes()
        elif dtype == "BF16":
            raw = f32_to_bf16_bits(value).astype("<u2").tobytes()
        else:
            raise ValueError(dtype)
        header[name] = {"dtype": dtype, "shape": list(value.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for raw in blobs:
            f.write(raw)


def read_model_dir(model_dir):
    """All tensors of a Hugging Face directory: model.safetensors or the shards named by its index."""
    import os

    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        tensors = {}
        for shard in sorted(set(weight_map.values())):
            part, _ = read(os.path.join(model_dir, shard))
            tensors.update(part)
        missing = set(weight_map) - set(tensors)
        if missing:
            raise ValueError("index names tensors missing from the shards: %s" % sorted(missing))
        return tensors
    tensors, _ = read(os.path.join(model_dir, "model.safetensors"))
    return tensors
