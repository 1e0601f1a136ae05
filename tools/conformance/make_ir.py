"""Regenerate spec/conformance/ir/: one vector per IR feature, written by torch 2.13.

    python tools/conformance/make_ir.py [-k PATTERN]

Needs torch.  Every case is a small program exported by torch.export.export (TRAINING dialect) and, where
run_decompositions() changes the operators, also in the ATEN dialect (`<case>_aten`).  A program with
several input sets gets one folder per set (`<case>__<label>`); inputs it must refuse are `expect: "error"`
vectors, written only after torch itself refused them.  Each vector is proven here: the outputs stored are
those of `torch.export.load(model.pt2).module()` on the stored inputs.
"""
import argparse
import dataclasses
import pathlib
import shutil
import sys

import torch
import torch.utils._pytree as pytree
from torch.export import Dim

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tools.conformance._write import flat_arrays, op_names, write_case  # noqa: E402

OUT = ROOT / "spec" / "conformance" / "ir"
sys.path.insert(0, str(OUT))
import scaled_add_fixture  # noqa: E402

scaled_add_fixture.register(torch.library)


# ---------------------------------------------------------------- the programs

class Lifted(torch.nn.Module):
    """Parameters, a persistent and a non-persistent buffer, a tensor attribute and a tensor literal."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 4)
        self.register_buffer("scale", torch.linspace(0.5, 2.0, 4))
        self.register_buffer("shift", torch.ones(4), persistent=False)
        self.offset = torch.arange(4.0)

    def forward(self, x):
        return self.lin(x) * self.scale + self.shift + self.offset + torch.tensor([1.0, -1.0, 2.0, -2.0])


class BufferMutation(torch.nn.Module):
    """A buffer updated in place (a running mean); the output reads the updated value."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(3))
        self.register_buffer("steps", torch.zeros((), dtype=torch.int64))

    def forward(self, x):
        self.mean.mul_(0.9).add_(x.mean(0) * 0.1)
        self.steps.add_(1)
        return x - self.mean, self.steps * 2


class InputMutation(torch.nn.Module):
    """A user input updated in place; the output reads the updated input."""

    def forward(self, x, y):
        x.add_(y)
        y.mul_(2)
        return x * y


class DictListIO(torch.nn.Module):
    """Nested dict/list/tuple inputs and outputs, a keyword tensor input and an int input."""

    def forward(self, d, pair, n, *, bias):
        a = d["a"] + pair[0] * n
        return {"sum": a + bias, "parts": [pair[1] - d["b"][0], (d["b"][1].relu(),)]}, a.sum()


@dataclasses.dataclass
class Features:
    values: torch.Tensor
    weight: torch.Tensor


@dataclasses.dataclass
class Scored:
    score: torch.Tensor
    total: torch.Tensor


torch.export.register_dataclass(Features, serialized_type_name="confir.Features")
torch.export.register_dataclass(Scored, serialized_type_name="confir.Scored")


class DataclassIO(torch.nn.Module):
    """A dataclass in, a dataclass out (registered as `confir.Features` / `confir.Scored`)."""

    def forward(self, f):
        s = f.values * f.weight
        return Scored(score=s.softmax(-1), total=s.sum(-1))


class DynamicBatch(torch.nn.Module):
    """A dynamic batch dim in [2, 16] shared by two inputs; the feature dim is static."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 2)

    def forward(self, x, y):
        return self.lin(x + y).tanh(), x.shape[0] * 2


class Derived(torch.nn.Module):
    """Derived dims: x has 2*b rows, y has b + 1."""

    def forward(self, x, y):
        return x[::2] + y[1:], x.reshape(-1, 2).sum(1)


class ItemAssert(torch.nn.Module):
    """An unbacked value from .item(), checked 1 <= n <= 5 (runtime asserts), used as a size."""

    def forward(self, x, n):
        k = n.item()
        torch._check(k >= 1)
        torch._check(k <= 5)
        return x[:k] * 2, torch.zeros(k, 2) + k


class Nonzero(torch.nn.Module):
    """An unbacked row count from nonzero()."""

    def forward(self, x):
        idx = torch.nonzero(x > 0)
        return idx, idx.shape[0] + 1


class Cond(torch.nn.Module):
    """torch.cond on a data-dependent predicate, with a parameter read in one branch."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([1.5, -0.5, 2.0]))

    def forward(self, x):
        return torch.cond(x.sum() > 0, lambda x: x * self.w, lambda x: x.cos() - 1, (x,))


