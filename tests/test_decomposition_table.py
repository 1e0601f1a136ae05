"""run_decompositions() against torch 2.13's default decomposition table.

1. Which ops are rewritten: for every ATen overload minexport registers,
   `decomposes_by_default(op)` (the op has a `decomposition=`) must say what
   `torch.export.default_decompositions()` says (the op is a key of it).
   Left out of the comparison:
   - ops with a CompositeImplicitAutograd kernel in torch: torch's export
     decomposes those while tracing, before any table is consulted, so its
     table lists them whatever run_decompositions would do;
   - ops that mutate an input (`add_`, `fill_`, ...): both sides replace them
     with their functional form during functionalization, table or not.
   Any other difference must be a named, reasoned entry in `DIFFERENCES`.
2. What they are rewritten into: the multiset of ops in
   `export(...).run_decompositions()` must equal torch's, for a hand-written
   case each of the ops whose core graphs have differed before (`CASES`), and
   for the first sample (tests/op_samples*.py) torch accepts of every op both
   decompose (`GRAPH_DIFFERENCES` names the few that still differ, and why).
"""
import collections

import numpy as np
import pytest
from op_samples import SAMPLES
from test_ops import _to_torch

import minexport as me
from minexport.export import export
from minexport.ops import aten as me_aten
from minexport.ops import all_ops
from minexport.ops.core import decomposes_by_default

torch = pytest.importorskip("torch")

# op -> why minexport treats it differently from torch's table (kept small; each entry says why)
DIFFERENCES = {
    # torch's table keeps it, but torch's re-trace turns it into clone anyway (proxy tracing of a
    # constant's lift); minexport gets the same clone from the op's decomposition
    "aten.lift_fresh_copy.default": "torch records clone through tracing, not through its table",
    # torch's table has no entry, yet run_decompositions() still rewrites it (functionalization routes it to
    # _native_batch_norm_legit*), which is what minexport's decomposition produces
    "aten.native_batch_norm.default": "torch rewrites it during functionalization, not through its table",
}


def _torch_overload(op):
    return getattr(getattr(torch.ops.aten, op.op_name), op.overload_name or "default")


def _compared_ops():
    """(minexport op, torch op) for every aten overload the table comparison covers (see the docstring)."""
    for op in all_ops():
        if op.namespace != "aten" or op.is_mutating:
            continue
        theirs = _torch_overload(op)
        if torch._C._dispatch_has_kernel_for_dispatch_key(theirs.name(), "CompositeImplicitAutograd"):
            continue
        yield op, theirs


def test_default_table_matches_torch():
    """An op is decomposed by default exactly when torch 2.13's default table decomposes it."""
    table = torch.export.default_decompositions()
    ours_only, theirs_only = [], []
    for op, theirs in _compared_ops():
        mine, torchs = decomposes_by_default(op), theirs in table
        if mine != torchs and str(op) not in DIFFERENCES:
            (ours_only if mine else theirs_only).append(str(op))
    assert not ours_only and not theirs_only, (
        f"decomposed by minexport but kept by torch: {sorted(ours_only)}; "
        f"decomposed by torch but kept by minexport: {sorted(theirs_only)}")


def test_differences_are_real():
    """Every entry of DIFFERENCES names a compared op whose treatment really differs (none goes stale)."""
    table = torch.export.default_decompositions()
    differing = {str(op) for op, theirs in _compared_ops() if decomposes_by_default(op) != (theirs in table)}
    assert set(DIFFERENCES) <= differing, sorted(set(DIFFERENCES) - differing)


# ------------------------------------------------------------ the ops produced --
def _aten(lib):
    return torch.ops.aten if lib is torch else me_aten


def _write_through_select(a):
    a[1].add_(1)
    return a * 2


def _pad(mode, pad):
    return lambda L, A: lambda a: L.nn.functional.pad(a, pad, mode=mode)


