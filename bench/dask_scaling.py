"""Dask scale-out: throughput of `minexport.runtime.dask.apply` with 2 worker processes vs 1.

    python -m bench.dask_scaling [--rows 8192] [--chunk 1024] [--width 1024] [--repeat 3] [--no-threads]

The job is CPU-bound: an 8-layer MLP (Linear+ReLU, `--width` wide, 10
outputs) exported with a dynamic batch, run over `--rows` rows split into
`--chunk`-row chunks (about 17 GFLOP per chunk at the defaults, so Dask's
per-task cost of a few milliseconds is small beside it).  The input is
persisted on each cluster first, so the timing covers the program's tasks
(plus scheduling and the small result's transfer), not moving the input.  Two
`dask.distributed` LocalClusters stay up side by side (1 worker, and 2
workers, each worker a process with one thread) and are timed in
alternation, so load from other users of the machine falls on both alike.
BLAS is pinned to one thread per process (OMP/OpenBLAS/MKL variables set
here, before NumPy loads, and inherited by the workers), so a worker is one
core.

Goal: 2 workers at least 1.6x the throughput of 1 on a machine with 2 idle
cores.  Each run's CPU seconds per process are read too (`os.times` in every
worker), which gives an estimate for idle cores when the machine is busy
(see `idle_estimates`), and a note says when the wall-clock ratio cannot show
scaling (a loaded machine; Linux's autogroup scheduling, which gives one
terminal session one share however many processes it starts).  The threaded
scheduler (one process, 1 vs 2 threads; NumPy's matmul releases the GIL) is
printed too.
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(_var, "1")    # before NumPy loads, here and (inherited) in every worker

import argparse  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import minexport as me  # noqa: E402
import minexport.nn as mnn  # noqa: E402
from minexport.export import Dim, export  # noqa: E402


def mlp(width, layers=8, classes=10):
    """An exported `layers`-layer MLP (Linear+ReLU, the last Linear to `classes`) with a dynamic batch."""
    me.manual_seed(0)
    mods = []
    for i in range(layers):
        mods += [mnn.Linear(width, width if i < layers - 1 else classes), mnn.ReLU()]
    model = mnn.Sequential(*mods[:-1]).eval()
    return export(model, (me.randn(4, width),), dynamic_shapes=({0: Dim("batch")},))


def _time(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _worker_cpu(client):
    """{worker address: user+system CPU seconds its process has used so far}."""
    return {w: t[0] + t[1] for w, t in client.run(os.times).items()}


def _own_cpu():
    """User+system CPU seconds of this process (the client, and the LocalCluster's scheduler threads)."""
    t = os.times()
    return t[0] + t[1]


def _task_stream(client, y):
    """One more run with Dask's task stream: (seconds from compute() to the first task, the fraction of the
    run's wall time each worker spent computing tasks)."""
    from distributed import get_task_stream
    with get_task_stream(client) as stream:
        t = time.time()
        client.compute(y).result()
        wall = time.time() - t
    busy = {}
    for task in stream.data:
        for s in task["startstops"]:
            if s["action"] == "compute":
                busy.setdefault(task["worker"], []).append((s["start"], s["stop"]))
    first = min(a for spans in busy.values() for a, _ in spans) - t
    return first, sorted(sum(b - a for a, b in spans) / wall for spans in busy.values())


def _idle_rates(setups, seconds):
    """{workers: ([CPU s per s of each worker], CPU s per s of this process)} while no task runs."""
    before = {n: _worker_cpu(client) for n, (_, client, _) in setups.items()}
    here, t = _own_cpu(), time.perf_counter()
    time.sleep(seconds)
    after = {n: _worker_cpu(client) for n, (_, client, _) in setups.items()}
    wall, mine = time.perf_counter() - t, _own_cpu() - here
    return {n: ([(after[n][w] - before[n][w]) / wall for w in sorted(after[n])], mine / wall) for n in setups}


def idle_estimates(cpu):
    """(low, high) seconds per run expected with 2 idle cores, from the CPU seconds each process used in a run.

    `cpu` is ([CPU s of each worker], CPU s of the scheduler/client process).  On 2 cores a run takes at
    least its busiest worker's CPU time (`low`: the scheduler's work fits in idle moments), and at least all
    the CPU time spread over both cores (`high` is the larger of the two).  On a loaded machine `high`
    overstates even so: the processes' periodic work (heartbeats, monitors) grows with the stretched wall
    time; bench_distributed takes off what they use per second while idle, which is only an approximation.
    """
    workers, scheduler = cpu
    return max(workers), max(max(workers), (sum(workers) + scheduler) / 2)


def _spin(seconds, queue):
    """Busy-loop for `seconds` of wall time; put the CPU seconds this process got."""
    t = time.perf_counter()
    while time.perf_counter() - t < seconds:
        pass
    cpu = os.times()
    queue.put(cpu[0] + cpu[1])


def cpu_ceiling(seconds=2.0):
    """CPU seconds per wall second that 1, then 2, busy processes started from here get: (one, two).

    two / one bounds the 2-vs-1 ratio any benchmark run from this session can show right now; on an idle
    machine with 2 cores it is about 2.
    """
    import multiprocessing as mp
    out = []
    for n in (1, 2):
        queue = mp.get_context("spawn").Queue()
        procs = [mp.get_context("spawn").Process(target=_spin, args=(seconds, queue)) for _ in range(n)]
        for p in procs:
            p.start()
        got = sum(queue.get() for _ in procs)
        for p in procs:
            p.join()
        out.append(got / seconds)
    return tuple(out)


def contention_note():
    """Why the wall-clock ratio means little here, or '' when the machine looks idle enough."""
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if load < cpus - 0.5:
        return ""
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as f:
            autogroup = f.read().strip() == "1"
    except OSError:
        autogroup = False
    why = (" and the kernel's autogroup scheduling gives this terminal session one share of the CPUs however many "
           "processes it runs, so a second worker adds no CPU time" if autogroup else "")
    return (f"note: load average {load:.1f} on {cpus} CPUs{why}; the wall-clock ratio then says little about "
            f"scaling: rerun on an idle machine, or read the CPU-time estimate")


def bench_distributed(ep, args):
    """({workers: [seconds per run]}, {workers: [CPU seconds per run, see idle_estimate]}, per-worker
    (loads, chunks run)) on LocalClusters of 1 and 2 single-threaded worker processes."""
    import dask.array as da
    from distributed import Client, LocalCluster

    from minexport.runtime.dask import apply, cache_info
    logging.getLogger("distributed").setLevel(logging.ERROR)     # the scheduler's INFO lines, in this process
    setups = {}
    try:
        for n in (1, 2):
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   silence_logs=40)
            client = Client(cluster, set_as_default=False)
            x = da.random.default_rng(0).standard_normal((args.rows, args.width), chunks=(args.chunk, args.width),
                                                          dtype=np.float32)
            x = client.persist(x)
            y = apply(ep, x, client=client)       # scatters the program to the workers once
            client.compute(y).result()          # warm-up: each worker loads the program once
            setups[n] = (cluster, client, y)
        times, cpu = {n: [] for n in setups}, {n: [] for n in setups}
        for _ in range(args.repeat):            # alternate, so background load hits both alike
            for n, (_, client, y) in setups.items():
                before, here = _worker_cpu(client), _own_cpu()
                times[n].append(_time(lambda: client.compute(y).result()))
                after = _worker_cpu(client)
                cpu[n].append(([after[w] - before[w] for w in sorted(after)], _own_cpu() - here))
        streams = {n: _task_stream(client, y) for n, (_, client, y) in setups.items()}
        # CPU the same processes use per second while nothing runs (heartbeats, monitors), taken off each run's
        idle = _idle_rates(setups, seconds=2.0)
        cpu = {n: [([w - r * t for w, r in zip(ws, idle[n][0])], max(0.0, c - idle[n][1] * t))
                   for (ws, c), t in zip(runs, times[n])] for n, runs in cpu.items()}
        # per cluster, each worker's (program loads, chunks run): loads stay at one per worker
        workers = {n: [(i["loads"], sum(c for _, c in i["programs"])) for i in client.run(cache_info).values()]
                   for n, (_, client, _) in setups.items()}
        return times, cpu, workers, streams
    finally:
        for cluster, client, _ in setups.values():
            client.close()
            cluster.close()


