"""Replay torch's OpInfo sample inputs on minexport and report what agrees.

For every OpInfo in `torch.testing._internal.common_methods_invocations.op_db`
outside the deliberate exclusions of spec/opinfo.md, this resolves the op's
public name on minexport (`minexport.X`, `minexport.nn.functional.X`,
`Tensor.X`), replays the OpInfo's CPU sample inputs in float32 and int64 (and
bool for boolean ops), converted to minexport tensors, and compares each
output with torch's: shape, dtype and values (torch's default tolerances for
the dtype, widened where the OpInfo itself declares a toleranceOverride for
TestCommon/TestDecomp on CPU).  An op minexport does not expose is "missing";
an exception inside minexport is a disagreement whose reason is the error.

    PYTHONPATH=$PWD python -m tests.opinfo_report [--json PATH] [--ops NAME ...]

prints the report; `tests/test_opinfo.py` asserts on the same data.
"""
import argparse
import json
import math
import os
import pathlib
import sys
import tempfile
import time
import types

import numpy as np

import minexport as me

SPEC = pathlib.Path(__file__).resolve().parent.parent / "spec" / "opinfo.md"

# ops whose values are random or uninitialized: only shapes and dtypes are compared
RANDOM_OPS = {
    "bernoulli", "cauchy", "exponential", "geometric", "log_normal", "normal", "normal.number_mean",
    "normal.in_place", "uniform", "multinomial", "rand_like", "randn", "randn_like", "randint", "randint_like",
    "nn.functional.dropout", "nn.functional.dropout2d", "nn.functional.dropout3d", "nn.functional.alpha_dropout",
    "nn.functional.feature_alpha_dropout.with_train", "nn.functional.feature_alpha_dropout.without_train",
    "nn.functional.rrelu", "nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d",
    "empty", "empty_like", "new_empty", "new_empty_strided", "empty_strided", "empty_permuted",
}
# at most this many samples per op and dtype, spread evenly over the OpInfo's list (max_pool2d has 1440)
MAX_SAMPLES = 40
# boolean-valued families whose samples are also replayed in bool
_BOOL_PREFIXES = ("logical_", "bitwise_", "__rand__", "__ror__", "__rxor__")


# ------------------------------------------------------------------ spec --
def _spec_table(title):
    """Rows (lists of cell strings) of the markdown table under the heading `## title` in spec/opinfo.md."""
    rows, inside = [], False
    for line in SPEC.read_text().splitlines():
        if line.startswith("## "):
            inside = line[3:].strip().lower() == title.lower()
            continue
        if inside and line.startswith("|") and not set(line) <= set("|-: "):
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            if cells[0].lower() not in ("op", "prefix", "ops"):
                rows.append(cells)
    return rows


def exclusions():
    """{prefix or op name: reason}: the OpInfos this replay leaves out on purpose (spec/opinfo.md)."""
    return {r[0]: r[1] for r in _spec_table("Exclusions")}


def known_divergences():
    """{op full name: reason}: ops with samples minexport knowingly computes differently (spec/opinfo.md)."""
    return {r[0]: r[1] for r in _spec_table("Known divergences")}


def is_excluded(full_name, excluded):
    """The reason an OpInfo is left out, or None."""
    for key, reason in excluded.items():
        if full_name == key or (key.endswith("*") and full_name.startswith(key[:-1])):
            return reason
    return None


# -------------------------------------------------------------- resolving --
def _attr_path(root, path):
    obj = root
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _me_root(path):
    """minexport's object at a dotted path under the package (nn.functional.X loads minexport.nn)."""
    head = path.split(".")[0]
    if head == "nn":
        import minexport.nn.functional  # noqa: F401  (loads the namespace on demand)
    try:
        return _attr_path(me, path)
    except Exception:   # an attribute minexport computes may refuse: treat as absent
        return None


def _rebound_lambda(fn):
    """The OpInfo's own lambda with `torch` (and `F`) rebound to minexport: it calls minexport's surface."""
    import minexport.nn.functional as mF
    glb = dict(fn.__globals__)
    glb["torch"] = me
    glb["F"] = mF
    return types.FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__, fn.__closure__)


