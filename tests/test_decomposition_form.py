"""run_decompositions() graphs in torch 2.13's form, node for node.

Each case is one small model, exported by torch and by minexport; both
programs (decomposed, and for factories also as exported) are compared call by
call: the target, the arguments (a node as the position of the node it names),
the keyword arguments, and each output's shape, strides and dtype.  Dtypes,
layouts, memory formats and devices compare by name (`torch.float32` and
`minexport.float32` are both `float32`), and symbols by order of appearance.
"""
import re

import numpy as np
import pytest

import minexport as me
from minexport.export import export

torch = pytest.importorskip("torch")

_SYMBOL = re.compile(r"\b[su]\d+\b")


def _spelled(value):
    """A constant as both libraries' nodes compare: numbers and bools by repr (0 is not 0.0), the rest by name
    (strings as they are)."""
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    text = str(value)
    return text.rsplit(".", 1)[-1] if text.startswith(("torch.", "minexport.")) else text


def _argument(value, position):
    """An argument with nodes replaced by the position of their node in the graph."""
    if hasattr(value, "op") and hasattr(value, "target"):
        return ("node", position[value.name])
    if isinstance(value, (list, tuple)):
        return [_argument(v, position) for v in value]
    if isinstance(value, dict):
        return {k: _argument(v, position) for k, v in value.items()}
    return _spelled(value)


def _output(val):
    """An output's shape, strides and dtype; a symbolic int's expression; None for anything else."""
    if hasattr(val, "shape") and hasattr(val, "stride"):
        return ([str(s) for s in val.shape], [str(s) for s in val.stride()], _spelled(val.dtype))
    return None if val is None or isinstance(val, (list, tuple)) else str(val)


def graph_form(graph):
    """The call_function nodes of a graph, in order, each as one comparable line (symbols renamed s0, s1, ...
    in order of appearance, so that torch's s62 and minexport's s0 compare equal)."""
    position, lines, names = {}, [], {}
    for i, node in enumerate(graph.nodes):
        position[node.name] = i
        if node.op == "call_function":
            record = (str(node.target).replace("torch.ops.", ""), _argument(node.args, position),
                      _argument(dict(node.kwargs), position), _output(node.meta.get("val")))
            lines.append(_SYMBOL.sub(lambda m: names.setdefault(m.group(0), f"s{len(names)}"), repr(record)))
    return lines


def _module(lib, fn):
    class OneCall(lib.nn.Module):
        def forward(self, *args):
            return fn(lib, *args)
    return OneCall()


def _inputs(lib, arrays):
    return tuple(lib.from_numpy(a.copy()) for a in arrays)


def _forms(fn, arrays, decompose=True):
    """(torch's form, minexport's form) of the program calling fn(lib, *inputs)."""
    theirs = torch.export.export(_module(torch, fn), _inputs(torch, arrays))
    ours = export(_module(me, fn), _inputs(me, arrays))
    if decompose:
        theirs, ours = theirs.run_decompositions(), ours.run_decompositions()
    return graph_form(theirs.graph), graph_form(ours.graph)


def _randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


X = _randn(4, 6)

