"""Pointwise ops: unary math, activations, binary arithmetic, comparisons,
logical and bitwise ops, where, masked_fill, clamp.

Each family is one factory plus a table.  A table row names the op, its
array function (`fn(xp, a, ...)`), and its dtype rule; the factory registers
the functional op with meta and kernel, and its in-place twin.  Every fact
about an op sits in its row or call: torch's "core" tag, the public
function/method `variants`, and its `decomposition` (defined just above).
"""
import math
import operator
import typing

import numpy as np

from .. import dtypes as dt
from .._tensor import Tensor, contiguous_strides, make_fake, non_overlapping_and_dense
from ..runtime import buffers
from ..runtime.backends import erf as _erf
from ..runtime.special import floor_div32_into, fmod32_into, gelu32, remainder32_into
from ._common import (array_strides, broadcast_shapes, cast, check, check_scalar_range, dtype_of, out_array,
                      pointwise_fake, pointwise_layout, pointwise_strides_of, promote, relayout, shape_of,
                      torch_type_name)
from ._inplace import register_inplace
from ._registry import FUNCTION_AND_METHOD, aten, register



# ----------------------------------------------------------- dtype rules --
# A rule maps the input dtype (for binary ops: the promoted dtype) and the op's
# name to (compute dtype, result dtype); the unary and binary families share them.
def same(d, name):
    """Output dtype equals the input (or promoted) dtype: ordinary promotion."""
    return d, d


def int_to_float(d, name):
    """Integer and bool inputs compute (and return) the default float dtype (true division too)."""
    r = d if d.is_floating_point else dt.get_default_dtype()
    return r, r


def float_only(d, name):
    """Only floating inputs are accepted."""
    check(d.is_floating_point, lambda: f'"{name}" not implemented for \'{torch_type_name(d)}\'',
          NotImplementedError)
    return d, d


def no_bool(d, name):
    """Any dtype but bool."""
    check(d is not dt.bool, lambda: f"{name}: the operation is not supported on bool tensors "
                                    "(use logical_not() or ~ for negation)")
    return d, d


def to_bool(d, name):
    """Result is bool; computed in the input dtype."""
    return d, dt.bool


def _scalar_tensor(value, like=None, dtype=None):
    """A 0-d tensor for a Python number: its own dtype unless one is given (keeps torch's promotion)."""
    kw = {"dtype": dtype or dt.scalar_dtype(value)}
    if like is not None:
        kw["device"] = like.device
    return aten.scalar_tensor.default(value, **kw)


# ---------------------------------------------------------------- unary --
def unary(schema, fn, rule, inplace_schema=None, *, int_identity=False, donate=None, tags=(), variants=(),
          decomposition=None, inplace_variants=None, layout="pointwise"):
    """Register a unary pointwise op (and its in-place twin).

    `donate(xp, a, *args, **kwargs)`, when given, computes the same result into `a` itself
    (the op's other arguments passed on); the interpreter uses it when `a` is an
    intermediate nobody else reads, and the in-place twin on `self`.
    `int_identity`: integer inputs come back unchanged (floor, ceil, round).
    `inplace_variants`: where the in-place twin is exposed, when not as its functional twin's
    method (`torch.selu_` is a function only).
    `layout`: how torch lays the result out, a key of `_RESULT_LAYOUTS` ("preserve" for the ops
    torch computes into `empty_like(self)`: hardtanh, relu6, nan_to_num, deg2rad, rad2deg).
    """
    name = schema.split("(", 1)[0].split(".")[0]
    relay = _RESULT_LAYOUTS[layout][0]

    def meta(self, *args, **kwargs):
        _, out = rule(self.dtype, name)
        # pointwise_fake with `self` the only operand, when it stores no strides (contiguous): a contiguous
        # fake on self's device, made here without the operand walk (export runs this twice per node)
        if isinstance(self, Tensor) and self._strides is None:
            return make_fake(self.shape, out, self._device)
        if layout == "preserve":
            return make_fake(self.shape, out, self._device, strides=_preserved(tuple(self.shape), tuple(self.stride())))
        return pointwise_fake(self.shape, out, self)

    def kernel(xp, self, *args, **kwargs):
        compute, out = rule(dtype_of(self), name)
        if int_identity and not compute.is_floating_point:
            return _int_identity(xp, self)
        return relay(xp, out_array(xp, fn(xp, cast(xp, self, compute), *args, **kwargs), out), self)

    op = register(schema, meta=meta, kernel=kernel, tags=("pointwise",) + tuple(tags), variants=variants,
                  decomposition=decomposition)
    op.specialize = _unary_specializer(name, fn, rule, int_identity, donate, layout)
    if donate is not None:
        def donating(xp, self, *args, **kwargs):
            compute, out = rule(dtype_of(self), name)
            if compute is out and dtype_of(self) is out:
                # (the result is self, with self's strides: torch's unless a size-1 dim strides oddly)
                return relay(xp, donate(xp, self, *args, **kwargs), self)
            return kernel(xp, self, *args, **kwargs)
        op.donating_kernel = donating
    if inplace_schema:
        register_inplace(op, inplace_schema, variants=inplace_variants)
    return op


# ------------------------------------------------------- specialization --
# `OpOverload.specialize` for the two families: given the arguments' fake
# values (dtype, shape) it decides once what the general kernel decides per
# call -- the dtype rule, which operands need a cast, scalars cast ahead,
# whether the result needs converting -- and returns the array function
# itself when nothing is left to do, so a float32 `add` costs one NumPy call.
# Whether the result needs converting is found by running the function once on
# a one-element array of each operand's compute dtype and rank: NumPy's result
# dtype depends on dtypes only, so the probe answers for every later call.
# The rule functions may refuse a dtype; then the general kernel runs and
# raises at run time, as before.  The result's layout is settled last
# (`_torch_layout`, below).
def _unary_specializer(name, fn, rule, int_identity, donate, layout):
    """The `specialize` hook of a unary op (see above)."""
    def specialize(args, kwargs, donating, strides_known=False):
        self = args[0]
        if not isinstance(self, Tensor):
            return None
        try:
            compute, out = rule(self.dtype, name)
        except (RuntimeError, TypeError, ValueError):
            return None
        if int_identity and not compute.is_floating_point:
            return _int_identity, args          # (it lays its result out itself)
        into = donating and donate is not None and compute is out and self.dtype is out
        planned = _PLAN_KERNELS.get(name)
        kernel = None
        if planned is not None and compute is out and self.dtype is out and len(args) == 1 and not kwargs \
                and self.ndim > 0:
            kernel = planned(out.numpy_dtype, into)
        if kernel is None and into:
            kernel = donate
        if kernel is None:
            casts = (None if compute is self.dtype else compute.numpy_dtype,)
            post = _conversion(fn, out, (_probe_array(self, compute),) + tuple(args[1:]), kwargs)
            if post is False:
                return None
            # (static shapes matter only for a binary op's broadcast error; a unary op has none)
            kernel = _composed(fn, casts, post, None, True)
        return _torch_layout(kernel, args[:1], out, strides_known, layout), args
    return specialize


def _binary_specializer(name, fn, rule, positions=(0, 1), layout="pointwise"):
    """The `specialize` hook of a binary op (see above); `positions` (which of its two arguments take part in
    the result's layout) and `layout` as `binary` has them."""
    def specialize(args, kwargs, donating, strides_known=False):
        a, b, rest = args[0], args[1], args[2:]
        operands = (a, b)
        tensors = [x for x in operands if isinstance(x, Tensor)]
        if not tensors or any(not isinstance(x, Tensor) and type(x) not in (int, float, bool) for x in operands):
            return None
        try:
            compute, out = rule(promote(a, b), name)
            if rest or kwargs:
                _check_alpha(a, b, rest, kwargs)
        except (RuntimeError, TypeError, ValueError):
            return None
        ops = tuple(x if isinstance(x, Tensor) else _scalar_ahead(x, compute) for x in operands)
        casts = tuple(compute.numpy_dtype if isinstance(x, Tensor) and x.dtype is not compute else None
                      for x in operands)
        probe = tuple(_probe_array(x, compute) if isinstance(x, Tensor) else x for x in ops) + tuple(rest)
        post = _conversion(fn, out, probe, kwargs, rank=max(x.ndim for x in tensors))
        if post is False:
            return None

        def broadcast_error(x, y):
            _broadcast_error(name, x, y)
        kernel = _composed(fn, casts, post, broadcast_error, all(map(_static, tensors)))
        return _torch_layout(kernel, ops, out, strides_known, layout, positions), ops + tuple(rest)
    return specialize