def _interp(mode, **kw):
    return lambda L, A: lambda a: L.nn.functional.interpolate(a, scale_factor=2, mode=mode, **kw)


# name -> (the function of (library, its aten namespace), the input shapes); inputs are float32 randn
CASES = {
    "max.default": (lambda L, A: lambda a: A.max.default(a), [(2, 3)]),
    "round.decimals": (lambda L, A: lambda a: A.round.decimals(a, decimals=2), [(3,)]),
    "remainder.Scalar_Tensor": (lambda L, A: lambda a: A.remainder.Scalar_Tensor(3, a), [(3,)]),
    "scatter.value_reduce": (lambda L, A: lambda a: A.scatter.value_reduce(
        a, 0, L.zeros(1, 3, dtype=L.int64), 2.0, reduce="multiply"), [(3, 3)]),
    "rand_like": (lambda L, A: lambda a: A.rand_like.default(a), [(3,)]),
    "rsub.Scalar": (lambda L, A: lambda a: A.rsub.Scalar(a, 2, alpha=3), [(3,)]),
    "triu": (lambda L, A: lambda a: A.triu.default(a, 1), [(3, 4)]),
    "tril": (lambda L, A: lambda a: A.tril.default(a, -1), [(3, 4)]),
    "nanmean": (lambda L, A: lambda a: A.nanmean.default(a, [1]), [(3, 4)]),
    "fill.Scalar": (lambda L, A: lambda a: A.fill.Scalar(a, 2.0), [(3, 4)]),
    "squeeze.dim": (lambda L, A: lambda a: A.squeeze.dim(a, 1), [(3, 1, 4)]),
    "select_scatter": (lambda L, A: lambda a, b: A.select_scatter.default(a, b, 1, -1), [(3, 4), (3,)]),
    "write through select": (lambda L, A: _write_through_select, [(3, 4)]),
    "reflection_pad2d": (lambda L, A: lambda a: A.reflection_pad2d.default(a, [1, 2, 0, 1]), [(2, 3, 5, 5)]),
    "replication_pad3d": (lambda L, A: lambda a: A.replication_pad3d.default(a, [1, 0, 2, 1, 0, 1]),
                          [(1, 2, 3, 4, 5)]),
    "pad reflect": (_pad("reflect", [1, 2]), [(2, 3, 5)]),
    "pad replicate": (_pad("replicate", [1, 2, 1, 1]), [(2, 3, 5, 5)]),
    "pad circular 1d": (_pad("circular", [1, 2]), [(2, 3, 5)]),
    "pad circular 2d": (_pad("circular", [1, 2, 2, 0]), [(2, 3, 5, 6)]),
    "pad circular crop": (_pad("circular", [-1, 2]), [(2, 3, 5)]),
    "native_layer_norm_backward": (lambda L, A: lambda g, x, m, r, w, b: A.native_layer_norm_backward.default(
        g, x, [4], m, r, w, b, [True, True, True]), [(3, 4), (3, 4), (3, 1), (3, 1), (4,), (4,)]),
    "native_group_norm_backward": (lambda L, A: lambda g, x, m, r, w: A.native_group_norm_backward.default(
        g, x, m, r, w, 2, 4, 3, 2, [True, True, True]), [(2, 4, 3), (2, 4, 3), (2, 2), (2, 2), (4,)]),
    "embedding_dense_backward": (lambda L, A: lambda g: A.embedding_dense_backward.default(
        g, L.tensor([[1, 2], [1, 5]]), 10, 2, True), [(2, 2, 3)]),
    "col2im": (lambda L, A: lambda a: A.col2im.default(a, [5, 5], [2, 2], [1, 1], [1, 0], [1, 2]), [(12, 12)]),
    "dropout train": (lambda L, A: lambda a: L.nn.functional.dropout(a, 0.5, True), [(3, 4)]),
    "upsample nearest2d": (_interp("nearest"), [(1, 2, 3, 4)]),
    "upsample bilinear2d": (_interp("bilinear"), [(1, 2, 3, 4)]),
    "upsample nearest1d": (_interp("nearest"), [(1, 2, 3)]),
    "upsample nearest3d": (_interp("nearest"), [(1, 2, 3, 3, 3)]),
    "upsample nearest-exact2d": (_interp("nearest-exact"), [(1, 2, 3, 4)]),
    "upsample linear1d": (_interp("linear"), [(1, 2, 3)]),
    "upsample linear1d aligned": (_interp("linear", align_corners=True), [(1, 2, 3)]),
    "upsample trilinear3d": (_interp("trilinear"), [(1, 2, 3, 3, 3)]),
    "upsample bicubic2d": (_interp("bicubic"), [(1, 2, 3, 4)]),
    # composites torch's training IR keeps and its core IR rewrites (unit-height 2-d pooling, var.correction)
    "var.dim": (lambda L, A: lambda a: (a.var(1), a.var(1, unbiased=False, keepdim=True)), [(3, 4)]),
    "std.dim": (lambda L, A: lambda a: a.std(1), [(3, 4)]),
    "avg_pool1d": (lambda L, A: lambda a: (L.nn.functional.avg_pool1d(a, 2),
                                           L.nn.functional.avg_pool1d(a, 3, 2, 1, True, False)), [(2, 3, 7)]),
    "adaptive_avg_pool1d": (lambda L, A: lambda a: (L.nn.functional.adaptive_avg_pool1d(a, 1),
                                                    L.nn.functional.adaptive_avg_pool1d(a, 3)), [(2, 3, 7)]),
    "adaptive_avg_pool2d 1x1": (lambda L, A: lambda a: L.nn.functional.adaptive_avg_pool2d(a, 1), [(2, 3, 5, 5)]),
    "adaptive_avg_pool2d (None, 1)": (lambda L, A: lambda a: L.nn.functional.adaptive_avg_pool2d(a, (None, 1)),
                                      [(2, 3, 5, 5)]),
}


