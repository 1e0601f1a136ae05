"""`import minexport` wall time and what it pulls in, measured in fresh interpreters.

    python -m bench.import_time

Goal: under 150 ms, with no sympy, CuPy, SciPy or torch imported.  Bytecode
caching is allowed (as for an installed package); numpy's own import time is
printed beside ours for scale.
"""
import os
import statistics
import subprocess
import sys

CODE = ("import time, sys; t = time.perf_counter(); import {mod}; "
        "print(time.perf_counter() - t); print(','.join(m for m in ('sympy', 'cupy', 'scipy', 'torch') "
        "if m in sys.modules))")


def measure(mod, runs=7):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times, heavy = [], ""
    for _ in range(runs + 1):
        out = subprocess.run([sys.executable, "-c", CODE.format(mod=mod)], capture_output=True, text=True,
                             check=True, env=env).stdout.splitlines()
        times.append(float(out[0]) * 1000)
        heavy = out[1] if len(out) > 1 else ""
    return statistics.median(times[1:]), heavy


def main():
    t_np, _ = measure("numpy")
    t_me, heavy = measure("minexport")
    print(f"import numpy:     {t_np:6.1f} ms")
    print(f"import minexport: {t_me:6.1f} ms  (numpy included; ratio to numpy {t_me / t_np:.2f}x)")
    print(f"heavy modules imported: {heavy or 'none'}  (goal: none, and under 150 ms)")


if __name__ == "__main__":
    main()