# ------------------------------------------------ the specialized result's layout --
# How torch lays a result out over its operands is one of three rules (`_RESULT_LAYOUTS`): a pointwise op's
# TensorIterator (`pointwise_layout`; a Scalar it wraps into a tensor counts as a 0-d operand), an op that
# computes into `empty_like(self)` ("preserve": a dense self's strides exactly, even a size-1 dim's), or a
# plain contiguous result (pow with a Scalar base).  The general kernel applies its rule on every call.
# NumPy's own result already follows it in known cases (`bare`): for "pointwise" and "preserve", when every
# tensor operand is C-contiguous with C-order strides on its size-1 dims too, or when all tensor operands
# have the output's shape, no size-1 dim and one dense layout (NumPy keeps it, as torch does); a result
# computed into its operand (a donating kernel) keeps that operand's strides, the same in both cases.  So
# a specialized kernel is:
#   * bare when the arrays arrive with their fakes' strides (`strides_known`: ep.module() checks its
#     inputs' strides) and those are such a case -- the common case costs nothing;
#   * else, with static shapes, followed by one tuple comparison per tensor operand: with the strides it
#     was compiled for (the fakes', or C order), the result is NumPy's or relaid to torch's strides worked
#     out at compile time; other strides take the rule's full walk;
#   * with symbolic shapes, followed by the rule's walk on every call.
def _torch_layout(kernel, operands, out, strides_known, layout="pointwise", positions=None):
    """`kernel` (whose leading arguments are `operands`' arrays: fakes and scalars here) made to lay its
    result out as torch's (see above); `out` is the result's dtype, `layout` a key of _RESULT_LAYOUTS,
    `positions` which of the operands take part in it (default: all)."""
    rule = _RESULT_LAYOUTS[layout]
    positions = tuple(range(len(operands))) if positions is None else positions
    operands = [operands[i] for i in positions]
    tensors = [x for x in operands if isinstance(x, Tensor)]
    if rule.bare(tensors, strides_known):
        return kernel
    relay = rule.relay
    pick = operator.itemgetter(*positions) if len(positions) > 1 else lambda args: (args[positions[0]],)
    if not all(map(_static, tensors)):
        def laid_out(xp, *args, **kwargs):
            return relay(xp, kernel(xp, *args, **kwargs), *pick(args))
        return laid_out
    # the operands' layouts this kernel is compiled for (a scalar is a 0-d operand), and torch's result then
    layouts = [(tuple(x.shape), tuple(x.stride()) if strides_known else contiguous_strides(tuple(x.shape)))
               if isinstance(x, Tensor) else ((), ()) for x in operands]
    expected = tuple((i, tuple(s * x.dtype.numpy_dtype.itemsize for s in st))
                     for i, x, (_, st) in zip(positions, operands, layouts) if isinstance(x, Tensor))
    want = rule.strides(layouts)
    want_bytes = tuple(s * out.numpy_dtype.itemsize for s in want)
    # (for operands in C order, as a kernel without the strides promise expects, NumPy's result is torch's)
    sure = rule.bare([make_fake(shape, x.dtype, strides=st) for x, (shape, st) in zip(operands, layouts)
                      if isinstance(x, Tensor)], True)
    return _checked_layout(kernel, expected, want, want_bytes, sure, relay, pick)


def _checked_layout(kernel, expected, want, want_bytes, sure, relay, pick):
    """`kernel` followed by the check of `_torch_layout`: with its operands at `expected` (position, byte
    strides) laid out so, its result is NumPy's when `sure`, else relaid to `want` unless NumPy chose it
    too; other operand strides take `relay`'s walk.  (The common case is tested inline, for a tensor first
    operand and for two tensor operands: this runs per node.)"""
    def fix(xp, r, args):
        if all(args[i].strides == st for i, st in expected):
            return r if r.strides == want_bytes else relayout(xp, r, want)
        return relay(xp, r, *pick(args))
    if [i for i, _ in expected] == [0]:
        ((_, st),) = expected

        def laid_out(xp, a, *rest, **kwargs):
            r = kernel(xp, a, *rest, **kwargs)
            if a.strides == st and (sure or r.strides == want_bytes):
                return r
            return fix(xp, r, (a,) + rest)
        return laid_out
    if [i for i, _ in expected] == [0, 1]:
        (_, st), (_, st2) = expected

        def laid_out2(xp, a, b, *rest, **kwargs):
            r = kernel(xp, a, b, *rest, **kwargs)
            if a.strides == st and b.strides == st2 and (sure or r.strides == want_bytes):
                return r
            return fix(xp, r, (a, b) + rest)
        return laid_out2

    def laid_out_at(xp, *args, **kwargs):
        r = kernel(xp, *args, **kwargs)
        return fix(xp, r, args)
    return laid_out_at


def _numpy_layout_is_torchs(tensors):
    """Whether NumPy lays out a pointwise result over arrays with these fakes' strides as torch does (see
    above): all in C order, or all of the output's static shape, with no size-1 dim, alike and dense."""
    if all(map(_c_order, tensors)):
        return True
    if not all(map(_static, tensors)):
        return False
    shape, first = tuple(tensors[0].shape), tuple(tensors[0].stride())
    return all(d > 1 for d in shape) and non_overlapping_and_dense(shape, first) and \
        all(tuple(x.shape) == shape and tuple(x.stride()) == first for x in tensors)


def _c_order(fake):
    """The fake's strides are C order's, its size-1 dims' included."""
    return fake._strides is None or (_static(fake) and tuple(fake.stride()) == contiguous_strides(tuple(fake.shape)))


def _preserved_layout(xp, out, self):
    """`out` laid out as torch's `empty_like(self)`: self's strides when dense, else dense in self's order."""
    strides = _preserved(tuple(self.shape), array_strides(self))
    return out if array_strides(out) == strides else relayout(xp, out, strides)


def _preserved(shape, strides):
    """The strides of torch's empty_like (preserve_format) over a tensor laid out so."""
    if non_overlapping_and_dense(shape, strides):
        return tuple(strides)
    return pointwise_strides_of(shape, [(shape, strides)])


def _contiguous_layout(xp, out, *operands):
    """`out` in C order, its size-1 dims' strides included."""
    strides = contiguous_strides(tuple(out.shape))
    return out if array_strides(out) == strides else relayout(xp, out, strides)


class _ResultLayout(typing.NamedTuple):
    """One of torch's ways to lay a result out (see above)."""
    relay: object       # relay(xp, result, *operands): the result laid out so
    strides: object     # strides(layouts): the result's strides given its operands' (shape, strides)
    bare: object        # bare(fakes, strides_known): NumPy's result over arrays laid out as the fakes is so


_RESULT_LAYOUTS = {
    "pointwise": _ResultLayout(
        pointwise_layout, lambda layouts: pointwise_strides_of(broadcast_shapes(*(s for s, _ in layouts)), layouts),
        lambda fakes, known: max(x.ndim for x in fakes) <= 1 or (known and _numpy_layout_is_torchs(fakes))),
    "preserve": _ResultLayout(
        _preserved_layout, lambda layouts: _preserved(*layouts[0]),
        lambda fakes, known: max(x.ndim for x in fakes) == 0 or (known and _numpy_layout_is_torchs(fakes))),
    "contiguous": _ResultLayout(
        _contiguous_layout, lambda layouts: contiguous_strides(broadcast_shapes(*(s for s, _ in layouts))),
        lambda fakes, known: max(x.ndim for x in fakes) <= 1 or (known and all(map(_c_order, fakes)))),
}


def _static(fake):
    return all(type(d) is int for d in fake.shape)


def _probe_array(fake, compute):
    return np.ones((1,) * fake.ndim, compute.numpy_dtype)


def _scalar_ahead(value, compute):
    """A Python scalar cast to the compute dtype as the general kernel casts it, as a NumPy scalar
    of that dtype for the float dtypes NumPy has (one promotion step less per call)."""
    value = cast(np, value, compute)
    if compute in (dt.float16, dt.float32, dt.float64):
        with np.errstate(all="ignore"):
            scalar = compute.numpy_dtype.type(value)
        if math.isfinite(scalar) or not math.isfinite(value):
            return scalar
    return value


def _conversion(fn, out, probe_args, kwargs, rank=None):
    """None when fn already returns arrays of dtype `out` (for results of rank > 0), else `out`;
    False when the probe raised (no specialization)."""
    rank = probe_args[0].ndim if rank is None else rank
    try:
        with np.errstate(all="ignore"):
            r = fn(np, *probe_args, **kwargs)
    except Exception:
        return False
    if rank > 0 and type(r) is np.ndarray and r.dtype == out.numpy_dtype:
        return None
    return out


def _composed(fn, casts, post, on_value_error, static):
    """fn itself when no operand needs a cast, the result no conversion and the shapes are static;
    else fn wrapped with the casts (NumPy dtypes or None per operand), the conversion, and
    `on_value_error(*operands)` naming a broadcast mismatch."""
    if not any(c is not None for c in casts) and post is None and static:
        return fn
    if not any(c is not None for c in casts) and static:
        # only the result's conversion is left (NumPy gives a 0-dim result as a scalar): one asarray
        npd = post.numpy_dtype
        return lambda xp, *args, **kwargs: xp.asarray(fn(xp, *args, **kwargs), dtype=npd)
    n = len(casts)

    def kernel(xp, *args, **kwargs):
        operands = args[:n]
        cast_ops = [x if c is None else x.astype(c) for x, c in zip(operands, casts)]
        try:
            r = fn(xp, *cast_ops, *args[n:], **kwargs)
        except ValueError:
            if on_value_error is not None:
                on_value_error(*operands)
            raise
        return r if post is None else out_array(xp, r, post)
    return kernel


