#!/usr/bin/env python3
"""NumPy baseline for `./fedtune bench aggregation`: the weighted in-place sum Flower's FedAvg performs.

Flower's aggregate() multiplies each client's ndarrays by its weight and sums them; this does the same, in place into
one accumulator per tensor (acc += w * x, NumPy's fastest form of it). It prints update bytes consumed per second;
the last line is 'GB/s: N', as the Java benchmark's is.

With --dir it reads the very safetensors files the Java benchmark wrote (`./fedtune bench aggregation --dir DIR`
keeps them: DIR/updates/client-*.safetensors); without, it generates the same layout (64 tensors) in memory.
By default the arrays are loaded once and only the sum is timed (Flower aggregates arrays it already holds);
with --from-files every timed run also reads the files (np.fromfile), as the Java benchmark reads its blob store.
With --flower every timed run does what Flower's FedAvg does with the updates it received (aggregate_fit with
inplace=True): each update is held as Flower holds it, one serialized .npy buffer per tensor; the run deserializes
them (np.load), scales each update by its weight and adds it in place (np.multiply/np.add with out=), and
serializes the result (np.save), as Flower turns the aggregate back into Parameters.

    python3 tools/bench/numpy_fedavg.py --dir DIR [--from-files | --flower]   (any Python 3 with NumPy)
"""
import argparse
import glob
import io
import json
import os
import struct
import time

import numpy as np


def read_header(path):
    """The tensors of a safetensors file, in data order: (name, element count, byte offset of its data)."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    tensors = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {entry['dtype']}, this baseline reads F32 only")
        begin, end = entry["data_offsets"]
        tensors.append((name, (end - begin) // 4, 8 + length + begin))
    tensors.sort(key=lambda t: t[2])
    return tensors


def load(path, tensors):
    """One update's tensors as float32 arrays: the data section in one read, split into views."""
    start = tensors[0][2]
    count = sum(n for _, n, _ in tensors)
    flat = np.fromfile(path, dtype="<f4", count=count, offset=start)
    return np.split(flat, np.cumsum([n for _, n, _ in tensors])[:-1])


def to_npy(array):
    """One tensor serialized as Flower serializes ndarrays for the wire: the .npy format in a bytes object."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def flower_round(received, weights):
    """Flower's in-place FedAvg over serialized updates: deserialize, scale, add in place, serialize the result."""
    total = None
    # Flower's scaling factors are a float64 array (num_examples / total), applied to each float32 array in place
    scaling = np.asarray(weights, dtype=np.float64)
    for tensors, w in zip(received, scaling):
        arrays = [np.load(io.BytesIO(t), allow_pickle=False) for t in tensors]
        for a in arrays:
            np.multiply(a, w, out=a)
        if total is None:
            total = arrays
        else:
            for acc, a in zip(total, arrays):
                np.add(acc, a, out=acc)
    return [to_npy(a) for a in total]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="the Java benchmark's blob store (kept with its --dir option)")
    parser.add_argument("--clients", type=int, default=20, help="without --dir: updates per round")
    parser.add_argument("--params", type=int, default=8_000_000, help="without --dir: parameters per update")
    parser.add_argument("--tensors", type=int, default=64, help="without --dir: tensors per update")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--from-files", action="store_true",
                        help="read each update from its file in every timed run, instead of summing arrays loaded"
                             " once")
    parser.add_argument("--flower", action="store_true",
                        help="hold each update as serialized .npy buffers and time Flower's whole in-place"
                             " aggregation: deserialize, scale and add in place, serialize the result")
    args = parser.parse_args()
    if args.flower and args.from_files:
        raise SystemExit("--flower and --from-files exclude each other")

    if args.dir:
        paths = sorted(glob.glob(os.path.join(args.dir, "updates", "client-*.safetensors")),
                       key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0]))
        if not paths:
            raise SystemExit(f"{args.dir}: no updates/client-*.safetensors (run the Java benchmark with --dir)")
        layouts = [read_header(p) for p in paths]
        sizes = [n for _, n, _ in layouts[0]]
        updates = None if args.from_files else [load(p, t) for p, t in zip(paths, layouts)]
    else:
        rng = np.random.default_rng(0)
        sizes = [args.params // args.tensors] * (args.tensors - 1)
        sizes.append(args.params - sum(sizes))
        updates = [[rng.standard_normal(n, dtype=np.float32) for n in sizes] for _ in range(args.clients)]
        paths = layouts = None
        if args.from_files:
            raise SystemExit("--from-files needs --dir")
    clients = len(paths) if paths else args.clients
    params = sum(sizes)
    # the Java benchmark's weights: 0.5/N for even clients, 1.5/N for odd ones
    weights = [(0.5 if c % 2 == 0 else 1.5) / clients for c in range(clients)]
    total = clients * params * 4

    received = [[to_npy(x) for x in update] for update in updates] if args.flower else None
    rates = []
    for run in range(args.repeats + 1):
        started = time.perf_counter()
        cpu_started = time.process_time()
        if received is not None:
            flower_round(received, weights)
        else:
            acc = [np.zeros(n, dtype=np.float32) for n in sizes]
            for c, w in enumerate(weights):
                layers = updates[c] if updates is not None else load(paths[c], layouts[c])
                for a, x in zip(acc, layers):
                    a += np.float32(w) * x
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        rate = total / seconds / 1e9
        print(f"{'warm-up' if run == 0 else f'run {run}'}: {seconds:.3f} s, {rate:.2f} GB/s"
              f" ({cpu_seconds:.3f} CPU-s, {total / cpu_seconds / 1e9:.2f} GB per CPU-second)")
        if run > 0:
            rates.append(rate)
    if args.flower:
        source = "serialized updates, Flower's in-place aggregation"
    else:
        source = ("files, read every run" if args.from_files else "files, loaded once") if args.dir else "memory"
    print(f"clients: {clients}, params: {params:,}, update bytes per round: {total:,}, from {source},"
          f" numpy {np.__version__}")
    print(f"GB/s: {max(rates):.2f}")


if __name__ == "__main__":
    main()