def resolve(torch, info):
    """(callable on minexport, how) for an OpInfo, or (None, why missing)."""
    name = info.name
    fn = info.op
    if _attr_path(torch, name) is fn:
        ours = _me_root(name)
        return (ours, f"minexport.{name}") if callable(ours) else (None, f"no minexport.{name}")
    if getattr(torch.Tensor, name, None) is fn:
        ours = getattr(me.Tensor, name, None)
        return (ours, f"Tensor.{name}") if ours is not None else (None, f"no Tensor.{name}")
    method = info.method_variant
    mname = getattr(method, "__name__", None)
    if method is not None and mname != "<lambda>" and getattr(torch.Tensor, mname, None) is method:
        if getattr(me.Tensor, mname, None) is None:
            return None, f"no Tensor.{mname}"
        return (lambda self, *a, **k: getattr(self, mname)(*a, **k)), f"Tensor.{mname}"
    if getattr(fn, "__name__", None) == "<lambda>":
        # a lambda over the public surface (x.T, torch.randn(...)): present when its name is
        leaf = name.split(".")[-1]
        target = _me_root(name) or getattr(me.Tensor, leaf, None)
        if target is None and info.inplace_variant is getattr(torch.Tensor, leaf + "_", False):
            # torch has only the in-place method (cauchy_, uniform_): the OpInfo's lambda calls it
            target = getattr(me.Tensor, leaf + "_", None)
        if target is None:
            return None, f"no minexport.{name} / Tensor.{leaf}"
        return _rebound_lambda(fn), f"OpInfo lambda over minexport ({name})"
    if isinstance(fn, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)) and str(fn).startswith("aten."):
        # an ATen op torch has no public name for (aten.slice.Tensor): minexport's registration of it
        return _me_aten(fn)
    if isinstance(fn, types.FunctionType) and fn.__module__.startswith("torch.testing"):
        # a helper of torch's test suite that calls the ATen op of the OpInfo's name (max_pool2d_backward)
        if _me_root(f"ops.aten.{name}") is None:
            return None, f"no minexport.ops.aten.{name}"
        return _rebound_lambda(fn), f"OpInfo helper over minexport ({fn.__name__})"
    return None, f"op {getattr(fn, '__name__', fn)!r} is not a public torch name"


def _me_aten(fn):
    """(minexport's registration of torch's ATen OpOverload or OpOverloadPacket `fn`, how), or (None, why)."""
    import torch
    packet = fn.overloadpacket if isinstance(fn, torch._ops.OpOverload) else fn
    path = f"ops.aten.{packet.__name__}"
    if isinstance(fn, torch._ops.OpOverload):
        path += f".{fn._overloadname}"
    try:
        ours = _attr_path(me, path)
    except Exception:     # minexport's aten namespace refuses an unregistered name
        ours = None
    return (ours, f"minexport.{path}") if ours is not None else (None, f"no minexport.{path}")


# -------------------------------------------------------------- converting --
class MissingName(Exception):
    """An OpInfo lambda reached a minexport attribute that does not exist: the op is missing."""


class Unconvertible(Exception):
    """A sample holds a value minexport has no counterpart for (a complex tensor, a generator...)."""


def _dtype_map(torch):
    return {getattr(torch, n): getattr(me, n) for n in
            ("float16", "bfloat16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool")}


def to_me(torch, x, dmap):
    """A torch value (tensor, dtype, device, Size, nested lists) as its minexport counterpart."""
    if isinstance(x, torch.Tensor):
        if x.dtype not in dmap:
            raise Unconvertible(f"a {x.dtype} tensor")
        if x.dtype is torch.bfloat16:
            return me.tensor(x.float().numpy()).to(me.bfloat16)
        return me.from_numpy(np.array(x.detach().resolve_conj().numpy(), copy=True))
    if isinstance(x, torch.dtype):
        if x not in dmap:
            raise Unconvertible(f"dtype {x}")
        return dmap[x]
    if isinstance(x, torch.device):
        return me.device(str(x))
    if isinstance(x, torch.Size):
        return tuple(x)
    if isinstance(x, torch.memory_format):
        return str(x).replace("torch.", "")
    if isinstance(x, (list, tuple)):
        return type(x)(to_me(torch, y, dmap) for y in x) if type(x) in (list, tuple) else \
            [to_me(torch, y, dmap) for y in x]
    if isinstance(x, dict):
        return {k: to_me(torch, v, dmap) for k, v in x.items()}
    if isinstance(x, complex) or isinstance(x, torch.Generator):
        raise Unconvertible(type(x).__name__)
    if isinstance(x, torch.nn.Module):
        return _torch_callable(torch, x, dmap)
    return x