def _int_identity(xp, self, *args, **kwargs):
    """floor, ceil and round of an integer tensor: a copy, laid out as any pointwise result."""
    return pointwise_layout(xp, self.copy(), self)


def _simple(name):
    return f"{name}(Tensor self) -> Tensor", f"{name}_(Tensor(a!) self) -> Tensor(a!)"


# The fast paths below take float32 and float64 NumPy arrays; other dtypes and array types
# (CuPy, Dask) keep the general forms.
_FAST_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# sigmoid and SiLU on float32/float64 are torch's 1 / (1 + exp(-x)) and x / (1 + exp(-x)) (within
# 4 float32 ulp of torch's, where 0.5 (1 + tanh(x / 2)) lost all relative accuracy below x = -10),
# computed on NumPy arrays as four in-place passes over one fresh array (np.tanh costs twice
# np.exp, and each temporary of the whole-array form is a fresh array to fault in).  exp(-x)
# overflows to inf for x below about -88 (float32): the sigmoid is then 1 / inf = 0 and the SiLU
# x / inf = -0, as torch's; silu(-inf) is -inf / inf = NaN, as torch's.  Other dtypes keep the
# tanh form.
def _exp_neg_plus_one(xp, a, out=None):
    """1 + exp(-a) into `out` (a fresh array when None) for a float32/float64 NumPy array a (ndim > 0),
    else None."""
    if type(a) is not np.ndarray or a.dtype not in _FAST_FLOATS or not a.ndim:
        return None
    t = np.negative(a, out=out)
    with np.errstate(over="ignore"):
        np.exp(t, out=t)
    t += 1
    return t


def _sigmoid(xp, a):
    """1 / (1 + exp(-a)) (see above)."""
    t = _exp_neg_plus_one(xp, a)
    if t is None:
        return 0.5 * (1 + xp.tanh(a * 0.5))
    return np.divide(1, t, out=t)


def _sigmoid_into(xp, a):
    """sigmoid computed into `a` itself (the runner's donating form), where a is a writeable NumPy
    float32/float64 array; else the ordinary kernel."""
    if type(a) is np.ndarray and a.flags.writeable and _exp_neg_plus_one(xp, a, out=a) is not None:
        return np.divide(1, a, out=a)
    return _sigmoid(xp, a)


def _silu(xp, a, out=None):
    """a / (1 + exp(-a)) (see above), the quotient written into `out` when given (the fast path only)."""
    t = _exp_neg_plus_one(xp, a)
    if t is None:
        return a * (0.5 * (1 + xp.tanh(a * 0.5)))
    with np.errstate(invalid="ignore"):
        return np.divide(a, t, out=t if out is None else out)


def _silu_into(xp, a):
    """silu computed into `a` itself (the runner's donating form): 1 + exp(-a) still needs a fresh
    array, but the quotient goes into `a`, not into a result to copy back."""
    return _silu(xp, a, out=a if type(a) is np.ndarray and a.flags.writeable else None)


# ------------------------------------------------------ clamp fast path --
# NumPy's maximum and minimum against a Python scalar run their scalar loop, a third of the
# speed of the same ufunc against an array, and np.clip wraps its ufunc in a few microseconds
# of Python.  The clip ufunc itself, given scalar bounds, is one SIMD pass over the data, and
# it is torch's clamp element for element: NaN passes through (its sign bit too), and a zero
# of either sign inside [lo, hi] comes back as it went in, where max(-0.0, 0) gave +0.0
# (torch's relu(-0.0) is -0.0).  It serves clamp, relu, relu6, hardtanh, hardsigmoid and
# hardswish on float32 and float64 NumPy arrays, with bounds that are numbers (not NaN, and
# not beyond the dtype's range); everything else keeps the maximum/minimum path.
_CLIP_UFUNC = getattr(getattr(getattr(np, "_core", None), "umath", None), "clip", None)
_CLIP_BOUNDS = {}       # (bound, its type, its sign, dtype, side) -> the bound as a scalar of dtype, or None


def _clip_bound(value, dtype, side):
    """A clamp bound as a scalar of `dtype`, None meaning none (an infinity of sign `side`); None when
    the fast path cannot take it (NaN, beyond the dtype's range, not a number).  Python numbers are
    cached (with their sign: 0.0 and -0.0 are equal keys otherwise): a model's clamps repeat their
    bounds, and the checks cost more than the clip of a small array."""
    cached = value is None or type(value) in (int, float)
    if cached:
        key = (value, type(value), value is not None and math.copysign(1.0, value), dtype, side)
        r = _CLIP_BOUNDS.get(key, False)
        if r is not False:
            return r
    if value is None:
        r = dtype.type(side * math.inf)
    elif not _is_number(value):
        return None
    else:
        try:
            v = float(value)
        except OverflowError:
            v = math.nan
        r = None if v != v or (math.isfinite(v) and abs(v) > float(np.finfo(dtype).max)) else dtype.type(v)
    if cached:
        if len(_CLIP_BOUNDS) > 4096:
            _CLIP_BOUNDS.clear()
        _CLIP_BOUNDS[key] = r
    return r


def _fast_clip(a, lo=None, hi=None, out=None):
    """clamp(a, lo, hi) by NumPy's clip ufunc into `out` (a new array when None), or None where the
    fast path does not apply (see above): then the caller's general path runs."""
    if _CLIP_UFUNC is None or type(a) is not np.ndarray or a.dtype not in _FAST_FLOATS:
        return None
    lo = _clip_bound(lo, a.dtype, -1)
    hi = _clip_bound(hi, a.dtype, 1)
    if lo is None or hi is None:
        return None
    return _CLIP_UFUNC(a, lo, hi) if out is None else _CLIP_UFUNC(a, lo, hi, out=out)


def _clamped(xp, a, lo=None, hi=None):
    """min(max(a, lo), hi), by the clip ufunc where it applies (see above)."""
    r = _fast_clip(a, lo, hi)
    if r is not None:
        return r
    if lo is not None:
        a = xp.maximum(a, lo)
    if hi is not None:
        a = xp.minimum(a, hi)
    return a


def _clamped_into(xp, a, lo=None, hi=None):
    """min(max(a, lo), hi) computed into `a` itself (the runner's donating form)."""
    if _fast_clip(a, lo, hi, out=a) is not None:
        return a
    a[...] = _clamped(xp, a, lo, hi)      # (an integer a with float bounds: computed wider, cast back)
    return a


# relu's clip bounds per float dtype, made once: at batch 1 the general checks of `_fast_clip` cost as
# much as the clip itself
_RELU_BOUNDS = {d: (d.type(0), d.type(math.inf)) for d in _FAST_FLOATS} if _CLIP_UFUNC is not None else {}


def _relu(xp, a):
    """max(a, 0) (a -0.0 kept, as torch keeps it); bools come back as they are."""
    bounds = _RELU_BOUNDS.get(a.dtype) if type(a) is np.ndarray else None
    if bounds is not None:
        return _CLIP_UFUNC(a, *bounds)
    if a.dtype.kind == "b":
        return a.copy()
    return _clamped(xp, a, 0)


def _relu_into(xp, a):
    """relu computed into `a` itself (the runner's donating form)."""
    bounds = _RELU_BOUNDS.get(a.dtype) if type(a) is np.ndarray and a.flags.writeable else None
    if bounds is not None:
        return _CLIP_UFUNC(a, *bounds, out=a)
    if a.dtype.kind == "b" or (type(a) is np.ndarray and not a.flags.writeable):
        return _relu(xp, a)
    return xp.maximum(a, 0, out=a)


def _relu_plan_kernel(dtype, into):
    """ep.module()'s relu kernel for a float `dtype` plan (computing into its input when `into`), or None:
    the clip ufunc with the dtype's bounds bound ahead (another namespace or a read-only array takes the
    general forms)."""
    bounds = _RELU_BOUNDS.get(dtype)
    if bounds is None:
        return None
    lo, hi = bounds
    if into:
        def relu_into(xp, a):
            if xp is np:
                try:
                    return _CLIP_UFUNC(a, lo, hi, out=a)
                except ValueError:       # a read-only array
                    pass
            return _relu_into(xp, a)
        return relu_into
    return lambda xp, a: _CLIP_UFUNC(a, lo, hi) if xp is np else _relu(xp, a)


# name -> plan_kernel(numpy dtype, into): a unary op's kernel made for one dtype when a plan is built
_PLAN_KERNELS = {"relu": _relu_plan_kernel}