def bench_threads(ep, args):
    """{threads: [seconds per run]} on the threaded scheduler in this process."""
    import dask.array as da

    from minexport.runtime.dask import apply
    a = np.random.default_rng(0).standard_normal((args.rows, args.width)).astype(np.float32)
    y = apply(ep, da.from_array(a, chunks=(args.chunk, args.width)))
    y.compute(scheduler="threads", num_workers=1)
    times = {1: [], 2: []}
    for _ in range(args.repeat):
        for n in times:
            times[n].append(_time(lambda: y.compute(scheduler="threads", num_workers=n)))
    return times


def _report(title, times, rows):
    print(f"{title}")
    print(f"  {'workers':<8}{'best s':>9}{'median s':>10}{'rows/s (best)':>15}")
    for n, ts in times.items():
        print(f"  {n:<8}{min(ts):>9.3f}{statistics.median(ts):>10.3f}{rows / min(ts):>15.0f}")
    best = min(times[1]) / min(times[2])
    median = statistics.median(times[1]) / statistics.median(times[2])
    print(f"  throughput ratio 2 vs 1: {best:.2f}x (best), {median:.2f}x (median)   goal >= 1.6x")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=8192)
    p.add_argument("--chunk", type=int, default=1024)
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-threads", action="store_true", help="skip the threaded-scheduler comparison")
    args = p.parse_args()
    ep = mlp(args.width)
    print(f"8-layer MLP, width {args.width}, {args.rows} rows in chunks of {args.chunk} "
          f"({args.rows // args.chunk} tasks); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"BLAS threads per process: {os.environ['OPENBLAS_NUM_THREADS']}")
    one, two = cpu_ceiling()
    print(f"CPU this session gets now: 1 busy process {one:.2f} cores, 2 busy processes {two:.2f} cores "
          f"(so at most {two / one:.2f}x for 2 workers vs 1 here; about 2x on 2 idle cores)")
    times, cpu, workers, streams = bench_distributed(ep, args)
    _report("dask.distributed LocalCluster, processes with 1 thread each:", times, args.rows)
    est = {n: [statistics.median(idle_estimates(c)[k] for c in runs) for k in (0, 1)] for n, runs in cpu.items()}
    for n, runs in cpu.items():
        used = statistics.median(sum(w) / t for (w, _), t in zip(runs, times[n]))
        print(f"  {n} worker{'s' * (n > 1)}: median CPU s per run, idle background taken off: workers "
              f"{[round(statistics.median(r[0][i] for r in runs), 3) for i in range(n)]}, scheduler+client "
              f"{statistics.median(r[1] for r in runs):.3f}; the workers got {used:.2f} cores on average")
    print(f"  estimate for 2 idle cores from those CPU times (idle background taken off): "
          f"ratio {est[1][1] / est[2][1]:.2f}x to "
          f"{est[1][0] / est[2][0]:.2f}x ({est[1][1]:.3f} s vs {est[2][1]:.3f} s counting the scheduler's CPU on "
          f"the critical path; {est[1][0]:.3f} s vs {est[2][0]:.3f} s for the busiest worker alone)")
    for n, (first, busy) in streams.items():
        print(f"  {n} worker{'s' * (n > 1)}, task stream of one run: first task {first * 1000:.0f} ms after "
              f"compute(); workers computing {', '.join(f'{b:.0%}' for b in busy)} of the wall time")
    note = contention_note()
    if note:
        print("  " + note)
    for n, per_worker in workers.items():
        print(f"  {n} worker{'s' * (n > 1)}: (program loads, chunks run) per worker, all runs: {per_worker}")
    if not args.no_threads:
        _report("threaded scheduler, one process:", bench_threads(ep, args), args.rows)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
