#!/usr/bin/env python3
"""Time argon2-cffi at the settings of benches/argon2.rs, for comparison.

Argon2id v1.3, 16-byte salt, 32-byte output, at
  default        m=19456 KiB, t=2, p=1  (HashSettings::DEFAULT)
  rfc9106_second m=65536 KiB, t=3, p=4  (HashSettings::RFC9106_SECOND_CHOICE)

For each: a few warm-up hashes, then the median of N timed runs of
  raw    argon2.low_level.hash_secret_raw (the bare Argon2 computation)
  hash   PasswordHasher.hash (random salt + PHC string, like Hasher::hash)
  verify PasswordHasher.verify (like Hasher::verify)

Prints a human table, or with --json one JSON object (milliseconds) for
benches/compare_argon2.sh.

Threads: argon2-cffi calls the reference C library's argon2_hash(), which
sets threads = lanes = parallelism; when the library is built with threads
(the usual wheels are), each lane of each segment runs on its own pthread.
This script reports what it finds in the installed library (pthread symbols,
SIMD width), counts the worker threads seen during a hash, and measures
process CPU time / wall time per setting.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

import argon2
from argon2 import PasswordHasher
from argon2.low_level import Type, hash_secret_raw

SETTINGS = {
    "default": dict(memory_cost=19456, time_cost=2, parallelism=1),
    "rfc9106_second": dict(memory_cost=65536, time_cost=3, parallelism=4),
}
PASSWORD = b"correct horse battery staple"
SALT = bytes(range(16))
HASH_LEN = 32


def median_ms(fn, runs: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e6


def cpu_per_wall(fn, runs: int = 3) -> float:
    """Process CPU time over wall time for `runs` calls: above 1 means the
    library ran lanes on several threads at once."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(runs):
        fn()
    return (time.process_time() - cpu0) / (time.perf_counter() - wall0)


def peak_extra_threads(fn, runs: int = 2) -> int | None:
    """Most threads the process had while `fn` ran, beyond the main thread
    and the probing thread (Linux /proc only)."""
    if not os.path.isdir("/proc/self/task"):
        return None
    peak = 0
    running = True

    def probe() -> None:
        nonlocal peak
        while running:
            peak = max(peak, len(os.listdir("/proc/self/task")))
            time.sleep(0.0002)

    t = threading.Thread(target=probe)
    t.start()
    for _ in range(runs):
        fn()
    running = False
    t.join()
    return max(peak - 2, 0)


def bindings_info() -> dict:
    """What the installed C library is: its path, threading and SIMD."""
    info: dict = {}
    try:
        import _argon2_cffi_bindings

        so = _argon2_cffi_bindings._ffi.__file__
        info["library"] = so
    except Exception as e:  # pragma: no cover - informational only
        info["library"] = f"unknown ({e})"
        return info
    try:
        syms = subprocess.run(
            ["nm", "-D", so], capture_output=True, text=True, check=True
        ).stdout
        info["threads"] = (
            "yes: argon2_hash() runs one pthread per lane (threads = parallelism)"
            if "pthread_create" in syms and "argon2_thread_create" in syms
            else "no: built without threads (lanes run one after another)"
        )
    except Exception as e:
        info["threads"] = f"unknown (nm failed: {e}); argon2_hash() asks for threads = parallelism"
    try:
        dis = subprocess.run(
            ["objdump", "-d", "--no-show-raw-insn", so],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if "%zmm" in dis:
            info["simd"] = "AVX-512 (zmm)"
        elif "%ymm" in dis:
            info["simd"] = "AVX2 (ymm)"
        elif "%xmm" in dis:
            info["simd"] = "SSE (xmm only, the 'opt' SSE2/SSSE3 build)"
        else:
            info["simd"] = "none (portable 'ref' build)"
    except Exception as e:
        info["simd"] = f"unknown (objdump failed: {e})"
    return info


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="timed runs per case")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    ap.add_argument("--json", action="store_true", help="print JSON only")
    args = ap.parse_args()

    results: dict = {}
    for name, s in SETTINGS.items():
        ph = PasswordHasher(
            time_cost=s["time_cost"],
            memory_cost=s["memory_cost"],
            parallelism=s["parallelism"],
            hash_len=HASH_LEN,
            salt_len=len(SALT),
            type=Type.ID,
        )
        phc = ph.hash(PASSWORD)
        assert ph.verify(phc, PASSWORD)
        results[name] = {
            "params": s,
            "raw_ms": median_ms(
                lambda: hash_secret_raw(
                    PASSWORD, SALT, hash_len=HASH_LEN, type=Type.ID, **s
                ),
                args.runs,
                args.warmup,
            ),
            "hash_ms": median_ms(lambda: ph.hash(PASSWORD), args.runs, args.warmup),
            "verify_ms": median_ms(
                lambda: ph.verify(phc, PASSWORD), args.runs, args.warmup
            ),
            "cpu_per_wall": cpu_per_wall(
                lambda: hash_secret_raw(
                    PASSWORD, SALT, hash_len=HASH_LEN, type=Type.ID, **s
                )
            ),
            "worker_threads": peak_extra_threads(
                lambda: hash_secret_raw(
                    PASSWORD, SALT, hash_len=HASH_LEN, type=Type.ID, **s
                )
            ),
        }

    from importlib.metadata import version

    meta = {
        "argon2_cffi": version("argon2-cffi"),
        "argon2_cffi_bindings": version("argon2-cffi-bindings"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "runs": args.runs,
        "warmup": args.warmup,
        **bindings_info(),
    }
    if args.json:
        json.dump({"meta": meta, "results": results}, sys.stdout, indent=2)
        print()
        return 0

    print(
        f"argon2-cffi {meta['argon2_cffi']} (bindings {meta['argon2_cffi_bindings']}),"
        f" Python {meta['python']}, {meta['cpus']} CPUs;"
        f" median of {args.runs} runs after {args.warmup} warm-up"
    )
    print(f"library: {meta['library']}")
    print(f"threads: {meta['threads']}")
    print(f"SIMD:    {meta['simd']}")
    print(
        f"{'setting':<16}{'params':<22}{'raw ms':>10}{'hash ms':>10}"
        f"{'verify ms':>11}{'cpu/wall':>10}{'threads':>9}"
    )
    for name, r in results.items():
        p = r["params"]
        params = f"m={p['memory_cost']},t={p['time_cost']},p={p['parallelism']}"
        print(
            f"{name:<16}{params:<22}{r['raw_ms']:>10.2f}{r['hash_ms']:>10.2f}"
            f"{r['verify_ms']:>11.2f}{r['cpu_per_wall']:>10.2f}{r['worker_threads']!s:>9}"
        )
    print(
        "threads: most C worker threads seen during a hash (0 = ran on the"
        " calling thread); cpu/wall > 1: they ran at the same time."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
