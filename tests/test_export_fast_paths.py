"""The fast paths export takes agree with the general code they skip (issue 19)."""
import functools
import inspect

import pytest

import minexport as me
import minexport.nn as mnn
from minexport.export import export
from minexport.export._trace import _forward_arg_names, _plain_method_names


def _by_inspect(forward):
    params = list(inspect.signature(forward).parameters.values())
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return positional, next((p.name for p in params if p.kind == p.VAR_POSITIONAL), "args")


def _wraps(f):
    @functools.wraps(f)
    def wrapper(*a, **k):
        return f(*a, **k)
    return wrapper


class _Forwards:
    def one(self, x):
        pass

    def mixed(self, x, y=1, /, z=2, *rest, k, **kw):
        pass

    def star(self, *xs, k=1):
        pass

    def none(self):
        pass

    def keywords(self, a, b, *, c, d, **e):
        local = 1
        return local

    def star_after(self, a, *more, c, **e):
        local = 3
        return local

    @_wraps
    def wrapped(self, x, y):
        pass

    @classmethod
    def klass(cls, x, *v):
        pass

    def only_star(*args):
        pass


@pytest.mark.parametrize("name", ["one", "mixed", "star", "none", "keywords", "star_after", "wrapped", "klass",
                                  "only_star"])
def test_plain_method_names_match_inspect(name):
    forward = getattr(_Forwards(), name)
    fast = _plain_method_names(forward)
    assert fast is None or fast == _by_inspect(forward)


def test_decorated_and_star_only_forwards_go_to_inspect():
    assert _plain_method_names(_Forwards().wrapped) is None
    assert _plain_method_names(_Forwards().only_star) is None
    assert _plain_method_names(lambda x: x) is None


def test_forward_arg_names_beyond_the_signature():
    class M(mnn.Module):
        def forward(self, a, *more):
            return a

    x = me.randn(2)
    assert _forward_arg_names(M(), (x, x, x), {"k": 1}) == ["a", "more_0", "more_1", "k"]


def test_export_names_inputs_from_a_decorated_forward():
    class M(mnn.Module):
        @_wraps
        def forward(self, left, right):
            return left + right

    ep = export(M(), (me.randn(2), me.randn(2)))
    assert [n.name for n in ep.graph.nodes if n.op == "placeholder"] == ["left", "right"]


# -- remembered static geometries (ops/_common.py `static_key`): a meta function's answer replayed from its
# memo equals the answer it computes itself, for every op and sample, on fake inputs of the samples' layouts
def _fake_like_sample(x):
    from minexport._tensor import make_fake
    if isinstance(x, me.Tensor):
        return make_fake(x.shape, x.dtype, x.device, strides=x.stride(), storage_offset=x.storage_offset())
    if isinstance(x, list):
        return [_fake_like_sample(y) for y in x]
    return x


def _geometry(out):
    if isinstance(out, me.Tensor):
        return (type(out), tuple(out.shape), out.stride(), out.storage_offset(), out.dtype, out.device,
                out.is_meta, out._base, out.requires_grad)
    if isinstance(out, (list, tuple)):
        return type(out), [_geometry(o) for o in out]
    return out


def _tensor_ids(x):
    if isinstance(x, me.Tensor):
        return {id(x)}
    if isinstance(x, (list, tuple)):
        return set().union(*map(_tensor_ids, x))
    return set()


def _distinct_tensors(a, b, inputs):
    if isinstance(a, me.Tensor):
        return a is not b or id(a) in inputs      # (an in-place op, or one that may return its input)
    if isinstance(a, (list, tuple)):
        return all(_distinct_tensors(x, y, inputs) for x, y in zip(a, b))
    return True


def test_remembered_geometries_match_computed_ones():
    from op_samples import SAMPLES

    from minexport.ops import all_ops
    from minexport.ops._common import _MEMOS, forget_geometries
    replayed = 0
    for op in all_ops():
        name = str(op)
        if op.meta is None or name not in SAMPLES or name in ("aten.item.default", "aten._local_scalar_dense.default"):
            continue
        for sample in SAMPLES[name]():
            args = [_fake_like_sample(a) for a in sample.args]
            kwargs = {k: _fake_like_sample(v) for k, v in sample.kwargs.items()}
            forget_geometries()
            try:
                first = op.meta(*args, **kwargs)
            except Exception as e:      # a refused sample: the memo must not change that
                with pytest.raises(type(e)):
                    op.meta(*args, **kwargs)
                continue
            remembered = sum(map(len, _MEMOS))
            again = op.meta(*args, **kwargs)
            assert _geometry(again) == _geometry(first), f"{name}{sample}"
            assert _distinct_tensors(first, again, _tensor_ids([args, list(kwargs.values())])), \
                f"{name}{sample}: a remembered answer must be a fresh tensor"
            replayed += remembered
    assert replayed > 100       # the view family, split and attention did take the memo


def test_static_key_refuses_symbolic_real_and_odd_arguments():
    from minexport._tensor import make_fake
    from minexport.ops._common import static_key
    fake = make_fake((2, 3), me.float32)
    assert static_key((fake,), (1, [2, 3], None)) == (fake.shape, None, 0, 1, (2, 3), None)
    assert static_key((fake,), ([2, 3],)) == static_key((fake,), ((2, 3),))
    assert static_key((me.randn(2, 3),), (1,)) is None          # a real tensor
    assert static_key((fake,), (True,)) is None                 # a bool is not keyed as the int it equals
    assert static_key((fake,), (1.0,)) is None
    assert static_key((fake,), ([1, True],)) is None
    assert static_key((fake,), ([[1]],)) is None
    assert static_key((fake, 3), ()) is None

    class Sym(int):       # any size that is not a plain int (a symbolic one) takes the meta function itself
        pass
    assert static_key((make_fake((Sym(2), 3), me.float32),), ()) is None
    assert static_key((fake,), (Sym(1),)) is None
    assert static_key((fake,), ([Sym(1)],)) is None


def test_dynamic_export_keeps_symbolic_views():
    from minexport.export import Dim

    class M(mnn.Module):
        def forward(self, x):
            return x.view(x.shape[0], 2, 8).transpose(1, 2).reshape(-1, 16).split(4, dim=1)[1]

    x = me.randn(6, 16)
    ep = export(M(), (x,), dynamic_shapes={"x": {0: Dim("b", max=64)}})
    vals = [n.meta["val"] for n in ep.graph.nodes
            if n.op == "call_function" and isinstance(n.meta.get("val"), me.Tensor)]
    assert all(type(v.shape[0]) is not int for v in vals)
    assert ep.module()(me.randn(10, 16)).shape == (10, 4)