def _leaky_relu(xp, a, negative_slope=0.01):
    """a where a > 0, else a * negative_slope.

    np.where costs several nanoseconds an element on a random sign pattern; for a
    slope s in (0, 1) (after rounding to a's dtype) the result is max(a, a * s) and
    for s > 1 min(a, a * s), two SIMD passes giving the same bits: a * s lies on the
    right side of a for every sign, zero, infinity and NaN of a.  (s = 0 would turn
    +inf into NaN, a negative s has no such form.)
    """
    if type(a) is np.ndarray and a.dtype in _FAST_FLOATS and a.ndim and type(negative_slope) in (int, float):
        s = a.dtype.type(negative_slope)
        if 0 < s < 1 or 1 < s < np.inf:
            with np.errstate(all="ignore"):
                r = a * s
            return np.maximum(a, r, out=r) if s < 1 else np.minimum(a, r, out=r)
    return xp.where(a > 0, a, a * negative_slope)


# GELU is the largest pointwise op of a transformer MLP (4x the model width).  On NumPy
# float32 it runs per cache-sized chunk as x / (1 + exp(z)) (runtime/special.py, gelu32):
# the activation is read from memory once, and no tanh.  Other dtypes and backends
# compute into one output buffer with in-place steps.
_SQRT_HALF = 1 / math.sqrt(2.0)
_GELU_APPROXIMATIONS = ("none", "tanh")


def _check_approximate(approximate):
    check(approximate in _GELU_APPROXIMATIONS,
          lambda: f"approximate argument must be either none or tanh, got {approximate!r}")


def _gelu(xp, a, approximate="none"):
    """x * Phi(x), exactly (erf) or with torch's tanh approximation."""
    _check_approximate(approximate)
    if xp is np and a.dtype == np.float32:
        if a.flags.c_contiguous:
            return gelu32(a, buffers.empty(np, a.shape, np.float32), approximate)
        # the output keeps the input's order of dims, as torch's does (a permuted view gives a permuted
        # result); gelu32 wants a C-contiguous output: both are read with their dims in memory order
        out = np.empty_like(a)
        order = sorted(range(a.ndim), key=lambda d: -out.strides[d])
        if out.transpose(order).flags.c_contiguous:
            gelu32(a.transpose(order), out.transpose(order), approximate)
        else:
            out[...] = gelu32(a, np.empty(a.shape, np.float32), approximate)
        return out
    out = xp.empty_like(a)      # (in the input's order of dims, as above)
    if approximate == "tanh":
        xp.multiply(a, a, out=out)
        out *= 0.044715
        out += 1
        out *= a
        out *= math.sqrt(2.0 / math.pi)
        xp.tanh(out, out=out)
    else:
        xp.multiply(a, _SQRT_HALF, out=out)
        _erf(xp, out, out=out)
    out += 1
    out *= 0.5
    out *= a
    return out


def _gelu_into(xp, a, approximate="none"):
    """GELU computed into `a` itself, an intermediate nobody else reads (the runner's donating form):
    saves a fresh output (a few MiB of page faults on a transformer's activation).  Only the NumPy
    float32 path computes in place; other arrays get the ordinary kernel's fresh result."""
    if xp is np and a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable:
        _check_approximate(approximate)
        return gelu32(a, a, approximate)
    return _GELU.kernel(xp, a, approximate=approximate)


def _errs_ignored(f):
    def g(xp, *a, **k):
        with np.errstate(all="ignore"):
            return f(xp, *a, **k)
    return g


def _sign(xp, a):
    if a.dtype == np.bool_:
        return a.copy()
    r = xp.sign(a)
    # torch's sign of NaN is 0 (NumPy's is NaN)
    return xp.where(xp.isnan(r), 0, r).astype(r.dtype) if r.dtype.kind == "f" else r


def _abs(xp, a):
    return a.copy() if a.dtype == np.bool_ else xp.abs(a)


# (name, array function, dtype rule, donating form): torch tags each "core" and exposes it as
# `minexport.<name>` and `Tensor.<name>`; the donating form computes the result into a dying input.
_UNARY = [
    ("abs", _abs, same, lambda xp, a: xp.abs(a, out=a)),
    ("neg", lambda xp, a: xp.negative(a), no_bool, lambda xp, a: xp.negative(a, out=a)),
    ("exp", _errs_ignored(lambda xp, a: xp.exp(a)), int_to_float, _errs_ignored(lambda xp, a: xp.exp(a, out=a))),
    ("log", _errs_ignored(lambda xp, a: xp.log(a)), int_to_float, _errs_ignored(lambda xp, a: xp.log(a, out=a))),
    ("log1p", _errs_ignored(lambda xp, a: xp.log1p(a)), int_to_float,
     _errs_ignored(lambda xp, a: xp.log1p(a, out=a))),
    ("sqrt", _errs_ignored(lambda xp, a: xp.sqrt(a)), int_to_float, _errs_ignored(lambda xp, a: xp.sqrt(a, out=a))),
    ("rsqrt", _errs_ignored(lambda xp, a: _rsqrt(a) if type(a) is np.ndarray else 1 / xp.sqrt(a)), int_to_float,
     None),
    ("sin", lambda xp, a: xp.sin(a), int_to_float, lambda xp, a: xp.sin(a, out=a)),
    ("cos", lambda xp, a: xp.cos(a), int_to_float, lambda xp, a: xp.cos(a, out=a)),
    ("tanh", lambda xp, a: xp.tanh(a), int_to_float, lambda xp, a: xp.tanh(a, out=a)),
    ("sigmoid", _sigmoid, int_to_float, _sigmoid_into),
    ("erf", _erf, int_to_float, None),
    ("reciprocal", _errs_ignored(lambda xp, a: 1 / a), int_to_float,
     _errs_ignored(lambda xp, a: xp.divide(1, a, out=a))),
    ("relu", _relu, same, _relu_into),
    ("sign", _sign, same, None),
]
for _name, _fn, _rule, _donate in _UNARY:
    unary(_simple(_name)[0], _fn, _rule, _simple(_name)[1], donate=_donate, tags=("core",),
          variants=FUNCTION_AND_METHOD)

for _name, _fn in (("floor", lambda xp, a: xp.floor(a)), ("ceil", lambda xp, a: xp.ceil(a)),
                   ("round", lambda xp, a: xp.round(a))):
    unary(_simple(_name)[0], _fn, same, _simple(_name)[1], int_identity=True, tags=("core",),
          variants=FUNCTION_AND_METHOD)


unary("round.decimals(Tensor self, *, int decimals) -> Tensor",
      lambda xp, a, *, decimals: xp.round(a, decimals), same,
      "round_.decimals(Tensor(a!) self, *, int decimals) -> Tensor(a!)", int_identity=True,
      variants=FUNCTION_AND_METHOD)


def _silu_decomp(self):
    return aten.mul.Tensor(self, aten.sigmoid.default(self))


unary(_simple("silu")[0], _silu, float_only, _simple("silu")[1], decomposition=_silu_decomp, donate=_silu_into)
_GELU = unary('gelu(Tensor self, *, str approximate="none") -> Tensor', _gelu, float_only,
              'gelu_(Tensor(a!) self, *, str approximate="none") -> Tensor(a!)', donate=_gelu_into, tags=("core",))
unary("leaky_relu(Tensor self, Scalar negative_slope=0.01) -> Tensor",
      _leaky_relu, float_only,
      "leaky_relu_(Tensor(a!) self, Scalar negative_slope=0.01) -> Tensor(a!)", tags=("core",))


def _hardtanh_bounds(a, min_val, max_val, _checked=set()):
    """hardtanh's bounds, refused as torch refuses them: negative ones for an unsigned `a`, and any beyond the
    dtype of `a` (see check_scalar_range).  Bounds found good are remembered per dtype: a model calls
    hardtanh (relu6 in torch's graphs) with the same two numbers at every layer."""
    key = (min_val, max_val, a.dtype)
    if key in _checked:
        return min_val, max_val
    d = dtype_of(a)
    check(d is not dt.uint8 or (min_val >= 0 and max_val >= 0),
          "cannot do hardtanh on an unsigned type with negative limits")
    check_scalar_range(min_val, d, "hardtanh's min_val")
    check_scalar_range(max_val, d, "hardtanh's max_val")
    if len(_checked) < 1024:
        _checked.add(key)
    return min_val, max_val


unary("hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1) -> Tensor",
      lambda xp, a, min_val=-1, max_val=1: _clamped(xp, a, *_hardtanh_bounds(a, min_val, max_val)), no_bool,
      "hardtanh_(Tensor(a!) self, Scalar min_val=-1, Scalar max_val=1) -> Tensor(a!)", tags=("core",),
      donate=lambda xp, a, min_val=-1, max_val=1: _clamped_into(xp, a, *_hardtanh_bounds(a, min_val, max_val)),
      layout="preserve")
unary("isnan(Tensor self) -> Tensor", lambda xp, a: xp.isnan(a) if a.dtype.kind == "f"
      else xp.zeros(a.shape, dtype=bool), to_bool, tags=("core",), variants=FUNCTION_AND_METHOD)
