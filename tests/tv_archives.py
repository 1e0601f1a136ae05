"""Running torch-written torchvision archives in minexport: shared by the test and tests/tv_report.py.

The archives come from tests/make_torchvision_archives.py (run with a Python
that has torch and torchvision).  Each `<name>.pt2` has a `<name>.npz`: the
input, torch's outputs as exported (`out_<i>`) and after run_decompositions
(`core_<i>`), for a dynamic program an input of another batch size and its
outputs (`alt_in_0`, `alt_out_<i>`), and a JSON `meta` (torch version,
torch's eager run time...).
"""
import json
import os
import re
import time
from dataclasses import dataclass, field

import numpy as np

import minexport as me
from minexport.export import load
from minexport.utils import _pytree as pytree
from make_torchvision_archives import DEFAULT_DIR, ALL

__all__ = ["archive_dir", "unavailable_reason", "ALL", "RTOL", "ATOL", "Result", "check", "close_enough"]

# float32 through tens of layers: summation order differs between torch's
# kernels and NumPy's, so an element may be off by a few ulps of the
# activations' scale after each layer.  The bound, elementwise:
#     |minexport - torch| <= ATOL * max|torch output| + RTOL * |torch|
# (atol scaled by the output's own magnitude, so that a 1e-4 relative error
# of the largest logit passes and an error of 1e-3 does not; outputs are
# never all zero: the generator perturbs every weight off its init).
RTOL = 1e-4
ATOL = 1e-4


def archive_dir():
    """Where the archives are: $MINEXPORT_TV_ARCHIVES, else the generator's default directory."""
    return os.environ.get("MINEXPORT_TV_ARCHIVES", DEFAULT_DIR)


def unavailable_reason(folder):
    """Why the folder has no archives (None if it has some): the reason .ci/run wrote, or how to make them."""
    note = os.path.join(folder, "UNAVAILABLE")
    if os.path.exists(note):
        with open(note) as f:
            return f"torchvision archives unavailable: {f.read().strip()}"
    if not os.path.isdir(folder) or not any(n.endswith(".pt2") for n in os.listdir(folder)):
        return (f"no torchvision archives in {folder}: run tests/make_torchvision_archives.py with a Python that "
                "has torch 2.14.1 and torchvision 0.29.1 (.ci/run does), or set MINEXPORT_TV_ARCHIVES")
    return None


def close_enough(got, want):
    """(ok, max |got - want|): elementwise |got - want| <= ATOL * max|want| + RTOL * |want|."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or got.dtype != want.dtype:
        return False, float("inf")
    if want.size == 0:
        return True, 0.0
    diff = np.abs(got.astype(np.float64) - want)
    scale = float(np.abs(want).max())
    return bool(np.all(diff <= ATOL * scale + RTOL * np.abs(want))), float(diff.max())


@dataclass
class Result:
    """What happened to one model: each stage's success or error, the largest differences, timings."""
    name: str
    load_error: str = None
    run_error: str = None
    core_error: str = None
    max_diff: float = None
    core_max_diff: float = None
    ok: bool = False
    core_ok: bool = False
    load_s: float = None
    run_s: float = None
    core_run_s: float = None
    torch_s: float = None
    missing: list = field(default_factory=list)     # ops the load error names as unimplemented


def _error(e):
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def _compare(outputs, data, prefix):
    flat = pytree.tree_leaves(outputs)
    keys = sorted((k for k in data.files if k.startswith(prefix)), key=lambda k: int(k[len(prefix):]))
    if len(flat) != len(keys):
        raise AssertionError(f"{len(flat)} outputs, torch had {len(keys)}")
    worst, ok = 0.0, True
    for got, key in zip(flat, keys):
        good, diff = close_enough(got.numpy(), data[key])
        ok, worst = ok and good, max(worst, diff)
    return ok, worst


def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def check(name, folder):
    """Load `name` from folder, run it as exported and after run_decompositions(), compare with torch."""
    r = Result(name)
    path = os.path.join(folder, f"{name}.pt2")
    with np.load(os.path.join(folder, f"{name}.npz")) as npz:
        data = {k: npz[k] for k in npz.files}
    data = _Data(data)
    r.torch_s = json.loads(str(data["meta"]))["torch_eager_s"]
    x = me.from_numpy(data["in_0"].copy())
    try:
        ep, r.load_s = _timed(lambda: load(path))
    except Exception as e:
        r.load_error = _error(e)
        r.missing = re.findall(r"'torch\.ops\.([\w.]+)' \(at ", r.load_error)
        return r
    try:
        out, r.run_s = _timed(lambda: ep.module()(x))
        r.ok, r.max_diff = _compare(out, data, "out_")
    except Exception as e:
        r.run_error = _error(e)
    if "alt_in_0" in data:        # a dynamic program, also run at another batch size
        try:
            alt_ok, alt_diff = _compare(ep.module()(me.from_numpy(data["alt_in_0"].copy())), data, "alt_out_")
            r.ok, r.max_diff = r.ok and alt_ok, max(r.max_diff or 0.0, alt_diff)
        except Exception as e:
            r.run_error = r.run_error or f"at another batch size: {_error(e)}"
    try:
        core, r.core_run_s = _timed(lambda: ep.run_decompositions().module()(x))
        r.core_ok, r.core_max_diff = _compare(core, data, "core_")
    except Exception as e:
        r.core_error = _error(e)
    return r


class _Data(dict):
    """A dict of the npz's arrays with the npz's `files` attribute."""
    @property
    def files(self):
        return list(self)
