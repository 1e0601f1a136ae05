"""Running conformance cases on a runtime and comparing its outputs with the stored ones."""
import importlib
import time

import numpy as np

__all__ = ["Result", "compare", "load_runtime", "run_case", "run_cases"]


class Result:
    """The outcome of one case: status "passed", "failed", "xfail" (a known failure) or "xpass"."""

    def __init__(self, case, status, message="", seconds=0.0):
        self.case, self.status, self.message, self.seconds = case, status, message, seconds

    def as_json(self):
        """A plain dict for --json reports."""
        return {"case": self.case.id, "status": self.status, "message": self.message,
                "seconds": round(self.seconds, 4)}

    def __repr__(self):
        return f"Result({self.case.id}, {self.status})"


def load_runtime(spec):
    """The callable named by "package.module:callable" (the --runtime option)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--runtime takes MODULE:CALLABLE, not {spec!r}")
    fn = importlib.import_module(module_name)
    for part in attr.split("."):
        fn = getattr(fn, part)
    if not callable(fn):
        raise TypeError(f"{spec} is not callable")
    return fn


def _compare_one(i, got, want, rtol, atol, shape_dtype_only):
    """None when output `i` matches, else why not."""
    if not isinstance(got, np.ndarray):
        return f"output {i}: the runtime returned a {type(got).__name__}, not a numpy.ndarray"
    if got.dtype != want.dtype:
        return f"output {i}: dtype {got.dtype} != expected {want.dtype}"
    if got.shape != want.shape:
        return f"output {i}: shape {got.shape} != expected {want.shape}"
    if shape_dtype_only:
        return None
    # bools and integers compare exactly; floats (and complex) within the case's tolerance
    if want.dtype.kind in "biu":
        bad = got != want
    else:
        bad = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return None
    first = tuple(int(j) for j in np.argwhere(bad)[0]) if bad.ndim else ()
    return (f"output {i}: {int(bad.sum())}/{bad.size} elements differ; at {first} got {got[first]!r}, "
            f"expected {want[first]!r} (rtol={rtol}, atol={atol})")


def compare(got, want, rtol, atol, shape_dtype_only=False):
    """None when the runtime's outputs `got` match the stored `want`, else a one-line reason."""
    got = list(got)
    if len(got) != len(want):
        return f"{len(got)} outputs, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        problem = _compare_one(i, g, w, rtol, atol, shape_dtype_only)
        if problem:
            return problem
    return None


def _one_line(e):
    text = f"{type(e).__name__}: {e}".replace("\n", " | ")
    return text if len(text) <= 300 else text[:297] + "..."


def run_case(case, runtime):
    """Run one case on `runtime`; a Result (status "passed" or "failed")."""
    start = time.perf_counter()
    expect = case.meta["expect"]
    try:
        got = runtime(case.archive, case.inputs())
    except Exception as e:      # any exception is the runtime refusing the program or its inputs
        status = "passed" if expect == "error" else "failed"
        message = "" if expect == "error" else f"raised {_one_line(e)}"
        return Result(case, status, message, time.perf_counter() - start)
    if expect == "error":
        return Result(case, "failed", "ran, but the inputs must be refused", time.perf_counter() - start)
    try:
        problem = compare(got, case.outputs(), case.meta["rtol"], case.meta["atol"],
                          case.meta.get("compare") == "shape_dtype")
    except Exception as e:      # e.g. a runtime returning something that is not a list of arrays
        problem = f"outputs not comparable: {_one_line(e)}"
    return Result(case, "failed" if problem else "passed", problem or "", time.perf_counter() - start)


def run_cases(cases, runtime, known=None, on_result=None):
    """Run every case; known failures ({id: reason}) that fail are "xfail", that pass "xpass".

    `on_result(result)` is called after each case (the command line prints failures as they come).
    """
    known = known or {}
    results = []
    for case in cases:
        r = run_case(case, runtime)
        if case.id in known:
            r.status, r.message = ("xfail", r.message) if r.status == "failed" else \
                ("xpass", f"listed as a known failure ({known[case.id]}) but passed")
        results.append(r)
        if on_result:
            on_result(r)
    return results
