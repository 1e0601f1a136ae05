"""Generate spec/conformance/ops/: one torch-exported program per (op overload, sample), from torch 2.13.

    python tools/conformance/make_ops.py [-k SUBSTRING] [--out spec/conformance/ops]

For every overload minexport registers, the sample rows of tests/op_samples*.py give
the arguments.  Each chosen sample becomes a one-op module: its tensors are the
program's inputs, everything else is baked in as a constant.  A strided sample
tensor keeps its strides through the program (the input holds the dense storage and
the program permutes or slices it), so stride-sensitive ops see what the sample means.
The program is exported (TRAINING dialect) and saved with torch's outputs; when
`run_decompositions()` changes the graph a second case holds the ATen-dialect program.
Ops torch cannot export with any sample are listed, with torch's reason, in INDEX.md.
"""
import argparse
import json
import math
import pathlib
import shutil
import sys
import time
import warnings

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import minexport as me  # noqa: E402
from minexport.ops import all_ops  # noqa: E402
from op_samples import RANDOM, SAMPLES, TOLERANCE, Sample, T  # noqa: E402
from tools.conformance._write import graph_ops, write_case  # noqa: E402

# how many samples an overload gets: every core op a few, the others fewer (the disk budget)
SAMPLES_PER_OP = {"core": 3, "other": 1}
# the ATen-dialect twin is stored for this many of an overload's samples
ATEN_PER_OP = {"core": 3, "other": 1}
# (rtol, atol) by the least precise floating dtype among the outputs
TOLERANCE_BY_DTYPE = {torch.float16: (1e-3, 1e-3), torch.bfloat16: (1e-2, 1e-2), torch.float32: (1e-5, 1e-6),
                      torch.float64: (1e-7, 1e-9), torch.complex64: (1e-5, 1e-6), torch.complex128: (1e-7, 1e-9)}
MEMORY_FORMATS = ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format")
MAX_ELEMENTS = 4096       # larger sample inputs are passed over (the disk budget)
MAX_TWIN_BYTES = 16_000   # a larger ATen-dialect archive of a non-core overload is left out (the disk budget)


def _complex(*shape):
    """A complex64 input, as a NumPy array (minexport has no complex dtype; the program's input is torch's)."""
    rng = np.random.default_rng(7)
    return (rng.uniform(-2, 2, shape) + 1j * rng.uniform(-2, 2, shape)).astype(np.complex64)


# rows for overloads whose rows in the sample table are all ones the op refuses (complex-only ops)
EXTRA_SAMPLES = {
    "aten._fft_r2c.default": lambda: [Sample(T(4, 6), [1], 0, True), Sample(T(3, 4), [0, 1], 2, False)],
    "aten._fft_c2r.default": lambda: [Sample(_complex(4, 3), [1], 0, 4), Sample(_complex(2, 5), [0, 1], 2, 8)],
    "aten.imag.default": lambda: [Sample(_complex(2, 3))],
}


class _Slot:
    """Where program input `i` goes in an op's argument template."""

    def __init__(self, i):
        self.i = i


def _layout(t):
    """How a strided sample tensor is rebuilt in the program: ("dense"|"permute"|"slice2", detail)."""
    shape, strides = tuple(t.shape), tuple(t.stride())
    if t.is_contiguous() or t.numel() <= 1:
        return "dense", None
    # a permutation of a dense tensor (transposes, channels_last): order dims by stride
    order = sorted(range(len(shape)), key=lambda d: (-strides[d], d))
    expect, dense = 1, True
    for d in reversed(order):
        if shape[d] != 1 and strides[d] != expect:
            dense = False
        expect *= shape[d]
    if dense:
        return "permute", order
    # every other element of a dense tensor along the last dim (op_samples' T(..., noncontig=True))
    wide = shape[:-1] + (shape[-1] * 2,)
    base = [int(np.prod(wide[d + 1:])) for d in range(len(wide))]
    if strides == tuple(base[:-1]) + (2,):
        return "slice2", None
    return "dense", None


def _stored(t, layout):
    """The dense array the program input holds for sample tensor `t` rebuilt by `layout`."""
    arr = np.array(t.numpy(force=True), copy=True)
    kind, detail = layout
    if kind == "permute":
        return np.array(arr.transpose(detail), order="C")
    if kind == "slice2":
        wide = np.zeros(arr.shape[:-1] + (arr.shape[-1] * 2,), arr.dtype)
        wide[..., ::2] = arr
        return wide
    return np.array(arr, order="C")       # (ascontiguousarray would make a 0-d array 1-d)