unary("logical_not(Tensor self) -> Tensor", lambda xp, a: xp.logical_not(a), to_bool,
      "logical_not_(Tensor(a!) self) -> Tensor(a!)", tags=("core",), variants=FUNCTION_AND_METHOD)


def _bitwise_not(xp, a):
    check(a.dtype.kind in "biu", lambda: f'"bitwise_not_cpu" not implemented for '
                                         f"'{torch_type_name(dtype_of(a))}'")
    return xp.logical_not(a) if a.dtype == np.bool_ else xp.invert(a)


unary("bitwise_not(Tensor self) -> Tensor", _bitwise_not, same,
      "bitwise_not_(Tensor(a!) self) -> Tensor(a!)", tags=("core",), variants=FUNCTION_AND_METHOD)


# --------------------------------------------------------------- binary --
def compare(rt, name):
    """Comparisons compute in the promoted dtype and return bool."""
    return rt, dt.bool


def logical(rt, name):
    """Logical ops see their operands as bools."""
    return dt.bool, dt.bool


def bitwise(rt, name):
    """Bitwise ops accept integers and bools only."""
    check(not rt.is_floating_point,
          lambda: f'"{name}_cpu" not implemented for \'{torch_type_name(rt)}\'', NotImplementedError)
    return rt, rt


def no_bool_sub(rt, name):
    """Subtraction refuses two bools, as torch does."""
    check(rt is not dt.bool,
          "Subtraction, the `-` operator, with two bool tensors is not supported. "
          "Use the `^` or `logical_xor()` operator instead.")
    return rt, rt


def _broadcast_error(op, a, b):
    broadcast_shapes(shape_of(a), shape_of(b), op=op)


def binary(schema, fn, rule, inplace_schema=None, *, tags=(), variants=FUNCTION_AND_METHOD, decomposition=None,
           inplace_variants=None, ufunc=None, scalar_operand=True, layout="pointwise"):
    """Register a binary pointwise op `fn(xp, a, b, **kwargs)` (and its in-place twin, exposed as
    `inplace_variants` say, by default as its functional twin's method).

    `scalar_operand`: whether a Scalar argument takes part in the result's layout as a 0-d operand, as
    it does in torch for every op it wraps into a tensor (pow.Tensor_Scalar is a unary op there);
    `layout`: how torch lays the result out, a key of `_RESULT_LAYOUTS` (pow.Scalar: "contiguous").

    `ufunc`, when given, is the NumPy ufunc fn computes without extra arguments: the in-place twin
    then writes `ufunc(self, other)` straight into a writeable NumPy self when the result keeps self's
    dtype and shape.  (Not offered to ep.module() as a donating kernel: the plan's pooled outputs
    already spare fresh memory, and on the GPT-style benchmark computing the one add whose first
    operand dies into that operand moved later allocations enough to cost 5% in attention and GELU.)"""
    name = schema.split("(", 1)[0].split(".")[0]
    # the arguments (of a, b) that are layout operands: both, or the tensor alone
    positions = (0, 1) if scalar_operand else (1,) if schema.split("(", 2)[1].startswith("Scalar") else (0,)
    relay = _RESULT_LAYOUTS[layout].relay

    def meta(a, b, *args, **kwargs):
        _, out = rule(promote(a, b), name)
        if args or kwargs:      # (without them alpha is 1: nothing to check)
            _check_alpha(a, b, args, kwargs)
        shape = broadcast_shapes(shape_of(a), shape_of(b), op=name)
        if layout == "contiguous":
            return make_fake(shape, out, next(x._device for x in (a, b) if isinstance(x, Tensor)))
        return pointwise_fake(shape, out, *[(a, b)[i] for i in positions])

    def kernel(xp, a, b, *args, **kwargs):
        compute, out = rule(promote(a, b), name)
        if args or kwargs:
            _check_alpha(a, b, args, kwargs)
        try:
            r = fn(xp, cast(xp, a, compute), cast(xp, b, compute), *args, **kwargs)
        except ValueError:
            _broadcast_error(name, a, b)
            raise
        return relay(xp, out_array(xp, r, out), *[(a, b)[i] for i in positions])

    op = register(schema, meta=meta, kernel=kernel, tags=("pointwise",) + tuple(tags), variants=variants,
                  decomposition=decomposition)
    op.specialize = _binary_specializer(name, fn, rule, positions, layout)
    into_self = None
    if ufunc is not None:
        def into_self(xp, a, b, *args, **kwargs):
            if not args and not kwargs and type(a) is np.ndarray and a.flags.writeable:
                compute, out = rule(promote(a, b), name)
                if compute is out and dtype_of(a) is out:
                    try:
                        return ufunc(a, cast(xp, b, compute), out=a)
                    except ValueError:      # (b does not broadcast to a's shape: the kernel's error or result)
                        pass
            return kernel(xp, a, b, *args, **kwargs)
    if inplace_schema:
        register_inplace(op, inplace_schema, variants=inplace_variants, into_self=into_self)
    return op


def _check_alpha(a, b, args, kwargs):
    alpha = args[0] if args else kwargs.get("alpha", 1)
    if alpha != 1 and not promote(a, b).is_floating_point:
        check(not isinstance(alpha, float),
              "For integral input tensors, argument alpha must not be a floating point number.")


def _add(xp, a, b, alpha=1):
    return a + b * alpha if alpha != 1 else a + b  # on bools NumPy's + is logical or, as torch's


def _sub(xp, a, b, alpha=1):
    return a - b * alpha if alpha != 1 else a - b


def _mul(xp, a, b):
    return a * b  # on bools NumPy's * is logical and, as torch's


def _int_zero_check(b):
    if getattr(b, "dtype", np.dtype("f")).kind in "iub" or isinstance(b, int):
        check(not (b == 0).any() if hasattr(b, "any") else b != 0, "ZeroDivisionError")


# ------------------------------------------------- division modes by a number --
# NumPy's float remainder and floor_divide call the C library's fmodf per element (14-26 ns
# an element), and its integer remainder by a number takes 8 ns where its integer
# floor_divide by a number takes 1.2 (libdivide).  torch defines both float modes from fmod
# (c10's div_floor_floating; the remainder adds b to a nonzero fmod of the other sign than
# b).  For a C-contiguous float32 array and a number, runtime/special.py computes them per
# cache-sized chunk in float64, exactly, with torch's one rounding to float32 (remainder32_into,
# floor_div32_into); a chunk those steps cannot take (inf, NaN, huge quotients) computes fmod
# (np.fmod, or exactly in float64: fmod32_into) and follows torch's float32 steps after it one
# by one.  Either way the bits are torch's (and, for floor division, NumPy's: it follows the
# same steps); NumPy's remainder differed only in giving an exact zero b's sign, not x's.
# Integer remainder and truncating division by a number become floor_divide and exact integer
# arithmetic.  Other dtypes, tensor divisors, zero and non-finite divisors keep NumPy's ufuncs.
# Not imitated: torch's remainder and fmod of float32/float64 give NaN where |x| * (1 / |b|) overflows,
# but only for the elements its vectorized loop takes (blocks of 16 float32 / 8 float64 on AVX2, Sleef's
# fmod); the remainder of a block and arrays shorter than one take the exact std::fmod, so which elements
# are NaN depends on the length, the thread split and the CPU, not on the values: ours are exact.
def _is_number(v):
    return type(v) in (int, float) or isinstance(v, (np.integer, np.floating))


def _float32_divisor(a, b):
    """b as a float32 when `a` is a float32 NumPy array (not 0-d) and b a number that is finite and
    nonzero in float32; else None."""
    if type(a) is not np.ndarray or a.dtype != np.float32 or a.ndim == 0 or not _is_number(b):
        return None
    with np.errstate(over="ignore"):
        b32 = np.float32(b)
    return b32 if b32 != 0 and math.isfinite(b32) else None


def _int_divisor(a, b):
    """b as an int when `a` is an integer NumPy array (not bool, not 0-d) and b an integer other than 0 and -1."""
    if type(a) is not np.ndarray or a.dtype.kind not in "iu" or a.ndim == 0:
        return None
    if type(b) is not int and not isinstance(b, np.integer):
        return None
    return int(b) if b not in (0, -1) else None


def _floor_div_steps(b):
    """fmod32_into's finish for torch's floor division by b (c10's div_floor_floating, step by step):
    div = (x - mod) / b, less 1 where mod is nonzero with the other sign than b; then floor(div), plus 1
    where div - floor(div) > 0.5; a zero div gives a zero of the sign of x / b.  The result is built
    in `mod`'s own array (the output), once mod is read for the last time.

    The masks enter as bool operands (minus or plus 1 or 0), not as masked ufuncs (6 ns an element).
    A zero div happens for |x| < |b| of b's sign, where it is +0 after the plus-0 step, which is
    torch's zero for every x but +-0; for those the sign bit of x / b is set by integer operations
    on the zeros alone (no NaN is touched).
    """
    sign_bit = np.uint32(0x80000000)

    def finish(x, mod, div, spare):
        np.subtract(x, mod, out=div)
        div /= b
        adjust = np.less(mod, 0) if b > 0 else np.greater(mod, 0)
        np.subtract(div, adjust, out=div)
        fl = np.floor(div, out=mod)
        np.subtract(div, fl, out=div)
        np.greater(div, 0.5, out=adjust)
        np.add(fl, adjust, out=fl)
        zero_x = np.equal(x, 0, out=adjust)
        if zero_x.any():
            sign = np.bitwise_and(x.view(np.uint32), sign_bit, out=spare.view(np.uint32))
            if b < 0:
                sign ^= sign_bit
            sign *= zero_x
            fl.view(np.uint32)[...] |= sign
    return finish