# ------------------------------------------------------------------ factories --
# name -> fn(lib, x): factory calls whose keywords (layout=, pin_memory=, memory_format=, device=, dtype=)
# torch writes out in the exported program and again, differently, in the decomposed one
FACTORIES = {
    "arange": lambda t, x: x + t.arange(6),
    "arange start dtype": lambda t, x: x + t.arange(0, 6, dtype=t.float32),
    "arange float": lambda t, x: t.arange(0.5, 3.0),
    "full": lambda t, x: x + t.full((4, 6), 2.0),
    "full_like": lambda t, x: t.full_like(x, 2, dtype=t.int32),
    "zeros": lambda t, x: x + t.zeros(4, 6),
    "zeros float64": lambda t, x: x + t.zeros(4, 6, dtype=t.float64),
    "zeros bool": lambda t, x: t.zeros(4, dtype=t.bool),
    "ones": lambda t, x: x + t.ones(6),
    "ones bool": lambda t, x: t.ones(4, dtype=t.bool),
    "empty": lambda t, x: t.empty(4, 6).fill_(1) + x,
    "empty_strided": lambda t, x: t.empty_strided((4, 6), (1, 4)).fill_(1) + x,
    "zeros_like": lambda t, x: t.zeros_like(x) + x,
    "zeros_like dtype": lambda t, x: t.zeros_like(x, dtype=t.float64),
    "zeros_like transposed": lambda t, x: t.zeros_like(x.t()),
    "zeros_like contiguous_format": lambda t, x: t.zeros_like(x.t(), memory_format=t.contiguous_format),
    "ones_like": lambda t, x: t.ones_like(x) + x,
    "empty_like": lambda t, x: t.empty_like(x).fill_(1) + x,
    "empty_like dtype": lambda t, x: t.empty_like(x, dtype=t.float64).fill_(1),
    "empty_like contiguous_format": lambda t, x: t.empty_like(x.t(), memory_format=t.contiguous_format).fill_(1),
    "new_zeros": lambda t, x: x.new_zeros((4, 6)) + x,
    "new_zeros dtype": lambda t, x: x.new_zeros((4, 6), dtype=t.int32),
    "new_ones": lambda t, x: x.new_ones((4, 6)) + x,
    "new_full": lambda t, x: x.new_full((4, 6), 2.0) + x,
    "new_empty": lambda t, x: x.new_empty((4, 6)).fill_(1) + x,
    "scalar_tensor": lambda t, x: x + t.scalar_tensor(3.0),
    "fill_": lambda t, x: x.clone().fill_(2.0),
    "zero_": lambda t, x: x.clone().zero_(),
    "eye": lambda t, x: t.eye(4) @ x,
    "eye n m": lambda t, x: t.eye(3, 4),
    "tril": lambda t, x: t.tril(x),
    "tril bool": lambda t, x: t.tril(x > 0),
    "tril int": lambda t, x: t.tril(x.to(t.int32)),
    "tril transposed": lambda t, x: t.tril(x.t()),
    "triu": lambda t, x: t.triu(x, 1),
}


@pytest.mark.parametrize("decompose", [False, True], ids=["exported", "decomposed"])
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factory_keywords_match_torch(name, decompose):
    """Factory nodes carry torch's keywords (name, presence, value), as exported and as decomposed."""
    theirs, ours = _forms(FACTORIES[name], (X,), decompose)
    assert ours == theirs


# name -> (fn(lib, x), input shape): decompositions that count positions with torch.arange (through torch's
# Python API: arange(end) or arange(start, end), rewritten to arange.start_step with layout=strided)
ARANGE_USERS = {
    "pad reflect": (lambda t, x: t.nn.functional.pad(x, [1, 2], mode="reflect"), (2, 3, 5)),
    "pad replicate 2-d": (lambda t, x: t.nn.functional.pad(x, [1, 2, 1, 1], mode="replicate"), (2, 3, 5, 5)),
    "upsample nearest": (lambda t, x: t.nn.functional.interpolate(x, scale_factor=2, mode="nearest"), (1, 2, 3, 4)),
    "upsample bilinear": (lambda t, x: t.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"),
                          (1, 2, 3, 4)),
    "upsample linear": (lambda t, x: t.nn.functional.interpolate(x, scale_factor=2, mode="linear"), (1, 2, 3)),
}


@pytest.mark.parametrize("name", sorted(ARANGE_USERS))
def test_decompositions_count_with_torchs_arange(name):
    """Decompositions that build index ranges record torch's arange nodes (keywords included) and index lists
    (an entry per dim)."""
    fn, shape = ARANGE_USERS[name]
    theirs, ours = _forms(fn, (_randn(*shape),))
    assert ours == theirs


