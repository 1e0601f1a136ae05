"""Ops that torch-written model files reach for and torch.export records as themselves:
outer/ger (RoPE tables), the in-place triangle twins triu_/tril_ (causal masks), and the overloads
Python's in-place bit operators on tensors record (`__iand__.Tensor`, `__irshift__.Scalar`, ...)."""
from ._common import cast, check, fake_like, promote
from ._inplace import register_inplace
from ._registry import FUNCTION_AND_METHOD, aten, register


# ---------------------------------------------------------------- outer --
def _outer_check(what, a_shape, b_shape):
    check(len(a_shape) == 1 and len(b_shape) == 1,
          lambda: f"{what}: expected 1D vectors, but got {len(a_shape)}D and {len(b_shape)}D tensors")


def _outer_meta(what):
    def meta(self, vec2):
        _outer_check(what, self.shape, vec2.shape)
        return fake_like((self.shape[0], vec2.shape[0]), promote(self, vec2), self)
    return meta


def _outer_kernel(what):
    def kernel(xp, a, b):
        _outer_check(what, a.shape, b.shape)
        d = promote(a, b)
        return xp.multiply.outer(cast(xp, a, d), cast(xp, b, d))
    return kernel


def _outer_decomp(self, vec2):
    """outer(a, b) is a column view of a times b, as torch's decomposition writes it."""
    return aten.mul.Tensor(aten.view.default(self, [self.shape[0], 1]), vec2)


def _ger_decomp(self, vec2):
    return aten.outer.default(self, vec2)


register("outer(Tensor self, Tensor vec2) -> Tensor", meta=_outer_meta("outer"), kernel=_outer_kernel("outer"),
         decomposition=_outer_decomp, variants=FUNCTION_AND_METHOD)
register("ger(Tensor self, Tensor vec2) -> Tensor", meta=_outer_meta("ger"), kernel=_outer_kernel("ger"),
         decomposition=_ger_decomp, variants=FUNCTION_AND_METHOD)

# ------------------------------------------------------- triangle twins --
register_inplace(aten.triu.default, "triu_(Tensor(a!) self, SymInt diagonal=0) -> Tensor(a!)")
register_inplace(aten.tril.default, "tril_(Tensor(a!) self, SymInt diagonal=0) -> Tensor(a!)")


# ---------------------------------------------------- Python's bit operators --
# `a &= b`, `a ^= b`, `a <<= 1` ... record torch's in-place dunder overloads; the functional dunders
# (`__and__.Tensor`, `__lshift__.Scalar`, ...) are registered with the bitwise ops in ops/elementwise.py.
for _dunder in ("and", "or", "xor", "lshift", "rshift"):
    for _overload, _other in (("Tensor", "Tensor"), ("Scalar", "Scalar")):
        register_inplace(getattr(getattr(aten, f"__{_dunder}__"), _overload),
                         f"__i{_dunder}__.{_overload}(Tensor(a!) self, {_other} other) -> Tensor(a!)")
