"""Helpers shared by the benchmarks: warm median timing, timing in a fresh process, and the optional torch oracle."""
import json
import os
import statistics
import subprocess
import sys
import time
import timeit

# BLAS and OpenMP read their thread counts once, when NumPy (or torch) loads: a child process gets them in its
# environment, so that both libraries run single-threaded
SINGLE_THREADED = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")


def _samples(fn, repeat):
    """Seconds taken by each of `repeat` calls of fn (no warm-up)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def median_time(fn, repeat):
    """Median seconds of `repeat` calls of fn, after one warm-up call."""
    fn()
    return statistics.median(_samples(fn, repeat))


def median_time_within(fn, budget, lo=1, hi=200):
    """Median seconds of warm calls of fn: as many as fit in about `budget` seconds, between lo and hi.

    The warm-up call doubles as the probe that sizes the repeat count, so a
    slow function (a torch export) is not run once more than it needs to be,
    and a fast one (the interpreter at batch 1) gets enough samples for a
    stable median.
    """
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    repeat = max(lo, min(hi, int(budget / max(first, 1e-9))))
    return statistics.median(_samples(fn, repeat))


def best_time(fn, repeat, number=1):
    """Best seconds per call over `repeat` rounds of `number` calls, after one warm-up call."""
    fn()
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def best_cpu_time(fn, repeat):
    """Best CPU seconds of this process over `repeat` calls of fn, after one warm-up call.

    For a ratio of two single-threaded timings on a shared machine: CPU time
    leaves out the time other processes held the core, which wall time
    charges to whichever run they happened to interrupt.
    """
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def optional_torch():
    """torch (single-threaded, for a fair comparison) or None, saying so."""
    try:
        import torch
    except ImportError:
        print("torch is not installed: torch columns are nan")
        return None
    torch.set_num_threads(1)
    return torch


def timed_calls(fn, warmup, n, warmup_seconds=0.0):
    """[(wall seconds, CPU seconds of this process)] of n calls of fn, after at least `warmup` untimed calls
    and at least `warmup_seconds` of them.

    The garbage collector runs as it would for a user (no forced or
    disabled collections), so each sample carries its share of the
    collections its own allocations trigger; the warm-up also lets a fresh
    process's heap settle (its first full collections, while the heap
    grows from what imports left, cost several exports' time).
    """
    end = time.perf_counter() + warmup_seconds
    done = 0
    while done < warmup or time.perf_counter() < end:
        fn()
        done += 1
    out = []
    for _ in range(n):
        c, w = time.process_time(), time.perf_counter()
        fn()
        out.append((time.perf_counter() - w, time.process_time() - c))
    return out


def samples_in_child(module, *args):
    """Run `python -m module --child args...` single-threaded in a fresh interpreter; the samples it prints.

    The child prints one JSON list of [wall, cpu] pairs as its last line of output.
    """
    env = {**os.environ, **SINGLE_THREADED}
    out = subprocess.run([sys.executable, "-m", module, "--child", *map(str, args)], capture_output=True,
                         text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{module} --child {' '.join(map(str, args))} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarize(samples):
    """(median wall seconds, best CPU seconds) of [(wall, cpu)] samples."""
    return statistics.median(w for w, _ in samples), min(c for _, c in samples)