def _rebuild(x, layout):
    """In the program: the sample's strided tensor from its dense input."""
    kind, detail = layout
    if kind == "permute":
        inverse = [detail.index(d) for d in range(len(detail))]
        return x.permute(inverse)
    if kind == "slice2":
        return x[..., ::2]
    return x


def _template(value, slots, arrays, layouts):
    """The argument with tensors replaced by input slots and minexport constants by torch's."""
    if isinstance(value, me.Tensor):
        slots.append(len(slots))
        layouts.append(_layout(value))
        arrays.append(_stored(value, layouts[-1]))
        return _Slot(slots[-1])
    if isinstance(value, np.ndarray):       # an input minexport cannot hold (complex): stored as it is
        slots.append(len(slots))
        layouts.append(("dense", None))
        arrays.append(value)
        return _Slot(slots[-1])
    if isinstance(value, me.dtype):
        return getattr(torch, value.name)
    if isinstance(value, me.device):
        return torch.device(str(value))
    if isinstance(value, str) and value in MEMORY_FORMATS:
        return getattr(torch, value)
    if isinstance(value, (list, tuple)):
        return type(value)(_template(v, slots, arrays, layouts) for v in value)
    if isinstance(value, dict):
        return {k: _template(v, slots, arrays, layouts) for k, v in value.items()}
    return value


def _fill(value, xs):
    if isinstance(value, _Slot):
        return xs[value.i]
    if isinstance(value, (list, tuple)):
        return type(value)(_fill(v, xs) for v in value)
    if isinstance(value, dict):
        return {k: _fill(v, xs) for k, v in value.items()}
    return value


class OneOp(torch.nn.Module):
    """A program calling one overload on its inputs (rebuilt to the sample's strides) and baked constants."""

    def __init__(self, op, args, kwargs, layouts):
        super().__init__()
        self.op, self.args, self.kwargs, self.layouts = op, args, kwargs, layouts

    def forward(self, *xs):
        xs = [_rebuild(x, lay) for x, lay in zip(xs, self.layouts)]
        out = self.op(*_fill(self.args, xs), **_fill(self.kwargs, xs))
        # an op returning nothing (a check) passes its first input through: an archive needs an output
        return xs[0] if out is None and xs else out


def _torch_op(name):
    _, packet, overload = name.split(".")
    return getattr(getattr(torch.ops.aten, packet), overload)


def _features(sample):
    """What a sample covers: dtypes, strided, empty, broadcasting shapes, rank (for picking diverse ones)."""
    tensors = []

    def walk(v):
        if isinstance(v, me.Tensor):
            tensors.append(v)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
    walk(list(sample.args) + list(sample.kwargs.values()))
    feats = {f"dtype:{t.dtype.name}" for t in tensors}
    feats |= {"strided" for t in tensors if not t.is_contiguous()}
    feats |= {"empty" for t in tensors if t.numel() == 0}
    feats |= {"scalar-tensor" for t in tensors if t.dim() == 0}
    if len({tuple(t.shape) for t in tensors}) > 1:
        feats.add("broadcast")
    feats.add(f"rank:{max((t.dim() for t in tensors), default=0)}")
    size = sum(t.numel() for t in tensors)
    return feats, size


def _pick(samples, k):
    """Up to k sample indices, greedily adding whichever covers most features not yet covered."""
    feats = [_features(s) for s in samples]
    chosen, covered = [], set()
    candidates = [i for i, (_, size) in enumerate(feats) if size <= MAX_ELEMENTS]
    while candidates and len(chosen) < k:
        best = max(candidates, key=lambda i: (len(feats[i][0] - covered), -i))
        chosen.append(best)
        covered |= feats[best][0]
        candidates.remove(best)
    return chosen


def _flat_outputs(out):
    return [o for o in torch.utils._pytree.tree_leaves(out)]


def _tolerance(name, outputs):
    if name in TOLERANCE:
        return TOLERANCE[name]
    floats = [o.dtype for o in outputs if isinstance(o, torch.Tensor) and (o.is_floating_point() or o.is_complex())]
    tols = [TOLERANCE_BY_DTYPE.get(d, (1e-5, 1e-6)) for d in floats]
    return max(tols, default=(1e-5, 1e-6))


def _signature(ep):
    return [(n.op, str(n.target)) for n in ep.graph.nodes]