def _lin(perm=None, bias=True):
    """linear of an input first permuted by `perm` (a non-contiguous input), with or without a bias."""
    def make(L, A):
        def fn(x, w, *b):
            return L.nn.functional.linear(x if perm is None else x.permute(*perm), w, *b)
        return fn
    return make


# matmul and linear by rank and layout: contiguous batches fold into mm (or mv), others go through bmm
MATMUL_CASES = {
    "linear 3-d permuted": (_lin((1, 0, 2)), [(2, 3, 4), (5, 4), (5,)]),
    "linear 3-d permuted, no bias": (_lin((1, 0, 2)), [(2, 3, 4), (5, 4)]),
    "linear 4-d permuted": (_lin((0, 2, 1, 3)), [(2, 3, 6, 4), (5, 4), (5,)]),
    "linear 4-d": (_lin(), [(2, 3, 6, 4), (5, 4), (5,)]),
    "linear 1-d": (_lin(), [(4,), (5, 4), (5,)]),
    "matmul 3-d permuted @ 2-d": (lambda L, A: lambda a, b: a.permute(1, 0, 2) @ b, [(2, 3, 4), (4, 5)]),
    "matmul 3-d @ 1-d": (lambda L, A: lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    "matmul 3-d permuted @ 1-d": (lambda L, A: lambda a, b: a.transpose(0, 1) @ b, [(2, 3, 4), (4,)]),
    "matmul 1-d @ 3-d": (lambda L, A: lambda a, b: a @ b, [(4,), (2, 4, 5)]),
    "matmul 2-d @ 1-d": (lambda L, A: lambda a, b: a @ b, [(3, 4), (4,)]),
    "matmul 4-d @ 1-d": (lambda L, A: lambda a, b: a @ b, [(2, 6, 3, 4), (4,)]),
    "matmul 2-d @ 3-d": (lambda L, A: lambda a, b: a @ b, [(3, 4), (2, 4, 5)]),
    "matmul 4-d @ 3-d": (lambda L, A: lambda a, b: a @ b, [(2, 1, 3, 4), (6, 4, 5)]),
}
CASES.update(MATMUL_CASES)
CASES.update({     # stack: one cat viewed to the stacked shape, or (at the last new dim) unsqueeze + cat
    "stack dim 0": (lambda L, A: lambda a, b: L.stack([a, b]), [(2, 3), (2, 3)]),
    "stack dim 1": (lambda L, A: lambda a, b: L.stack([a, b], 1), [(2, 3), (2, 3)]),
    "stack last dim": (lambda L, A: lambda a, b: L.stack([a, b], -1), [(2, 3), (2, 3)]),
    "stack of 0-d": (lambda L, A: lambda a, b: L.stack([a.sum(), b.sum()]), [(2, 3), (2, 3)]),
})
# case -> why its core graph still differs from torch's (xfail(strict): fixing it fails until removed)
CASE_DIFFERENCES = {
    "upsample bicubic2d": "ours gathers one dim at a time with index_select; torch gathers 16 taps with index.Tensor",
}


def _core_ops(lib, fn, shapes, shapes_are_values=False):
    """The multiset of ops (getitem left out) in run_decompositions() of a module calling fn on float32 randn
    inputs of `shapes` (or on `shapes` themselves, when they are the input values)."""
    base = torch.nn.Module if lib is torch else me.nn.Module

    class OneOp(base):
        def forward(self, *args):
            return fn(*args)

    args = tuple(shapes) if shapes_are_values else tuple(lib.randn(*s) for s in shapes)
    ep = (torch.export.export if lib is torch else export)(OneOp(), args).run_decompositions()
    return collections.Counter(str(n.target) for n in ep.graph.nodes
                               if n.op == "call_function" and "getitem" not in str(n.target))


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=CASE_DIFFERENCES[n], strict=True))
                                  if n in CASE_DIFFERENCES else n for n in sorted(CASES)])
