"""Helpers shared by the benchmarks: warm median timing and the optional torch oracle."""
import statistics
import time


def median_time(fn, repeat):
    """Median seconds of `repeat` calls of fn, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def optional_torch():
    """torch (single-threaded, for a fair comparison) or None, saying so."""
    try:
        import torch
    except ImportError:
        print("torch is not installed: torch columns are nan")
        return None
    torch.set_num_threads(1)
    return torch