def _short(e):
    text = f"{type(e).__name__}: {e}".strip().splitlines()[0]
    return text if len(text) <= 160 else text[:157] + "..."


def _check_outputs(out):
    """Refuse outputs a vector cannot hold (None inside a list, opaque objects)."""
    for o in _flat_outputs(out):
        if not isinstance(o, (torch.Tensor, bool, int, float)):
            raise TypeError(f"output of type {type(o).__name__} cannot be stored")


def _proved(path):
    """None when torch's own loader reproduces the stored case at `path`, else why not."""
    from minexport.conform import Case, run_case
    from tools.conformance.torch_runtime import run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_case(Case(path), run)
    return None if result.status == "passed" else result.message


def _write_proved(path, ep, inputs, outputs, **fields):
    """write_case, then drop the case unless torch.export.load reproduces it; None or the reason."""
    try:
        write_case(path, ep, inputs, outputs, **fields)
    except Exception as e:      # torch.export.save cannot write this program
        shutil.rmtree(path, ignore_errors=True)
        return f"torch.export.save failed: {_short(e)}"
    problem = _proved(path)
    if problem:
        shutil.rmtree(path)
        return f"torch cannot rerun its saved program: {problem[:150]}"
    return None


def make_op(name, out_dir, core):
    """Write the cases of one overload; ({"TRAINING": n, "ATEN": m}, reasons for skipped samples)."""
    op = _torch_op(name)
    samples = SAMPLES[name]() + EXTRA_SAMPLES.get(name, list)()
    kind = "core" if core else "other"
    picks = _pick(samples, len(samples))
    made, skipped = {"TRAINING": 0, "ATEN": 0}, []
    written = 0
    for index in picks:
        if written >= SAMPLES_PER_OP[kind]:
            break
        sample = samples[index]
        slots, arrays, layouts = [], [], []
        args = _template(list(sample.args), slots, arrays, layouts)
        kwargs = _template(dict(sample.kwargs), slots, arrays, layouts)
        module = OneOp(op, args, kwargs, layouts)
        inputs = [torch.from_numpy(a.copy()) for a in arrays]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = module(*[x.clone() for x in inputs])
                _check_outputs(expected)
                ep = torch.export.export(module, tuple(x.clone() for x in inputs))
                got = ep.module()(*[x.clone() for x in inputs])
        except Exception as e:      # the op refuses this sample, or torch cannot export it
            skipped.append(f"sample {index} {sample}: {_short(e)}")
            continue
        outputs = _flat_outputs(expected)
        rtol, atol = _tolerance(name, outputs)
        compare = "shape_dtype" if name in RANDOM else "values"
        about = f"{name} on sample {index} {sample}"
        extra = {"group": "ops", "target": name, "core": core, "sample": index}
        if compare != "values":
            extra["compare"] = compare
        if compare == "values" and not _same(outputs, _flat_outputs(got), rtol, atol):
            skipped.append(f"sample {index} {sample}: torch's exported program differs from eager")
            continue
        case = f"{name[len('aten.'):]}-{index}"
        problem = _write_proved(out_dir / case, ep, inputs, outputs, ops=graph_ops(ep), dialect="TRAINING",
                                rtol=rtol, atol=atol, expect="run", about=about, **extra)
        if problem:
            skipped.append(f"sample {index} {sample}: {problem}")
            continue
        made["TRAINING"] += 1
        written += 1
        if made["ATEN"] >= ATEN_PER_OP[kind]:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                aten = ep.run_decompositions()
        except Exception as e:      # torch's own decomposition fails: only the TRAINING vector
            skipped.append(f"sample {index}: run_decompositions() failed: {_short(e)}")
            continue
        if _signature(aten) == _signature(ep):
            continue
        problem = _write_proved(out_dir / f"{case}-aten", aten, inputs, outputs, ops=graph_ops(aten),
                                dialect="ATEN", rtol=rtol, atol=atol, expect="run",
                                about=about + " after run_decompositions()", **extra)
        if problem:
            skipped.append(f"sample {index}, ATen dialect: {problem}")
            continue
        made["ATEN"] += 1
    return made, skipped


def _same(a, b, rtol, atol):
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, torch.Tensor):
            if not isinstance(y, torch.Tensor) or x.shape != y.shape or x.dtype != y.dtype:
                return False
            if not torch.allclose(x.to(torch.complex128 if x.is_complex() else torch.float64),
                                  y.to(torch.complex128 if y.is_complex() else torch.float64),
                                  rtol=rtol, atol=atol, equal_nan=True):
                return False
        elif not (x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))):
            return False
    return True