def test_core_graph_ops_match_torch(name):
    """run_decompositions() of a one-op module records the ops torch's records, as many times."""
    make, shapes = CASES[name]
    theirs = _core_ops(torch, make(torch, _aten(torch)), shapes)
    ours = _core_ops(me, make(me, _aten(me)), shapes)
    assert ours == theirs, f"{name}: minexport {dict(ours)} != torch {dict(theirs)}"


@pytest.mark.parametrize("name", sorted(MATMUL_CASES))
def test_matmul_and_linear_core_programs_equal_torch(name):
    """The folded / batched decompositions of matmul and linear compute what torch's eager call does."""
    make, shapes = MATMUL_CASES[name]
    args = [np.random.default_rng(0).standard_normal(s).astype(np.float32) for s in shapes]
    want = make(torch, torch.ops.aten)(*(torch.from_numpy(a) for a in args))

    class OneOp(me.nn.Module):
        def forward(self, *xs):
            return make(me, me_aten)(*xs)

    ep = export(OneOp(), tuple(me.from_numpy(a) for a in args)).run_decompositions()
    got = ep.module()(*(me.from_numpy(a) for a in args))
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------- every op both decompose --
# op -> why its core graph still differs from torch's (each is xfail(strict): fixing one fails until removed)
GRAPH_DIFFERENCES = {
    "aten.xlogy.Scalar_Other": "torch's graph holds prims.scalar_tensor, an op outside aten; ours aten.scalar_tensor",
    "aten.xlogy.Scalar_Self": "torch's graph holds prims.scalar_tensor, an op outside aten; ours aten.scalar_tensor",
    "aten.isin.Scalar_Tensor": "torch picks a sort/searchsorted algorithm; ours compares against every element",
    "aten.linspace.default": "ours builds the step with scalar_tensor where torch converts with _to_copy",
    "aten.diag_embed.default": "ours compares the index offset with eq.Scalar after a sub; torch with eq.Tensor "
                               "on a view",
    "aten.affine_grid_generator.default": "ours multiplies the base grid by theta with bmm; torch sums "
                                          "broadcast products of padded grids",
    "aten.im2col.default": "ours slices the windows and concatenates them; torch gathers with one index.Tensor",
}