def _torch_callable(torch, fn, dmap):
    """A torch callable passed as an argument (a distance function: nn.PairwiseDistance()) as one on minexport
    tensors: it runs in torch on the tensors converted, and its result comes back as minexport's."""
    def call(*args, **kwargs):
        def to_torch(v):
            if isinstance(v, me.Tensor):
                arr = v.to(me.float32).numpy() if v.dtype is me.bfloat16 else v.numpy()
                return torch.from_numpy(np.array(arr, copy=True))
            return type(v)(to_torch(y) for y in v) if type(v) in (list, tuple) else v
        return to_me(torch, fn(*to_torch(args), **{k: to_torch(v) for k, v in kwargs.items()}), dmap)
    return call


def _plain(torch, x):
    """An output as nested lists of ('tensor', array, dtype name) / Python values, for comparing."""
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise Unconvertible("a complex output")
        arr = x.detach().float().numpy() if x.dtype is torch.bfloat16 else x.detach().numpy()
        return ("tensor", arr, str(x.dtype).replace("torch.", ""))
    if isinstance(x, me.Tensor):
        d = x.dtype
        arr = x.to(me.float32).numpy() if d is me.bfloat16 else x.numpy()
        return ("tensor", np.asarray(arr), d.name)
    if isinstance(x, (list, tuple)):
        return [_plain(torch, y) for y in x]
    if isinstance(x, torch.dtype):
        return str(x).replace("torch.", "")
    if isinstance(x, me.dtype):
        return x.name
    return x


# ------------------------------------------------------------- comparing --
_DEFAULT_TOL = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
                "float64": (1e-7, 1e-7)}


def tolerance(torch, info, dtype_name):
    """tol(output dtype name) -> (rtol, atol): torch's assert_close defaults for the output's dtype, widened
    by the OpInfo's CPU TestCommon/TestDecomp overrides for the sample dtype `dtype_name`."""
    from torch.testing._internal.common_device_type import toleranceOverride
    from torch.testing._internal.opinfo.core import DecorateInfo
    wide = (0.0, 0.0)
    tdtype = getattr(torch, dtype_name, None)
    for deco in info.decorators:
        if not isinstance(deco, DecorateInfo) or deco.device_type not in (None, "cpu") or \
                deco.cls_name not in (None, "TestCommon", "TestDecomp"):
            continue
        for d in deco.decorators:
            if isinstance(d, toleranceOverride) and tdtype in d.d:
                wide = max(wide[0], d.d[tdtype].rtol), max(wide[1], d.d[tdtype].atol)

    def tol(out_dtype):
        rtol, atol = _DEFAULT_TOL.get(out_dtype, (0.0, 0.0))
        return max(rtol, wide[0]), max(atol, wide[1])
    return tol