def _floor_div_by_number(a, b, out):
    """torch's floor division of a float32 array by a float32 number: floor_div32_into, whose chunks with
    quotients past 2^21 (or inf, NaN) follow torch's steps from fmod (_floor_div_steps)."""
    finish = _floor_div_steps(b)
    return floor_div32_into(a, b, out, lambda x, o: fmod32_into(x, b, o, finish))


_BY_NUMBER = {"remainder": remainder32_into, "floor": _floor_div_by_number}


def _by_float32_number(a, b, mode):
    """torch's remainder or floor division (`mode`) of a C-contiguous float32 array by a number, or None
    (see above)."""
    b32 = _float32_divisor(a, b)
    if b32 is None or not a.flags.c_contiguous:
        return None
    with np.errstate(all="ignore"):       # (inf and NaN results are torch's too)
        return _BY_NUMBER[mode](a, b32, buffers.empty(np, a.shape, np.float32))


def _int_remainder(a, b):
    """a - floor_divide(a, b) * b: the floor remainder, exact in wrapping integer arithmetic."""
    q = np.floor_divide(a, b)
    q *= b
    return np.subtract(a, q, out=q)


def _int_trunc_div(a, b):
    """a / b rounded toward zero for b > 0: floor_divide(a + (b - 1 where a < 0), b), since
    ceil(a / b) = floor((a + b - 1) / b); a + b - 1 cannot overflow for negative a."""
    if a.dtype.kind == "u":
        return np.floor_divide(a, b)
    bias = np.right_shift(a, a.dtype.itemsize * 8 - 1)     # -1 where a < 0, else 0
    bias &= b - 1
    bias += a
    return np.floor_divide(bias, b, out=bias)


def _remainder(xp, a, b):
    """torch's remainder: the sign of b, and a zero keeps the sign of a (torch's fmod-based rule;
    NumPy's gives it b's sign)."""
    r = _by_float32_number(a, b, "remainder")
    if r is not None:
        return r
    if _int_divisor(a, b) is not None:
        return _int_remainder(a, int(b))
    r = xp.remainder(a, b)
    if getattr(r, "dtype", None) is not None and r.dtype.kind == "f":
        if type(r) is np.ndarray and r.ndim:
            np.copysign(r, a, out=r, where=r == 0)
        else:
            r = xp.where(r == 0, xp.copysign(r, a), r)
    return r


def _div(xp, a, b, rounding_mode=None):
    if rounding_mode is None:
        with np.errstate(all="ignore"):
            return a / b
    integer = getattr(a, "dtype", np.dtype("f")).kind in "iub"
    if integer:
        _int_zero_check(b)
    if rounding_mode == "floor":
        r = _by_float32_number(a, b, "floor")
        if r is not None:
            return r
    elif rounding_mode == "trunc" and _int_divisor(a, b) is not None and b > 0:
        return _int_trunc_div(a, int(b))
    with np.errstate(all="ignore"):
        if rounding_mode == "floor":
            return xp.floor_divide(a, b)
        check(rounding_mode == "trunc",
              lambda: f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                      f"but found '{rounding_mode}'")
        if integer:
            q = xp.floor_divide(a, b)
            fix = (xp.remainder(a, b) != 0) & ((a < 0) != (b < 0))
            return q + fix.astype(q.dtype) if hasattr(q, "dtype") else q + int(fix)
        return xp.trunc(a / b)


def _ignoring(f):
    def g(xp, a, b):
        if getattr(a, "dtype", np.dtype("f")).kind in "iu":
            _int_zero_check(b)
        with np.errstate(all="ignore"):
            return f(xp, a, b)
    return g


def _is_int(v):
    return v.dtype.kind in "iu" if hasattr(v, "dtype") else isinstance(v, int) and not isinstance(v, bool)


# pow with a small constant exponent, as torch's CPU kernel computes it: by products, a
# square root or a reciprocal instead of the general pow (np.power(x, 3.0) costs 10 ns an
# element; x * x * x 0.3).  Each form gives torch's bits for every float32/float64 input,
# NaN and infinities included (measured element by element), and x ** 0.5 the same bits as
# np.power (which already takes its square root; torch's differs by an ulp at times).
_POW_FORMS = {
    2.0: lambda a: a * a,
    3.0: lambda a: a * a * a,
    -1.0: lambda a: np.divide(1, a),
    -2.0: lambda a: np.divide(1, a * a),
    0.5: np.sqrt,
    -0.5: lambda a: _rsqrt(a),
}


def _rsqrt(a):
    """1 / sqrt(a) of a NumPy array, the quotient taken in place on the root's fresh array."""
    t = np.sqrt(a)
    return np.divide(1, t, out=t) if type(t) is np.ndarray else 1 / t


def _pow_form(a, b):
    """The product form of a ** b (see above) for a float32/float64 NumPy array and a number b, else None."""
    if type(a) is not np.ndarray or a.dtype not in _FAST_FLOATS or not _is_number(b):
        return None
    return _POW_FORMS.get(b)


def _pow(xp, a, b):
    form = _pow_form(a, b)
    if form is not None:
        with np.errstate(all="ignore"):
            return form(a)
    if _is_int(a) and _is_int(b):
        # a negative Python-number exponent is refused; negative tensor exponents follow integer
        # arithmetic: 1 ** -n = 1, (-1) ** -n = +-1, anything else ** -n = 0 (torch's integer pow)
        check(hasattr(b, "dtype") or b >= 0, "Integers to negative integer powers are not allowed.")
        if hasattr(b, "dtype") and (b < 0).any():
            a = xp.asarray(a)
            pos = xp.power(a, xp.where(b < 0, 0, b))
            odd = xp.remainder(b, 2) == 1
            neg = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0)).astype(pos.dtype)
            return xp.where(b < 0, neg, pos)
    with np.errstate(all="ignore"):
        return xp.power(a, b)


# (name, array function, dtype rule, has alpha, the ufunc it is without alpha): Tensor and Scalar
# overloads, both tagged "core"
_BINARY_TS = [
    ("add", _add, same, True, np.add),
    ("sub", _sub, no_bool_sub, True, np.subtract),
    ("mul", _mul, same, False, np.multiply),
    ("div", _div, int_to_float, False, None),
    ("remainder", _ignoring(_remainder), same, False, None),
    ("fmod", _ignoring(lambda xp, a, b: xp.fmod(a, b)), same, False, None),
    ("eq", lambda xp, a, b: a == b, compare, False, None),
    ("ne", lambda xp, a, b: a != b, compare, False, None),
    ("lt", lambda xp, a, b: a < b, compare, False, None),
    ("le", lambda xp, a, b: a <= b, compare, False, None),
    ("gt", lambda xp, a, b: a > b, compare, False, None),
    ("ge", lambda xp, a, b: a >= b, compare, False, None),
    ("bitwise_and", lambda xp, a, b: xp.bitwise_and(a, b), bitwise, False, None),
    ("bitwise_or", lambda xp, a, b: xp.bitwise_or(a, b), bitwise, False, None),
]
for _name, _fn, _rule, _alpha, _ufunc in _BINARY_TS:
    _kw = ", *, Scalar alpha=1" if _alpha else ""
    _skw = ", Scalar alpha=1" if _alpha else ""
    binary(f"{_name}.Tensor(Tensor self, Tensor other{_kw}) -> Tensor", _fn, _rule,
           f"{_name}_.Tensor(Tensor(a!) self, Tensor other{_kw}) -> Tensor(a!)", tags=("core",), ufunc=_ufunc)
    binary(f"{_name}.Scalar(Tensor self, Scalar other{_skw}) -> Tensor", _fn, _rule,
           f"{_name}_.Scalar(Tensor(a!) self, Scalar other{_skw}) -> Tensor(a!)", tags=("core",), ufunc=_ufunc)


def _rsub_decomp(self, other, alpha=1):
    """other - alpha * self as one sub.Tensor; a Scalar `other` stays a number in the Tensor slot, as torch records."""
    return aten.sub.Tensor(other, self, alpha=alpha) if alpha != 1 else aten.sub.Tensor(other, self)


binary("rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
       lambda xp, a, b, alpha=1: _sub(xp, b, a, alpha), no_bool_sub, variants=("function",),
       decomposition=_rsub_decomp)
binary("rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
       lambda xp, a, b, alpha=1: _sub(xp, b, a, alpha), no_bool_sub, variants=("function",),
       decomposition=_rsub_decomp)