def _decomposed_by_both():
    table = torch.export.default_decompositions()
    return sorted(str(op) for op, theirs in _compared_ops()
                  if decomposes_by_default(op) and theirs in table and str(op) in SAMPLES)


def _plain_sample(sample):
    """A sample whose tensors are all top-level positional arguments (they become the program's inputs)."""
    nested = [a for a in sample.args if isinstance(a, (list, tuple)) and any(isinstance(x, me.Tensor) for x in a)]
    return not nested and not any(isinstance(v, me.Tensor) for v in sample.kwargs.values())


def _sample_core_ops(lib, op, args, kwargs):
    """The core-graph op multiset of a module calling op, its tensor arguments as inputs, the rest constants."""
    at = [i for i, a in enumerate(args) if isinstance(a, (me.Tensor, torch.Tensor))]

    def call(*tensors):
        full = list(args)
        for i, t in zip(at, tensors):
            full[i] = t
        return op(*full, **kwargs)
    return _core_ops(lib, call, [args[i] for i in at], shapes_are_values=True)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=GRAPH_DIFFERENCES[n], strict=True))
                                  if n in GRAPH_DIFFERENCES else n for n in _decomposed_by_both()])
def test_sample_core_graph_matches_torch(name):
    """For an op both tables decompose, the core graph of a one-op program holds torch's ops, as many times."""
    op = next(o for o in all_ops() if str(o) == name)
    theirs_op = _torch_overload(op)
    for sample in SAMPLES[name]():
        if not _plain_sample(sample):
            continue
        try:
            theirs = _sample_core_ops(torch, theirs_op, [_to_torch(torch, a) for a in sample.args],
                                      {k: _to_torch(torch, v) for k, v in sample.kwargs.items()})
        except Exception:       # a sample torch refuses (an error case): try the next one
            continue
        ours = _sample_core_ops(me, op, list(sample.args), sample.kwargs)
        assert ours == theirs, f"{name}{sample}: minexport {dict(ours)} != torch {dict(theirs)}"
        return
    pytest.skip(f"{name}: no sample torch exports with its tensors as top-level inputs")


# ------------------------------------------------- sizes of the folded products --
def _view_sizes(lib, ep):
    """Each view's size list in the core graph of ep, a symbolic size as its expression (-1 stays -1)."""
    def size(a):
        return str(a.meta["val"]) if hasattr(a, "meta") else a
    return [[size(a) for a in n.args[1]] for n in ep.run_decompositions().graph.nodes
            if n.op == "call_function" and str(n.target) == "aten.view.default"]


def test_matmul_and_linear_fold_their_batch_into_its_product_as_torch_does():
    """torch's matmul and linear reshape to the product of the folded sizes (a SymInt product under a
    dynamic batch), never to -1, so their core graphs hold the same view sizes (and sym mul nodes)."""
    def program(lib):
        class Products(lib.nn.Module):
            def forward(self, q, k, w, x):
                return lib.matmul(q, k.transpose(3, 2)), lib.matmul(x, w), lib.nn.functional.linear(x, w.t())
        b, s = lib.export.Dim("b", max=8), lib.export.Dim("s", max=16)
        args = (lib.randn(2, 4, 5, 8), lib.randn(2, 4, 5, 8), lib.randn(8, 3), lib.randn(2, 5, 8))
        return lib.export.export(Products(), args, dynamic_shapes=({0: b, 2: s}, {0: b, 2: s}, None, {0: b, 1: s}))
    theirs, ours = _view_sizes(torch, program(torch)), _view_sizes(me, program(me))
    assert ours == theirs
    assert not any(-1 in sizes for sizes in ours)


