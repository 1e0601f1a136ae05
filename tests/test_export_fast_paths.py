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