binary("div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode) -> Tensor", _div, same,
       "div_.Tensor_mode(Tensor(a!) self, Tensor other, *, str? rounding_mode) -> Tensor(a!)", tags=("core",))
binary("div.Scalar_mode(Tensor self, Scalar other, *, str? rounding_mode) -> Tensor", _div, same,
       "div_.Scalar_mode(Tensor(a!) self, Scalar other, *, str? rounding_mode) -> Tensor(a!)", tags=("core",))
def _floor_divide(xp, a, b):
    """floor_divide: torch's floor division (the float32-by-a-number path above, else NumPy's)."""
    r = _by_float32_number(a, b, "floor")
    return xp.floor_divide(a, b) if r is None else r


_floordiv = _ignoring(_floor_divide)


def _floor_divide_decomp(self, other):
    return aten.div.Tensor_mode(self, other, rounding_mode="floor")


def _floor_divide_scalar_decomp(self, other):
    """div.Tensor_mode with the Scalar in its Tensor slot, as torch's core graph records it."""
    return aten.div.Tensor_mode(self, other, rounding_mode="floor")


binary("floor_divide(Tensor self, Tensor other) -> Tensor", _floordiv, same,
       "floor_divide_.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)", decomposition=_floor_divide_decomp)
binary("floor_divide.Scalar(Tensor self, Scalar other) -> Tensor", _floordiv, same,
       "floor_divide_.Scalar(Tensor(a!) self, Scalar other) -> Tensor(a!)",
       decomposition=_floor_divide_scalar_decomp)


def _scalar_first_decomp(tensor_op):
    """`op.Scalar_Tensor(s, t)` is `op.Tensor(scalar_tensor(s), t)`."""
    def decomp(self, other):
        return tensor_op()(_scalar_tensor(self, other), other)
    return decomp


binary("remainder.Scalar_Tensor(Scalar self, Tensor other) -> Tensor", _ignoring(_remainder), same)
binary("bitwise_and.Scalar_Tensor(Scalar self, Tensor other) -> Tensor",
       lambda xp, a, b: xp.bitwise_and(a, b), bitwise)
binary("bitwise_or.Scalar_Tensor(Scalar self, Tensor other) -> Tensor",
       lambda xp, a, b: xp.bitwise_or(a, b), bitwise)