def test_empty_like_of_a_transposed_input_is_an_empty_permuted():
    """empty_like preserving a non-contiguous input's layout decomposes to empty_permuted in its dim order."""
    theirs, ours = _forms(lambda t, x: t.empty_like(x.permute(2, 0, 1)).fill_(1), (_randn(2, 3, 4),))
    assert any("aten.empty_permuted.default" in line for line in ours) and ours == theirs


def test_metadata_check_before_a_conversion_is_retraced_by_schema():
    """The `_assert_tensor_metadata` torch records as called before a `.to` is, once decomposed, recorded by
    its schema (dtype positional) and named after the op, as torch's re-trace records it."""
    theirs, ours = _forms(lambda t, x: x.to(t.float64), (X,))
    assert ours[0].startswith("('aten._assert_tensor_metadata.default', [('node', 0), 'None', 'None', 'float32']")
    assert ours == theirs


# ------------------------------------------------------------ linear, matmul --
W, B = _randn(6, 8, seed=1), _randn(6, seed=2)


def _linear(transform, bias=True):
    """fn(lib, x, w[, b]): linear of transform(x) (a view: transposed, expanded) with or without a bias."""
    if bias:
        return lambda t, x, w, b: t.nn.functional.linear(transform(x), w, b)
    return lambda t, x, w: t.nn.functional.linear(transform(x), w)


# name -> (fn, the input arrays): linear folds a contiguous input into one addmm when it has a 1-d bias, and
# otherwise is a matmul (mm when it folds, expand/bmm when the input is not contiguous) plus an add
LINEAR = {
    "2-d": (_linear(lambda x: x), (_randn(3, 8), W, B)),
    "2-d no bias": (_linear(lambda x: x, False), (_randn(3, 8), W)),
    "2-d transposed": (_linear(lambda x: x.t()), (_randn(8, 3), W, B)),
    "3-d": (_linear(lambda x: x), (_randn(2, 3, 8), W, B)),
    "3-d no bias": (_linear(lambda x: x, False), (_randn(2, 3, 8), W)),
    "4-d": (_linear(lambda x: x), (_randn(2, 2, 3, 8), W, B)),
    "1-d": (_linear(lambda x: x), (_randn(8), W, B)),
    "1-d no bias": (_linear(lambda x: x, False), (_randn(8), W)),
    "3-d transposed": (_linear(lambda x: x.transpose(0, 1)), (_randn(5, 3, 8), W, B)),
    "3-d transposed no bias": (_linear(lambda x: x.transpose(0, 1), False), (_randn(5, 3, 8), W)),
    "3-d last dims transposed": (_linear(lambda x: x.transpose(1, 2)), (_randn(3, 8, 5), W, B)),
    "3-d expanded": (_linear(lambda x: x.expand(2, 3, 8)), (_randn(1, 3, 8), W, B)),
    "4-d transposed": (_linear(lambda x: x.transpose(0, 2)), (_randn(3, 2, 2, 8), W, B)),
    "2-d bias over 3-d": (_linear(lambda x: x), (_randn(2, 3, 8), W, _randn(3, 6))),
}


@pytest.mark.parametrize("name", sorted(LINEAR))
def test_linear_decomposes_as_torch(name):
    """linear's decomposition: torch's nodes, sizes written out (no -1), for every input layout."""
    fn, arrays = LINEAR[name]
    theirs, ours = _forms(fn, arrays)
    assert ours == theirs


