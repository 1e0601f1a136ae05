"""Helpers shared by the benchmarks: warm median timing and the optional torch oracle."""
import statistics
import time
import timeit


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