binary("maximum(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.maximum(a, b), same, tags=("core",))
binary("minimum(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.minimum(a, b), same, tags=("core",))
binary("max.other(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.maximum(a, b), same,
       decomposition=lambda self, other: aten.maximum.default(self, other))
binary("min.other(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.minimum(a, b), same,
       decomposition=lambda self, other: aten.minimum.default(self, other))
binary("logical_and(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.logical_and(a, b),
       logical, "logical_and_(Tensor(a!) self, Tensor other) -> Tensor(a!)", tags=("core",))
binary("logical_or(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.logical_or(a, b),
       logical, "logical_or_(Tensor(a!) self, Tensor other) -> Tensor(a!)", tags=("core",))
binary("pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor", _pow, same,
       "pow_.Tensor(Tensor(a!) self, Tensor exponent) -> Tensor(a!)", tags=("core",))
binary("pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor", _pow, same,
       "pow_.Scalar(Tensor(a!) self, Scalar exponent) -> Tensor(a!)", tags=("core",), scalar_operand=False)
binary("pow.Scalar(Scalar self, Tensor exponent) -> Tensor", _pow, same, tags=("core",), layout="contiguous")


# ---------------------------------------------------------- where & co --
def _where_meta(condition, self, other):
    _check_cond(condition.dtype)
    shape = broadcast_shapes(shape_of(condition), shape_of(self), shape_of(other), op="where")
    return pointwise_fake(shape, promote(self, other), condition, self, other)


def _check_cond(d):
    check(d in (dt.bool, dt.uint8), lambda: "where expected condition to be a boolean tensor, "
          f"but got a tensor with dtype {torch_type_name(d)}")


def _where_kernel(xp, condition, self, other):
    _check_cond(dtype_of(condition))
    rt = promote(self, other)
    try:
        r = xp.where(condition.astype(bool, copy=False), cast(xp, self, rt), cast(xp, other, rt))
    except ValueError:
        broadcast_shapes(shape_of(condition), shape_of(self), shape_of(other), op="where")
        raise
    return pointwise_layout(xp, out_array(xp, r, rt), condition, self, other)


# where's overloads, in the order schema resolution tries them (as torch's binding picks them)
for _s, _tags, _decomp in (
        ("where.self(Tensor condition, Tensor self, Tensor other) -> Tensor", ("core",), None),
        ("where.ScalarOther(Tensor condition, Tensor self, Scalar other) -> Tensor", (),
         lambda condition, self, other: aten.where.self(condition, self, _scalar_tensor(other, self))),
        ("where.ScalarSelf(Tensor condition, Scalar self, Tensor other) -> Tensor", (),
         lambda condition, self, other: aten.where.self(condition, _scalar_tensor(self, other), other)),
        ("where.Scalar(Tensor condition, Scalar self, Scalar other) -> Tensor", (),
         lambda condition, self, other: aten.where.self(condition, _scalar_tensor(self, condition),
                                                        _scalar_tensor(other, condition)))):
    register(_s, meta=_where_meta, kernel=_where_kernel, tags=("pointwise",) + _tags, variants=FUNCTION_AND_METHOD,
             decomposition=_decomp)


def _check_mask(d):
    check(d is dt.bool, lambda: "masked_fill_ only supports boolean masks, but got mask with "
                                f"dtype {torch_type_name(d)}")


def _masked_fill_meta(self, mask, value):
    _check_mask(mask.dtype)
    shape = broadcast_shapes(shape_of(self), shape_of(mask), op="masked_fill")
    return pointwise_fake(shape, self.dtype, self, mask)


def _masked_fill_kernel(xp, self, mask, value):
    _check_mask(dtype_of(mask))
    if hasattr(value, "shape"):
        check(value.ndim == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
    d = dtype_of(self)
    return pointwise_layout(xp, out_array(xp, xp.where(mask, cast(xp, value, d), self), d), self, mask)


def _masked_fill_scalar_decomp(self, mask, value):
    return aten.where.self(mask, _scalar_tensor(value, self, dtype=self.dtype), self)


def _masked_fill_tensor_decomp(self, mask, value):
    if value.dtype is not self.dtype:
        value = aten._to_copy.default(value, dtype=self.dtype)
    return aten.where.self(mask, value, self)


for _f, _i, _decomp in (
        ("masked_fill.Scalar(Tensor self, Tensor mask, Scalar value) -> Tensor",
         "masked_fill_.Scalar(Tensor(a!) self, Tensor mask, Scalar value) -> Tensor(a!)", _masked_fill_scalar_decomp),
        ("masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor",
         "masked_fill_.Tensor(Tensor(a!) self, Tensor mask, Tensor value) -> Tensor(a!)", _masked_fill_tensor_decomp)):
    register_inplace(register(_f, meta=_masked_fill_meta, kernel=_masked_fill_kernel, tags=("pointwise",),
                              variants=FUNCTION_AND_METHOD, decomposition=_decomp), _i)


# ---------------------------------------------------------------- clamp --
def _clamp_meta(self, min=None, max=None):
    check(min is not None or max is not None,
          "torch.clamp: At least one of 'min' or 'max' must not be None")
    shape = broadcast_shapes(*(shape_of(x) for x in (self, min, max) if x is not None), op="clamp")
    return pointwise_fake(shape, promote(self, min, max), self, *(b for b in (min, max) if hasattr(b, "shape")))


def _clamp_kernel(xp, self, min=None, max=None):
    check(min is not None or max is not None,
          "torch.clamp: At least one of 'min' or 'max' must not be None")
    rt = promote(self, min, max)
    for name, b in (("min", min), ("max", max)):
        if b is not None and not hasattr(b, "shape"):
            check_scalar_range(b, rt, f"clamp's {name}")
    r = cast(xp, self, rt)
    r = _clamped(xp, r, *(None if b is None else cast(xp, b, rt) for b in (min, max)))
    # (clamp's Scalar bounds are arguments, not operands, for torch's layout)
    return pointwise_layout(xp, out_array(xp, r, rt), self, *(b for b in (min, max) if hasattr(b, "shape")))


for _f, _i in (("clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor",
                "clamp_(Tensor(a!) self, Scalar? min=None, Scalar? max=None) -> Tensor(a!)"),
               ("clamp.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor",
                "clamp_.Tensor(Tensor(a!) self, Tensor? min=None, Tensor? max=None) -> Tensor(a!)")):
    register_inplace(register(_f, meta=_clamp_meta, kernel=_clamp_kernel, tags=("pointwise", "core"),
                              variants=FUNCTION_AND_METHOD), _i)


def _one_bound(bound):
    """clamp_min / clamp_max: (meta, kernel) of clamp with one bound given positionally."""
    return (lambda self, value: _clamp_meta(self, **{bound: value}),
            lambda xp, self, value: _clamp_kernel(xp, self, **{bound: value}))


def _one_bound_decomp(bound):
    """clamp_min(x, m) is clamp(x, m, None); clamp_max(x, m) is clamp(x, None, m)."""
    def decomp(self, value):
        op = aten.clamp.Tensor if hasattr(value, "shape") else aten.clamp.default
        return op(self, value, None) if bound == "min" else op(self, None, value)
    return decomp


for _bound in ("min", "max"):
    for _typ, _ov in (("Scalar", ""), ("Tensor", ".Tensor")):
        _meta, _kernel = _one_bound(_bound)
        _op = register(f"clamp_{_bound}{_ov}(Tensor self, {_typ} {_bound}) -> Tensor", meta=_meta, kernel=_kernel,
                       tags=("pointwise",), variants=FUNCTION_AND_METHOD, decomposition=_one_bound_decomp(_bound))
        register_inplace(_op, f"clamp_{_bound}_{_ov}(Tensor(a!) self, {_typ} {_bound}) -> Tensor(a!)")


# ============================================================================
# Elementwise breadth (issue 12): the rest of torch's core unary/binary math,
# xor, elu and fill, then the non-core ops torch's OpInfo database exercises.
# ============================================================================
def _quiet(name):
    """`xp.<name>` with floating-point warnings silenced (domain errors give NaN, as in torch)."""
    def fn(xp, a):
        with np.errstate(all="ignore"):
            return getattr(xp, name)(a)
    fn.__name__ = name
    return fn


# (ATen name, NumPy function): integer and bool inputs compute in the default float dtype
_UNARY_FLOAT_CORE = [
    ("acos", "arccos"), ("acosh", "arccosh"), ("asin", "arcsin"), ("asinh", "arcsinh"), ("atan", "arctan"),
    ("atanh", "arctanh"), ("cosh", "cosh"), ("sinh", "sinh"), ("tan", "tan"), ("expm1", "expm1"),
    ("log2", "log2"), ("log10", "log10"),
]
for _name, _np_name in _UNARY_FLOAT_CORE:
    unary(_simple(_name)[0], _quiet(_np_name), int_to_float, _simple(_name)[1], tags=("core",),
          variants=FUNCTION_AND_METHOD)
def _no_bool_vml(d, name):
    """Any dtype but bool (torch has no bool kernel: '"trunc_vml_cpu" not implemented for 'Bool'')."""
    check(d is not dt.bool, lambda: f'"{name}_vml_cpu" not implemented for \'Bool\'', NotImplementedError)
    return d, d


unary(_simple("trunc")[0], lambda xp, a: xp.trunc(a), _no_bool_vml, _simple("trunc")[1], int_identity=True,
      tags=("core",), variants=FUNCTION_AND_METHOD)
unary("isinf(Tensor self) -> Tensor", lambda xp, a: xp.isinf(a) if a.dtype.kind == "f"
      else xp.zeros(a.shape, dtype=bool), to_bool, tags=("core",), variants=FUNCTION_AND_METHOD)


def _atan2(xp, a, b):
    with np.errstate(all="ignore"):
        return xp.arctan2(a, b)


_atan2_op = binary("atan2(Tensor self, Tensor other) -> Tensor", _atan2, int_to_float,
                   "atan2_(Tensor(a!) self, Tensor other) -> Tensor(a!)", tags=("core",))


def register_out(functional, schema, *, tags=(), variants=FUNCTION_AND_METHOD):
    """Register the `.out` overload of `functional`: its result written into the keyword `out`.

    torch's rules for `out=`: the result must be castable to out's dtype, and
    out must already have the result's shape (torch would resize it; minexport
    tensors cannot change size in place, so a different shape is refused).
    """
    name = schema.split("(", 1)[0]

    def meta(*args, out, **kwargs):
        r = functional.meta(*args, **kwargs)
        _check_out(r.dtype, r.shape, out.dtype, out.shape, name)
        return out

    def kernel(xp, *args, out, **kwargs):
        r = functional.kernel(xp, *args, **kwargs)
        _check_out(dtype_of(r), shape_of(r), dtype_of(out), shape_of(out), name)
        return _write_out(xp, out, r)

    def functional_form(*args, out, **kwargs):
        # out's new value: the functional result in out's dtype
        r = functional(*args, **kwargs)
        return r if r.dtype is out.dtype else aten._to_copy.default(r, dtype=out.dtype)

    return register(schema, meta=meta, kernel=kernel, tags=tuple(tags), variants=variants,
                    functional=functional_form)


def _check_out(dtype, shape, out_dtype, out_shape, name):
    check(dt.can_cast(dtype, out_dtype),
          lambda: f"{name}: result type {torch_type_name(dtype)} can't be cast to the desired output type "
                  f"{torch_type_name(out_dtype)}")
    check(tuple(shape) == tuple(out_shape),
          lambda: f"{name}: out= has shape {list(out_shape)} but the result has shape {list(shape)}; "
                  "minexport does not resize out= tensors, pass one of the result's shape")


def _write_out(xp, out, value):
    out[...] = value
    return out


register_out(_atan2_op, "atan2.out(Tensor self, Tensor other, *, Tensor(a!) out) -> Tensor(a!)", tags=("core",))

for _ov, _typ in (("Tensor", "Tensor"), ("Scalar", "Scalar")):
    binary(f"bitwise_xor.{_ov}(Tensor self, {_typ} other) -> Tensor", lambda xp, a, b: xp.bitwise_xor(a, b),
           bitwise, f"bitwise_xor_.{_ov}(Tensor(a!) self, {_typ} other) -> Tensor(a!)", tags=("core",))
binary("bitwise_xor.Scalar_Tensor(Scalar self, Tensor other) -> Tensor",
       lambda xp, a, b: xp.bitwise_xor(a, b), bitwise)
binary("logical_xor(Tensor self, Tensor other) -> Tensor", lambda xp, a, b: xp.logical_xor(a, b),
       logical, "logical_xor_(Tensor(a!) self, Tensor other) -> Tensor(a!)", tags=("core",))


def _elu(xp, a, alpha=1, scale=1, input_scale=1):
    """scale * x for x > 0, else alpha * scale * (exp(x * input_scale) - 1)."""
    if type(a) is np.ndarray and a.dtype in _FAST_FLOATS and a.ndim and a.flags.c_contiguous:
        return _elu_on_the_rest(a, alpha, scale, input_scale)
    with np.errstate(all="ignore"):
        neg = xp.expm1(a * input_scale) * (alpha * scale)
    return xp.where(a > 0, a * scale, neg)


# NumPy's expm1 calls the C library per element (14 ns an element, ten times its exp), and the
# whole-array form computes it for every element, then throws away the positive ones.  On a
# C-contiguous float32/float64 array it runs on the other elements only (x <= 0 and NaN), gathered
# by index and put back into scale * x: the same operations on the same values, so the same bits.
def _elu_on_the_rest(a, alpha, scale, input_scale):
    """_elu of a C-contiguous float32/float64 NumPy array (see above)."""
    with np.errstate(all="ignore"):
        out = a * scale
        flat = a.reshape(-1)
        rest = np.flatnonzero(~(flat > 0))
        v = flat.take(rest)
        if input_scale != 1:
            v *= input_scale
        np.expm1(v, out=v)
        if alpha * scale != 1:
            v *= alpha * scale
        out.reshape(-1).put(rest, v)
    return out


def _float_only_as(kernel_name):
    """float_only, with torch's kernel name in the error ('"elu_cpu" not implemented for 'Long'')."""
    def rule(d, name):
        return float_only(d, kernel_name)
    return rule


unary("elu(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1) -> Tensor", _elu,
      _float_only_as("elu_cpu"),
      "elu_(Tensor(a!) self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1) -> Tensor(a!)", tags=("core",))


def _fill_value_check(value):
    if hasattr(value, "shape"):
        check(len(value.shape) == 0, lambda: "fill only supports 0-dimension value tensor but got tensor with "
                                             f"{len(value.shape)} dimensions.")


def _fill_meta(self, value):
    _fill_value_check(value)
    return pointwise_fake(self.shape, self.dtype, self)


def _fill_kernel(xp, self, value):
    _fill_value_check(value)
    d = dtype_of(self)
    return pointwise_layout(xp, out_array(xp, xp.full(self.shape, cast(xp, value, d), dtype=d.numpy_dtype), d), self)


def _fill_decomp(self, value):
    """fill: a full_like of self, through torch's Python API."""
    return aten.full_like.default(self, value, pin_memory=False)


register("fill.Scalar(Tensor self, Scalar value) -> Tensor", meta=_fill_meta, kernel=_fill_kernel,
         tags=("core",), variants=("function",), decomposition=_fill_decomp)
register("fill.Tensor(Tensor self, Tensor value) -> Tensor", meta=_fill_meta, kernel=_fill_kernel,
         variants=("function",), decomposition=lambda self, value: aten.copy.default(self, value))