def test_linear_layer_of_a_transposed_input_is_bmm_plus_bias():
    """nn.Linear over a non-contiguous 3-d input: expand/bmm and an add, as torch's (not clone + addmm)."""
    def model(lib):
        lib.manual_seed(0)

        class Projection(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = lib.nn.Linear(8, 6)

            def forward(self, x):
                return self.proj(x.transpose(0, 1))
        return Projection()

    x = _randn(5, 3, 8)
    theirs = graph_form(torch.export.export(model(torch), (torch.from_numpy(x),)).run_decompositions().graph)
    ours = graph_form(export(model(me), (me.from_numpy(x),)).run_decompositions().graph)
    assert any("aten.bmm.default" in line for line in ours) and ours == theirs


_M = {1: _randn(4, seed=3), 2: _randn(3, 4, seed=4), 3: _randn(2, 3, 4, seed=5), 4: _randn(2, 2, 3, 4, seed=6)}
_R = {1: _randn(4, seed=7), 2: _randn(4, 5, seed=8), 3: _randn(2, 4, 5, seed=9), 4: _randn(2, 2, 4, 5, seed=10)}


@pytest.mark.parametrize("dims", [(1, 1), (2, 1), (1, 2), (2, 2), (3, 1), (3, 2), (1, 3), (2, 3), (3, 3), (4, 3),
                                  (4, 1), (1, 4)], ids=str)
def test_matmul_decomposes_as_torch(dims):
    """matmul of every pair of ranks: dot/mv/mm, a fold of the larger operand into mm/mv, or expand/bmm."""
    theirs, ours = _forms(lambda t, a, b: t.matmul(a, b), (_M[dims[0]], _R[dims[1]]))
    assert ours == theirs


def test_matmul_of_a_transposed_batch_does_not_fold():
    """A non-contiguous >= 3-d operand is not folded into mm: expand, reshape (a copy), bmm."""
    theirs, ours = _forms(lambda t, a, b: t.matmul(a.transpose(0, 1), b), (_randn(3, 2, 4), _R[2]))
    assert any("aten.bmm.default" in line for line in ours) and ours == theirs


# name -> fn(lib, x): view sizes as torch writes them: -1 where the caller wrote it and the view needs no copy
# (reshape of a contiguous input, ravel, the user's view), concrete where reshape infers it before a copy
VIEW_SIZES = {
    "view -1": lambda t, x: x.view(-1, 2) + 1,
    "reshape contiguous": lambda t, x: x.reshape(-1, 2) + 1,
    "reshape transposed": lambda t, x: x.t().reshape(-1, 2) + 1,
    "flatten transposed": lambda t, x: x.t().flatten() + 1,
    "ravel": lambda t, x: t.ravel(x) + 1,
    "ravel transposed": lambda t, x: t.ravel(x.t()) + 1,
}


@pytest.mark.parametrize("decompose", [False, True], ids=["exported", "decomposed"])
@pytest.mark.parametrize("name", sorted(VIEW_SIZES))
def test_view_sizes_match_torch(name, decompose):
    """view nodes carry the sizes torch writes (-1 or the inferred size), as exported and as decomposed."""
    theirs, ours = _forms(VIEW_SIZES[name], (X,), decompose)
    assert ours == theirs


def _named(lib, fn, count):
    """A module calling fn(lib, ...) with `count` named parameters (dynamic_shapes name each input)."""
    class Two(lib.nn.Module):
        def forward(self, a, b):
            return fn(lib, a, b)

    class Three(lib.nn.Module):
        def forward(self, a, b, c):
            return fn(lib, a, b, c)
    return {2: Two, 3: Three}[count]()


def _dynamic_forms(fn, arrays, dims):
    """(torch's, minexport's) decomposed forms with dim 0 of the inputs named in `dims` dynamic."""
    def spec(lib):
        return tuple({0: lib.export.Dim("batch")} if i in dims else None for i in range(len(arrays)))

    theirs = torch.export.export(_named(torch, fn, len(arrays)), _inputs(torch, arrays), dynamic_shapes=spec(torch))
    ours = export(_named(me, fn, len(arrays)), _inputs(me, arrays), dynamic_shapes=spec(me))
    return graph_form(theirs.run_decompositions().graph), graph_form(ours.run_decompositions().graph)


def test_linear_with_a_dynamic_batch_views_to_symbolic_sizes():
    """With a dynamic batch the folded rows and the viewed-back batch are the symbolic size nodes torch writes."""
    theirs, ours = _dynamic_forms(_linear(lambda x: x), (_randn(2, 3, 8), W, B), {0})
    assert any("'aten.sym_size.int'" in line for line in ours) and ours == theirs


def test_batched_matmul_with_a_dynamic_batch():
    """expand and the reshapes of a dynamic-batch bmm (the other operand broadcast to it) take the batch size
    node."""
    theirs, ours = _dynamic_forms(lambda t, a, b: t.matmul(a, b), (_M[3], _R[3][:1]), {0})
    assert any("'aten.bmm.default'" in line for line in ours) and ours == theirs


# ---------------------------------------------------------------- attention --
Q, K, K_GROUPED, V_NARROW = _randn(2, 4, 5, 8, seed=11), _randn(2, 4, 6, 8, seed=12), _randn(2, 2, 6, 8, seed=13), \
    _randn(2, 4, 6, 3, seed=14)
BOOL_MASK = np.random.default_rng(15).standard_normal((5, 6)) > 0
FLOAT_MASK = _randn(5, 6, seed=16)


def _sdpa(**kw):
    """fn(lib, q, k, v[, mask]): scaled_dot_product_attention with these keywords."""
    def fn(t, q, k, v, mask=None):
        return t.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kw)
    return fn


