"""Print how minexport does on the torchvision archives: one row per model.

    PYTHONPATH=. python tests/tv_report.py [DIR]

Columns: loads, runs (as exported, within tolerance of torch), core runs
(after run_decompositions), the largest |minexport - torch| of each, minexport's
run time against torch's eager run time (measured by the generator), and
for a model that fails, its first error and the aten ops minexport lacks.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tv_archives import ATOL, ALL, RTOL, archive_dir, check, unavailable_reason


def _mark(error, ok):
    return "yes" if ok else ("no" if error else "DIFF")


def _num(value, fmt):
    return "-" if value is None else format(value, fmt)


def main(argv=None):
    """Check every model found in the folder and print the table."""
    argv = sys.argv[1:] if argv is None else argv
    folder = argv[0] if argv else archive_dir()
    reason = unavailable_reason(folder)
    if reason:
        print(reason)
        return 1
    print(f"archives: {folder}; tolerance |d| <= {ATOL:g}*max|torch| + {RTOL:g}*|torch|")
    header = f"{'model':<24} {'loads':>5} {'runs':>5} {'core':>5} {'max|d|':>9} {'core|d|':>9} " \
             f"{'load s':>7} {'run s':>8} {'core s':>8} {'torch s':>8} {'x torch':>8}"
    print(header)
    print("-" * len(header))
    notes = []
    for name in ALL:
        if not os.path.exists(os.path.join(folder, f"{name}.npz")):
            print(f"{name:<24} (no archive)")
            continue
        r = check(name, folder)
        loads = "no" if r.load_error else "yes"
        runs = "-" if r.load_error else _mark(r.run_error, r.ok)
        core = "-" if r.load_error else _mark(r.core_error, r.core_ok)
        ratio = r.run_s / r.torch_s if r.run_s and r.torch_s else None
        print(f"{name:<24} {loads:>5} {runs:>5} {core:>5} {_num(r.max_diff, '.2e'):>9} "
              f"{_num(r.core_max_diff, '.2e'):>9} {_num(r.load_s, '.2f'):>7} {_num(r.run_s, '.3f'):>8} "
              f"{_num(r.core_run_s, '.3f'):>8} {_num(r.torch_s, '.3f'):>8} {_num(ratio, '.1f'):>8}", flush=True)
        if r.missing:
            notes.append(f"{name}: ops minexport lacks: {', '.join(r.missing)}")
        for stage, error in (("load", None if r.missing else r.load_error), ("run", r.run_error),
                             ("core", r.core_error)):
            if error:
                notes.append(f"{name} {stage}: {error[:300]}")
    if notes:
        print()
        print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