def prune_large_twins(out_dir, table):
    """Leave out the ATen-dialect twins of non-core overloads whose archive passes MAX_TWIN_BYTES."""
    for twin in sorted(out_dir.glob("*-aten")):
        meta = json.loads((twin / "case.json").read_text())
        size = (twin / "model.pt2").stat().st_size
        if meta["core"] or size <= MAX_TWIN_BYTES:
            continue
        shutil.rmtree(twin)
        row = table[meta["target"]]
        row["made"]["ATEN"] -= 1
        row["skipped"].append(f"sample {meta['sample']}: ATen-dialect twin left out ({size // 1000} KB archive)")


def write_index(out_dir, table):
    """INDEX.md: every registered overload, its vectors by dialect, and why any sample was skipped."""
    # whether torch's TRAINING program records the overload itself (a CompositeImplicit op records others)
    recorded = {}
    for case in out_dir.glob("*/case.json"):
        meta = json.loads(case.read_text())
        if meta["dialect"] == "TRAINING":
            recorded[meta["target"]] = recorded.get(meta["target"], False) or meta["target"] in meta["ops"]
    n = len(table)
    covered = sum(1 for row in table.values() if row["made"]["TRAINING"])
    core = [r for r in table.values() if r["core"]]
    lines = ["# Conformance vectors: ops", "",
             "Generated by `python tools/conformance/make_ops.py`; do not edit by hand.", "",
             f"{covered} of {n} registered overloads have a vector ({100 * covered / n:.1f}%); "
             f"{sum(1 for r in core if r['made']['TRAINING'])} of {len(core)} core overloads. "
             f"{sum(r['made']['TRAINING'] for r in table.values())} TRAINING-dialect and "
             f"{sum(r['made']['ATEN'] for r in table.values())} ATen-dialect cases.", "",
             "`recorded`: the TRAINING program holds the overload itself (no: torch's export records "
             "other ops for it).", "",
             "| overload | core | recorded | TRAINING | ATEN | skipped samples (torch's reason) |",
             "|---|---|---|---|---|---|"]
    for name in sorted(table):
        row = table[name]
        reasons = "; ".join(row["skipped"]).replace("|", "\\|")
        rec = {True: "yes", False: "no"}.get(recorded.get(name), "")
        lines.append(f"| `{name}` | {'core' if row['core'] else ''} | {rec} | {row['made']['TRAINING']} | "
                     f"{row['made']['ATEN']} | {reasons} |")
    (out_dir / "INDEX.md").write_text("\n".join(lines) + "\n")


def main(argv=None):
    """Regenerate the ops vectors (all, or the overloads whose name contains -k)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", dest="pattern", help="only overloads whose name contains this")
    parser.add_argument("--out", default=str(ROOT / "spec" / "conformance" / "ops"))
    parser.add_argument("--index-only", action="store_true", help="only prune large twins and rewrite INDEX.md")
    args = parser.parse_args(argv)
    out_dir = pathlib.Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    ops = {str(op): op for op in all_ops()}
    names = sorted(n for n in ops if not args.pattern or args.pattern in n)
    index_path = out_dir / "index.json"
    table = json.loads(index_path.read_text()) if index_path.exists() else {}
    start = time.time()
    for i, name in enumerate([] if args.index_only else names):
        core = "core" in ops[name].tags
        for old in out_dir.glob(f"{name[len('aten.'):]}-*"):       # a regenerated op replaces its cases
            if old.name.split("-")[0] == name[len("aten."):]:
                shutil.rmtree(old)
        try:
            made, skipped = make_op(name, out_dir, core)
        except Exception as e:      # building the samples themselves failed
            made, skipped = {"TRAINING": 0, "ATEN": 0}, [f"no samples: {_short(e)}"]
        table[name] = {"core": core, "made": made, "skipped": skipped}
        print(f"[{i + 1}/{len(names)} {time.time() - start:.0f}s] {name}: {made['TRAINING']}+{made['ATEN']}"
              + (f" ({len(skipped)} skipped)" if skipped else ""), flush=True)
    # forget overloads minexport no longer registers
    table = {k: v for k, v in table.items() if k in ops}
    prune_large_twins(out_dir, table)
    index_path.write_text(json.dumps(table, indent=0, sort_keys=True) + "\n")
    write_index(out_dir, table)


if __name__ == "__main__":
    main()