# name -> (fn, the input arrays): every form torch's math kernel takes (masks, scales, grouped heads, ranks)
ATTENTION = {
    "no mask": (_sdpa(), (Q, K, K)),
    "causal": (_sdpa(is_causal=True), (Q, K, K)),
    "bool mask": (_sdpa(), (Q, K, K, BOOL_MASK)),
    "float mask": (_sdpa(), (Q, K, K, FLOAT_MASK)),
    "grouped heads": (_sdpa(enable_gqa=True), (Q, K_GROUPED, K_GROUPED)),
    "grouped heads, causal": (_sdpa(enable_gqa=True, is_causal=True), (Q, K_GROUPED, K_GROUPED)),
    "grouped heads, bool mask": (_sdpa(enable_gqa=True), (Q, K_GROUPED, K_GROUPED, BOOL_MASK)),
    "grouped heads, 3-d": (_sdpa(enable_gqa=True), (Q[0], K_GROUPED[0], K_GROUPED[0])),
    "enable_gqa, same heads": (_sdpa(enable_gqa=True), (Q, K, K)),
    "scale": (_sdpa(scale=0.3), (Q, K, K)),
    "negative scale": (_sdpa(scale=-0.3), (Q, K, K)),
    "dropout 0": (_sdpa(dropout_p=0.0), (Q, K, K)),
    "3-d causal": (_sdpa(is_causal=True), (Q[0], K[0], K[0])),
    "3-d bool mask": (_sdpa(), (Q[0], K[0], K[0], BOOL_MASK)),
    "2-d causal": (_sdpa(is_causal=True), (Q[0, 0], K[0, 0], K[0, 0])),
    "narrower value": (_sdpa(), (Q, K, V_NARROW)),
}