class Map(torch.nn.Module):
    """higher-order map over the leading dim, with an extra operand."""

    def forward(self, xs, y):
        from torch._higher_order_ops.map import map as hop_map
        return hop_map(lambda x, y: (x * y).sin() + x, xs, y)


class WhileLoop(torch.nn.Module):
    """while_loop: double x until its sum passes a limit, counting steps."""

    def forward(self, i, x):
        from torch._higher_order_ops.while_loop import while_loop
        return while_loop(lambda i, x: x.sum() < 100.0, lambda i, x: (i + 1, x * 2.0), (i, x))


class Scan(torch.nn.Module):
    """scan: a running sum with a carried state and stacked outputs."""

    def forward(self, init, xs):
        from torch._higher_order_ops.scan import scan

        def step(carry, x):
            nxt = carry + x
            return nxt, nxt * 2
        return scan(step, init, xs)


class CustomOp(torch.nn.Module):
    """A custom op (confir::scaled_add, registered by scaled_add_fixture.py) between aten ops."""

    def forward(self, x, y):
        return torch.ops.confir.scaled_add(x.relu(), y, 0.5).exp()


# ---------------------------------------------------------------- the cases

def _r(*shape, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed + 1000 * len(shape) + sum(shape))
    if dtype.is_floating_point:
        return torch.randn(*shape, generator=g).to(dtype)
    return torch.randint(-5, 6, shape, generator=g).to(dtype)


@dataclasses.dataclass
class Case:
    name: str
    model: object
    args: tuple
    about: str
    kwargs: dict = dataclasses.field(default_factory=dict)
    dynamic_shapes: object = None
    runs: dict = dataclasses.field(default_factory=dict)      # label -> (args, kwargs)
    errors: dict = dataclasses.field(default_factory=dict)    # label -> (args, kwargs)
    rtol: float = 1e-5
    atol: float = 1e-6
    extra: dict = dataclasses.field(default_factory=dict)


def _b(n):
    return (_r(n, 4, seed=n), _r(n, 4, seed=n + 50))


CASES = [
    Case("lifted_state", Lifted(), (_r(2, 3),), "parameters, buffers (persistent and not) and constants lifted"),
    Case("buffer_mutation", BufferMutation(), (_r(5, 3),), "buffers mutated in place; outputs read new values"),
    Case("input_mutation", InputMutation(), (_r(2, 3), _r(2, 3, seed=1)), "user inputs mutated in place"),
    Case("pytree_dict_list", DictListIO(), ({"a": _r(2, 3), "b": [_r(2, 3, seed=1), _r(3, seed=2)]},
                                            (_r(2, 3, seed=3), _r(2, 3, seed=4)), 3),
         "dict/list/tuple inputs and outputs, a constant int input (not stored) and a keyword tensor",
         kwargs={"bias": _r(3, seed=5)}),
    Case("pytree_dataclass", DataclassIO(), (Features(_r(2, 5), _r(5, seed=1)),),
         "dataclass input and output (serialized types confir.Features, confir.Scored)",
         extra={"pytree_types": {"confir.Features": ["values", "weight"], "confir.Scored": ["score", "total"]}}),
    Case("dynamic_batch", DynamicBatch(), _b(3), "a dynamic dim b in [2, 16] shared by two inputs",
         dynamic_shapes={"x": {0: Dim("b", min=2, max=16)}, "y": {0: Dim("b", min=2, max=16)}},
         runs={"b2": (_b(2), {}), "b7": (_b(7), {}), "b16": (_b(16), {})},
         errors={"wrong_rank": ((_r(3, 4, 1), _r(3, 4, 1)), {}), "too_big": (_b(17), {}),
                 "too_small": (_b(1), {}), "broken_relation": ((_r(3, 4), _r(5, 4)), {}),
                 "wrong_static": ((_r(3, 5), _r(3, 5)), {}),
                 "wrong_dtype": ((_r(3, 4, dtype=torch.float64), _r(3, 4, dtype=torch.float64)), {})}),
    Case("derived_dim", Derived(), (_r(6, seed=1), _r(4, seed=2)), "derived dims: x has 2*b rows, y has b+1",
         dynamic_shapes=(lambda b: {"x": {0: 2 * b}, "y": {0: b + 1}})(Dim("b", min=2, max=32)),
         runs={"b2": ((_r(4), _r(3)), {}), "b9": ((_r(18), _r(10)), {})},
         errors={"broken_derivation": ((_r(6), _r(5)), {}), "odd_rows": ((_r(7), _r(4)), {})}),
    Case("unbacked_item", ItemAssert(), (_r(6, 2), torch.tensor(3)),
         "an unbacked size from .item() with runtime asserts 1 <= n <= 5",
         runs={"n1": ((_r(6, 2), torch.tensor(1)), {}), "n5": ((_r(6, 2), torch.tensor(5)), {})},
         errors={"assert_high": ((_r(6, 2), torch.tensor(6)), {}), "assert_low": ((_r(6, 2), torch.tensor(0)), {})}),
    Case("unbacked_nonzero", Nonzero(), (_r(3, 4),), "an unbacked row count from nonzero",
         runs={"none": ((-_r(3, 4).abs() - 1,), {}), "all": ((_r(3, 4).abs() + 1,), {})}),
    Case("cond", Cond(), (_r(3).abs(),), "torch.cond on a data-dependent predicate",
         runs={"false": ((-_r(3).abs(),), {})}),
    Case("map", Map(), (_r(4, 3), _r(3, seed=1)), "higher-order map over the leading dim"),
    Case("while_loop", WhileLoop(), (torch.tensor(0), _r(2, 2).abs() + 0.5), "while_loop with a counter",
         runs={"long": ((torch.tensor(0), torch.full((2, 2), 0.01)), {})}),
    Case("scan", Scan(), (_r(3), _r(5, 3, seed=1)), "scan: carried state and stacked outputs"),
    Case("custom_op", CustomOp(), (_r(2, 3), _r(2, 3, seed=1)),
         "a custom op registered by scaled_add_fixture.py", extra={"fixture": "scaled_add_fixture.py"}),
]


