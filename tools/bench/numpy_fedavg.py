#!/usr/bin/env python3
"""NumPy baseline for `./fedtune bench aggregation`: the weighted in-place sum Flower's FedAvg performs.

Flower's aggregate() multiplies each client's ndarrays by its example count and sums them; this does the same,
in place into one accumulator (acc += w * x, which is NumPy's fastest form of it), over updates already in memory.
It prints update bytes consumed per second; the last line is 'GB/s: N', as the Java benchmark's is.

    python3 tools/bench/numpy_fedavg.py --clients 20 --params 8000000
"""
import argparse
import time

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--params", type=int, default=8_000_000)
    parser.add_argument("--tensors", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--from-files", action="store_true",
                        help="read each update from its file every round (np.fromfile), as the Java benchmark "
                             "reads from its blob store, instead of summing arrays already in memory")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    sizes = [args.params // args.tensors] * (args.tensors - 1)
    sizes.append(args.params - sum(sizes))
    updates = [[rng.standard_normal(n, dtype=np.float32) for n in sizes] for _ in range(args.clients)]
    directory = None
    if args.from_files:
        import tempfile
        directory = tempfile.mkdtemp(prefix="fedtune-numpy-bench-")
        for c, layers in enumerate(updates):
            np.concatenate(layers).tofile(f"{directory}/client-{c}.f32")
        updates = None
    weights = [(0.5 if c % 2 == 0 else 1.5) / args.clients for c in range(args.clients)]
    total = args.clients * args.params * 4

    best = 0.0
    for run in range(args.repeats + 1):
        started = time.perf_counter()
        cpu_started = time.process_time()
        acc = [np.zeros(n, dtype=np.float32) for n in sizes]
        for c, w in enumerate(weights):
            if directory is None:
                layers = updates[c]
            else:
                flat = np.fromfile(f"{directory}/client-{c}.f32", dtype=np.float32)
                layers = np.split(flat, np.cumsum(sizes)[:-1])
            for a, x in zip(acc, layers):
                a += np.float32(w) * x
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        rate = total / seconds / 1e9
        print(f"{'warm-up' if run == 0 else f'run {run}'}: {seconds:.3f} s, {rate:.2f} GB/s"
              f" ({cpu_seconds:.3f} CPU-s, {total / cpu_seconds / 1e9:.2f} GB per CPU-second)")
        if run > 0:
            best = max(best, rate)
    if directory is not None:
        import shutil
        shutil.rmtree(directory)
    source = "files" if args.from_files else "memory"
    print(f"clients: {args.clients}, params: {args.params:,}, update bytes per round: {total:,}, from {source},"
          f" numpy {np.__version__}")
    print(f"GB/s: {best:.2f}")


if __name__ == "__main__":
    main()