def compare(ours, theirs, tol, values=True, where="output"):
    """None when `ours` matches `theirs` (both from `_plain`), else a one-line reason.

    `tol(dtype name)` gives (rtol, atol) for an output of that dtype (an int64 op may give float outputs).
    """
    if isinstance(theirs, tuple) and theirs and theirs[0] == "tensor":
        if not (isinstance(ours, tuple) and ours and ours[0] == "tensor"):
            return f"{where}: expected a tensor, got {type(ours).__name__}"
        _, a, da = ours
        _, b, db = theirs
        if tuple(a.shape) != tuple(b.shape):
            return f"{where}: shape {list(a.shape)} != torch's {list(b.shape)}"
        if da != db:
            return f"{where}: dtype {da} != torch's {db}"
        if not values or a.size == 0:
            return None
        if b.dtype.kind in "biu":
            bad = a != b
        else:
            rtol, atol = tol(db)
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            both_nan = np.isnan(a64) & np.isnan(b64)
            with np.errstate(invalid="ignore"):
                bad = ~(both_nan | (a64 == b64) | (np.abs(a64 - b64) <= atol + rtol * np.abs(b64)))
        if np.any(bad):
            i = tuple(int(k) for k in np.argwhere(bad)[0])
            return f"{where}: {int(np.count_nonzero(bad))}/{a.size} values differ, e.g. at {list(i)}: " \
                   f"{a[i]!r} vs torch's {b[i]!r}"
        return None
    if isinstance(theirs, list):
        if not isinstance(ours, list) or len(ours) != len(theirs):
            return f"{where}: expected {len(theirs)} outputs, got {ours!r:.80}"
        for k, (o, t) in enumerate(zip(ours, theirs)):
            r = compare(o, t, tol, values, f"{where}[{k}]")
            if r:
                return r
        return None
    if isinstance(theirs, float) and isinstance(ours, (int, float)):
        rtol, atol = tol("float64")
        if math.isnan(theirs) and math.isnan(ours) or abs(ours - theirs) <= atol + rtol * abs(theirs):
            return None
    elif ours == theirs and type(ours) is type(theirs):
        return None
    return f"{where}: {ours!r:.60} != torch's {theirs!r:.60}"


# ---------------------------------------------------------------- running --
def dtypes_for(torch, info, full_name):
    """The dtypes to replay: float32 and int64 where the op supports them, bool for boolean ops."""
    supported = info.supported_dtypes("cpu")
    out = [d for d in (torch.float32, torch.int64) if d in supported]
    boolean = full_name.startswith(_BOOL_PREFIXES) or not out
    if torch.bool in supported and boolean:
        out.append(torch.bool)
    return out


# OpInfos that pass dropout_p positionally: its index in the sample's args (after the input); they drop only
# when their `training` keyword is true
_POSITIONAL_DROPOUT = {"nn.functional.multi_head_attention_forward": 9}


def _random_sample(s, full_name):
    """A sample whose output is random although its op is not (attention with dropout_p > 0)."""
    p = s.kwargs.get("dropout_p", 0)
    at = _POSITIONAL_DROPOUT.get(full_name)
    if at is not None and len(s.args) > at:
        p = s.args[at] if s.kwargs.get("training", True) else 0
    return isinstance(p, (int, float)) and p > 0