@pytest.mark.parametrize("mask", ["float", "bool", "causal"])
def test_attention_decomposes_into_torchs_ops_in_torchs_order(mask):
    """scaled_dot_product_attention's core graph: q and k^T scaled by sqrt(scale) before their product, a bool or
    causal mask made additive (where(mask, 0, -inf); tril of a bool tensor by logical_and), as torch's."""
    def program(lib):
        class Attend(lib.nn.Module):
            def forward(self, q, k, v, m):
                if mask == "causal":
                    return lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
                return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3)
        m = lib.randn(2, 1, 5, 5) if mask == "float" else lib.randn(2, 1, 5, 5) > 0
        args = (lib.randn(2, 4, 5, 8), lib.randn(2, 4, 5, 8), lib.randn(2, 4, 5, 8), m)
        return lib.export.export(Attend(), args).run_decompositions()

    def ops(ep):
        return [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]
    assert ops(program(me)) == ops(program(torch))


def _strided(lib, shape, perm):
    """A randn tensor of `shape` laid out as the permutation `perm` of a contiguous one (not contiguous)."""
    inverse = [perm.index(d) for d in range(len(perm))]
    return lib.randn(*[shape[d] for d in perm]).permute(*inverse)


# (name, operand shapes, permutation laying the first out, or None for contiguous)
PRODUCTS = [("3d@2d", [(2, 3, 6), (6, 4)], None), ("3d@2d swapped batch", [(2, 3, 6), (6, 4)], (1, 0, 2)),
            ("3d@2d inner transposed", [(2, 3, 6), (6, 4)], (0, 2, 1)), ("4d@2d", [(2, 4, 3, 6), (6, 4)], (0, 2, 1, 3)),
            ("3d@1d", [(2, 3, 6), (6,)], None), ("3d@1d transposed", [(2, 3, 6), (6,)], (0, 2, 1)),
            ("2d@1d", [(3, 6), (6,)], None), ("1d@3d", [(6,), (2, 6, 4)], None), ("2d@3d", [(3, 6), (2, 6, 4)], None)]


@pytest.mark.parametrize("fn", ["matmul", "linear", "linear+bias", "linear+strided bias"])
@pytest.mark.parametrize("name,shapes,perm", PRODUCTS, ids=[p[0] for p in PRODUCTS])
def test_products_decompose_into_torchs_ops_by_layout(name, shapes, perm, fn):
    """matmul folds the larger operand's batch into rows (mm / mv) only when torch's does (no copy needed, or a
    vector times a batch), else broadcasts to bmm; linear takes addmm for a matrix, or a contiguous input with a
    contiguous bias, else a matmul and an add: the same core ops, in the same order, as torch."""
    if fn != "matmul" and len(shapes[1]) != 2:
        pytest.skip("linear's weight is a matrix")

    def program(lib):
        x = lib.randn(*shapes[0]) if perm is None else _strided(lib, shapes[0], perm)
        w, b = lib.randn(*shapes[1]), lib.randn(shapes[1][-1])
        call = {"matmul": lambda x, w, b: lib.matmul(x, w),
                "linear": lambda x, w, b: lib.nn.functional.linear(x, w.t()),
                "linear+bias": lambda x, w, b: lib.nn.functional.linear(x, w.t(), b),
                "linear+strided bias": lambda x, w, b: lib.nn.functional.linear(x, w.t(), b[:1].expand(b.shape[0]))
                }[fn]

        class Product(lib.nn.Module):
            def forward(self, x, w, b):
                return call(x, w, b)
        return lib.export.export(Product(), (x, w, b)).run_decompositions()

    def ops(ep):
        return [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]
    assert ops(program(me)) == ops(program(torch))
