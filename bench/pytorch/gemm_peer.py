#!/usr/bin/env python3
"""GFLOP/s of torch.matmul on [n, n] x [n, n] float32 products at a thread count
(`npm run bench` part `profile`: PyTorch's matrix-product speed beside the
project's GEMM ceiling, on the same machine). Prints one JSON object."""
import argparse
import json
import time

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=2.0, help="timing window per round")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    a = torch.randn(args.n, args.n, generator=g)
    b = torch.randn(args.n, args.n, generator=g)
    for _ in range(3):
        a @ b
    rates = []
    for _ in range(args.rounds):
        k, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < args.seconds or k < 2:
            a @ b
            k += 1
        rates.append(2 * args.n ** 3 * k / (time.perf_counter() - t0) / 1e9)
    rates.sort()
    print(json.dumps({"n": args.n, "threads": torch.get_num_threads(), "gflops": rates[len(rates) // 2], "torch": torch.__version__}))


if __name__ == "__main__":
    main()