def _sample_text(s):
    def show(x):
        if hasattr(x, "shape") and hasattr(x, "dtype"):
            return f"T{list(x.shape)}:{str(x.dtype).replace('torch.', '')}"
        if isinstance(x, (list, tuple)):
            return "[" + ", ".join(show(y) for y in x) + "]"
        return repr(x)
    parts = [show(s.input)] + [show(a) for a in s.args] + [f"{k}={show(v)}" for k, v in s.kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def replay_op(torch, info, full_name, ours):
    """{'samples', 'agree', 'skipped', 'failures': [...]} for one present op."""
    dmap = _dtype_map(torch)
    res = {"samples": 0, "agree": 0, "skipped": 0, "failures": []}
    random = full_name in RANDOM_OPS
    for dtype in dtypes_for(torch, info, full_name):
        dname = str(dtype).replace("torch.", "")
        tol = tolerance(torch, info, dname)
        try:
            samples = list(info.sample_inputs("cpu", dtype, requires_grad=False))
            if len(samples) > MAX_SAMPLES:
                step = len(samples) / MAX_SAMPLES
                samples = [samples[int(k * step)] for k in range(MAX_SAMPLES)]
        except Exception as e:     # an OpInfo that cannot build its samples here (CUDA-only helpers)
            res["failures"].append({"dtype": dname, "sample": "<building samples>",
                                    "reason": f"skipped: torch could not build samples: {e!r:.120}"})
            continue
        for s in samples:
            try:
                args = to_me(torch, [s.input, *s.args], dmap)
                kwargs = to_me(torch, dict(s.kwargs), dmap)
            except Unconvertible:
                res["skipped"] += 1
                continue
            try:
                expected = _plain(torch, info(s.input, *s.args, **s.kwargs))
            except Exception:        # torch refuses this sample (or its output has no counterpart)
                res["skipped"] += 1
                continue
            res["samples"] += 1
            try:
                got = _plain(torch, ours(*args, **kwargs))
                reason = compare(got, expected, tol, values=not (random or _random_sample(s, full_name)))
            except AttributeError as e:
                if "module 'minexport" in str(e):    # an OpInfo lambda calls a function minexport lacks
                    raise MissingName(str(e)) from None
                reason = f"error: AttributeError: {e}"[:300]
            except Exception as e:
                reason = f"error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
            if reason is None:
                res["agree"] += 1
            else:
                res["failures"].append({"dtype": dname, "sample": _sample_text(s)[:200], "reason": reason})
    return res


def full_name_of(info):
    """The OpInfo's name with its variant: 'nn.functional.feature_alpha_dropout.with_train'."""
    return info.name + ("." + info.variant_test_name if info.variant_test_name else "")


def run(only=None):
    """The whole report as a dict (see the module docstring)."""
    import warnings
    import torch
    from torch.testing._internal.common_methods_invocations import op_db
    torch.manual_seed(0)
    excluded = exclusions()
    ops = {}
    start = time.time()
    for info in op_db:
        full = full_name_of(info)
        if only and full not in only and info.name not in only:
            continue
        why = is_excluded(full, excluded)
        if why is not None:
            ops[full] = {"status": "excluded", "reason": why}
            continue
        ours, how = resolve(torch, info)
        if ours is None:
            ops[full] = {"status": "missing", "reason": how}
            continue
        t0 = time.time()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                entry = replay_op(torch, info, full, ours)
        except MissingName as e:
            ops[full] = {"status": "missing", "reason": str(e)}
            continue
        entry.update(status="present", via=how, seconds=round(time.time() - t0, 3))
        ops[full] = entry
    present = [v for v in ops.values() if v["status"] == "present"]
    return {
        "ops_total": sum(v["status"] != "excluded" for v in ops.values()),
        "ops_excluded": sum(v["status"] == "excluded" for v in ops.values()),
        "ops_present": len(present),
        "samples_total": sum(v["samples"] for v in present),
        "samples_agree": sum(v["agree"] for v in present),
        "samples_skipped": sum(v["skipped"] for v in present),
        "seconds": round(time.time() - start, 1),
        "ops": ops,
    }


def format_report(report, divergences=None, failures_per_op=3):
    """The report as text: totals, then each present op with failures, then the missing ops."""
    divergences = known_divergences() if divergences is None else divergences
    lines = [f"OpInfo replay: {report['ops_present']}/{report['ops_total']} ops present "
             f"({report['ops_excluded']} excluded), {report['samples_agree']}/{report['samples_total']} "
             f"samples agree ({report['samples_skipped']} skipped: unconvertible or refused by torch), "
             f"{report['seconds']} s"]
    for name, v in sorted(report["ops"].items()):
        if v["status"] == "present" and v["failures"]:
            known = " [known divergence]" if name in divergences else ""
            lines.append(f"  DISAGREES {name}{known}: {v['agree']}/{v['samples']} via {v['via']}")
            for f in v["failures"][:failures_per_op]:
                lines.append(f"      {f['dtype']} {f['sample']}: {f['reason']}")
    missing = sorted(n for n, v in report["ops"].items() if v["status"] == "missing")
    lines.append(f"  missing ({len(missing)}): " + ", ".join(missing))
    return "\n".join(lines)


def write_json(report, path=None):
    """Write the report as JSON (default: a fresh file under the temp dir); returns the path."""
    if path is None:
        fd, path = tempfile.mkstemp(prefix="opinfo_report_", suffix=".json")
        os.close(fd)
    pathlib.Path(path).write_text(json.dumps(report, indent=1, default=str))
    return path


def main(argv=None):
    """CLI: print the report and write its JSON."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", help="where to write the JSON report (default: a temp file)")
    p.add_argument("--ops", nargs="*", help="only these OpInfo names")
    p.add_argument("--all-failures", action="store_true", help="list every failing sample")
    a = p.parse_args(argv)
    report = run(set(a.ops) if a.ops else None)
    print(format_report(report, failures_per_op=10 ** 9 if a.all_failures else 3))
    print("JSON:", write_json(report, a.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