@pytest.mark.parametrize("name", sorted(ATTENTION))
def test_attention_decomposes_as_torch(name):
    """scaled_dot_product_attention's decomposition: torch's nodes (q and k^T scaled by sqrt(scale) with
    mul.Scalar, masks as an added float bias), and the decomposed program computes torch's attention."""
    fn, arrays = ATTENTION[name]
    theirs, ours = _forms(fn, arrays)
    assert ours == theirs
    core = export(_module(me, fn), _inputs(me, arrays)).run_decompositions()
    np.testing.assert_allclose(core.module()(*_inputs(me, arrays)).numpy(), fn(torch, *_inputs(torch, arrays)).numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("rank", [3, 4])
def test_attention_with_dropout_decomposes_as_torch(rank):
    """With dropout, native_dropout's first output is the weights, and no fused-kernel layout tail follows."""
    q, k = (Q, K) if rank == 4 else (Q[0], K[0])
    theirs, ours = _forms(_sdpa(dropout_p=0.5), (q, k, k))
    assert any("'aten.native_dropout.default'" in line for line in ours) and ours == theirs


# ------------------------------------------------------------- index.Tensor --
X4 = _randn(4, 5, 6, 3, seed=17)
INDEX = np.array([0, 2, 1], dtype=np.int64)
GRID = np.array([[1, 0], [3, 2]], dtype=np.int64)
MASK = np.random.default_rng(18).standard_normal((5, 6)) > 0

# name -> fn(lib, x, i, grid, mask): advanced indexing whose result NumPy lays out otherwise than torch
INDEXING = {
    "leading": lambda t, x, i, g, m: x[i],
    "middle": lambda t, x, i, g, m: x[:, i],
    "last": lambda t, x, i, g, m: x[..., i],
    "two adjacent": lambda t, x, i, g, m: x[:, i, i],
    "two apart": lambda t, x, i, g, m: x[i, :, i],
    "2-d index in the middle": lambda t, x, i, g, m: x[:, g],
    "permuted input, middle": lambda t, x, i, g, m: x.permute(3, 1, 0, 2)[:, i],
    "permuted input, apart": lambda t, x, i, g, m: x.permute(3, 1, 0, 2)[i, :, :, i],
    "mask over two dims": lambda t, x, i, g, m: x[:, m],
    "broadcast indices": lambda t, x, i, g, m: x[i[:, None], g[0]],
    "size-1 result dim": lambda t, x, i, g, m: x[:, :, :, i[:1]],
    "channels-last input": lambda t, x, i, g, m: x.permute(0, 3, 1, 2).contiguous(memory_format=t.channels_last)[
        :, i[:2]],
    "sliced input": lambda t, x, i, g, m: x[:, ::2][:, i[:2]],
}


def _index_inputs(lib):
    return _inputs(lib, (X4, INDEX, GRID, MASK))


@pytest.mark.parametrize("name", sorted(INDEXING))
def test_index_result_is_laid_out_as_torchs(name):
    """index.Tensor's result has torch's strides: eagerly, in the exported program's meta, and when the
    decomposed program runs (the kernel), with the same values."""
    fn = INDEXING[name]
    want = fn(torch, *_index_inputs(torch))
    eager = fn(me, *_index_inputs(me))
    ep = export(_module(me, fn), _index_inputs(me))
    ran = ep.run_decompositions().module()(*_index_inputs(me))
    # (a mask's count is data-dependent: that meta's sizes are symbols, compared through the runs only)
    meta = [n.meta["val"] for n in ep.graph.nodes if str(n.target) == "aten.index.Tensor"
            and all(type(s) is int for s in n.meta["val"].shape)]
    for got in (eager, ran) + tuple(meta):
        assert (tuple(got.shape), got.stride()) == (tuple(want.shape), want.stride())
    np.testing.assert_array_equal(ran.numpy(), want.numpy())


def test_input_sizes_are_read_right_after_the_inputs():
    """A dynamic input's size is read (sym_size.int) right after the placeholders, in input order, however late
    an op first needs it: torch binds input symbols there, as exported and as decomposed."""
    def fn(t, x, y):
        return x.t() + 1, y.view(y.shape[0] * 2, -1), x.view(x.shape[0] * 6)

    arrays = (_randn(4, 6), _randn(4, 6, seed=1))

    def spec(lib):
        return ({0: lib.export.Dim("b")}, {0: lib.export.Dim("c")})
    theirs = torch.export.export(_named(torch, fn, 2), _inputs(torch, arrays), dynamic_shapes=spec(torch))
    ours = export(_named(me, fn, 2), _inputs(me, arrays), dynamic_shapes=spec(me))
    for t_ep, m_ep in ((theirs, ours), (theirs.run_decompositions(), ours.run_decompositions())):
        form = graph_form(m_ep.graph)
        assert [line.split(",")[0] for line in form[:2]] == ["('aten.sym_size.int'"] * 2
        assert form == graph_form(t_ep.graph)