# ---------------------------------------------------------------- writing

def _run_torch(path, args, kwargs):
    """The flat outputs of the saved archive run by torch on fresh copies of the inputs."""
    args, kwargs = pytree.tree_map(lambda t: t.clone() if isinstance(t, torch.Tensor) else t, (args, kwargs))
    return torch.export.load(str(path)).module()(*args, **kwargs)


def _write_dialect(case, ep, dialect, suffix):
    base = case.name + suffix
    sets = {"": (case.args, case.kwargs), **{f"__{k}": v for k, v in case.runs.items()}}
    written = []
    for label, (args, kwargs) in sets.items():
        path = OUT / (base + label)
        flat_in = flat_arrays((args, kwargs), tensors_only=True)
        common = dict(ops=op_names(ep), dialect=dialect, rtol=case.rtol, atol=case.atol, group="ir", **case.extra)
        # written once to get the archive torch reloads, then again with the outputs of that reload
        write_case(path, ep, flat_in, [], expect="run", about=case.about, **common)
        outputs = flat_arrays(_run_torch(path / "model.pt2", args, kwargs))
        write_case(path, ep, flat_in, outputs, expect="run", about=case.about, **common)
        written.append(path.name)
    for label, (args, kwargs) in case.errors.items():
        path = OUT / f"{base}__{label}"
        common = dict(ops=op_names(ep), dialect=dialect, rtol=case.rtol, atol=case.atol, group="ir", **case.extra)
        write_case(path, ep, flat_arrays((args, kwargs), tensors_only=True), [], expect="error",
                   about=f"{case.about}; refused: {label.replace('_', ' ')}", **common)
        try:
            _run_torch(path / "model.pt2", args, kwargs)
        except Exception as e:           # torch refused it: the vector stands
            print(f"  {path.name}: torch refuses ({type(e).__name__}: {str(e).splitlines()[0][:90]})")
            written.append(path.name)
            continue
        shutil.rmtree(path)
        print(f"  {path.name}: torch accepts these inputs; no error vector written")
    return written


def main(argv=None):
    """Write every case matching -k (all by default)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", default="")
    opts = ap.parse_args(argv)
    for case in CASES:
        if opts.k not in case.name:
            continue
        for old in OUT.glob(case.name + "*"):
            if old.is_dir() and (old.name == case.name or old.name[len(case.name):].startswith(("__", "_aten"))):
                shutil.rmtree(old)
        ep = torch.export.export(case.model, case.args, case.kwargs, dynamic_shapes=case.dynamic_shapes)
        names = _write_dialect(case, ep, "TRAINING", "")
        aten = ep.run_decompositions()
        if op_names(aten) != op_names(ep):
            names += _write_dialect(case, aten, "ATEN", "_aten")
        print(f"{case.name}: {len(names)} vectors")


if __name__ == "__main__":
    main()
