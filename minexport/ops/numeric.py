"""Numerical composites torch.export keeps as their own nodes: diff, trapezoid/trapz,
cumulative_trapezoid, gradient (its seven overloads), logspace (four), cov and corrcoef.

Each decomposes under run_decompositions() into slices, arithmetic, cat and
cumsum, in torch's order (trapezoid: `(sum(y) - (y[0] + y[-1]) * 0.5) * dx`;
logspace: `pow(base, linspace)`); the meta functions are those decompositions
run on meta functions (`composite`), and the kernels are direct NumPy.  cov
and corrcoef have no decomposition in torch's table (torch cannot export them:
they check the weights' values), so they stay as their own nodes here.
"""
import numpy as np

from .. import dtypes as dt
from .._tensor import make_fake
from ._common import check, dtype_of, fake_like, fmt_shape, out_array, promote, wrap_dim
from ._registry import FUNCTION_AND_METHOD, aten, register
from .shape_extra import composite

_FN = ("function",)


def _float_of(*operands):
    """The floating dtype a formula with a 0.5 factor gives: the operands' own, or the default float."""
    return promote(*operands, 0.5)


def _slice(x, dim, start, end):
    return aten.slice.Tensor(x, dim, start, end)


def _np_slice(a, dim, start, end):
    index = [slice(None)] * a.ndim
    index[dim] = slice(start, end)
    return a[tuple(index)]


# ----------------------------------------------------------------- diff --
def _diff_check(self, n, dim, prepend, append):
    check(self.ndim >= 1, "diff expects input to be at least one-dimensional")
    check(n >= 0, lambda: f"order must be non-negative but got {n}")
    dim = wrap_dim(dim, self.ndim)
    for other, what in ((prepend, "prepend"), (append, "append")):
        if other is None:
            continue
        check(other.ndim == self.ndim,
              "diff expects prepend or append to be the same dimension as input")
        for i in range(self.ndim):
            check(i == dim or other.shape[i] == self.shape[i],
                  lambda: f"diff expects the shape of tensor to prepend or append to match that of input except "
                          f"along the differencing dimension; input.size({i}) = {self.shape[i]}, but got "
                          f"tensor.size({i}) = {other.shape[i]}")
    return dim


def _diff_kernel(xp, self, n=1, dim=-1, prepend=None, append=None):
    dim = _diff_check(self, n, dim, prepend, append)
    if n == 0:      # no differences: self, without prepend or append (as torch)
        return self.copy()
    parts = [p for p in (prepend, self, append) if p is not None]
    d = promote(*parts) if len(parts) > 1 else dtype_of(self)
    a = xp.concatenate([p.astype(d.numpy_dtype) for p in parts], axis=dim) if len(parts) > 1 else self
    return out_array(xp, xp.diff(a, n=n, axis=dim) if n else a.copy(), d)


def _diff_decomp(self, n=1, dim=-1, prepend=None, append=None):
    dim = _diff_check(self, n, dim, prepend, append)
    if n == 0:
        return aten.clone.default(self)
    if prepend is not None or append is not None:
        self = aten.cat.default([p for p in (prepend, self, append) if p is not None], dim)
    for _ in range(n):
        length = self.shape[dim]
        high, low = _slice(self, dim, 1, max(length, 1)), _slice(self, dim, 0, max(length - 1, 0))
        self = aten.logical_xor.default(high, low) if self.dtype is dt.bool else aten.sub.Tensor(high, low)
    return self


composite("diff(Tensor self, int n=1, int dim=-1, Tensor? prepend=None, Tensor? append=None) -> Tensor",
          _diff_kernel, _diff_decomp, variants=FUNCTION_AND_METHOD)


# ------------------------------------------------------------ trapezoid --
def _drop(shape, dim):
    return [s for i, s in enumerate(shape) if i != dim]


def _x_viewed_check(y, x, dim):
    """x as it multiplies y's differences: 1-D (one value per sample point) or y's rank."""
    check(x.ndim == 1 or x.ndim == y.ndim,
          lambda: f"trapezoid: received x of dimensions {x.ndim} but expected 1 or {y.ndim}")
    if x.ndim == 1:
        check(x.shape[0] == y.shape[dim], "trapezoid: There must be one `x` value for each sample point")
        return [-1 if i == dim else 1 for i in range(y.ndim)]
    return None


def _trapezoid_dx_kernel(xp, y, *, dx=1, dim=-1):
    dim = wrap_dim(dim, y.ndim)
    d = _float_of(y, dx)
    if y.shape[dim] == 0:
        return xp.zeros(tuple(_drop(y.shape, dim)), dtype=dtype_of(y).numpy_dtype)
    a = y.astype(d.numpy_dtype)
    ends = _np_slice(a, dim, 0, 1) + _np_slice(a, dim, -1, None)
    return out_array(xp, (a.sum(axis=dim) - ends.squeeze(dim) * 0.5) * dx, d)


def _trapezoid_dx_decomp(y, *, dx=1, dim=-1):
    dim = wrap_dim(dim, y.ndim)
    if y.shape[dim] == 0:
        return aten.zeros.default(_drop(y.shape, dim), dtype=y.dtype, device=y.device)
    half_ends = aten.mul.Scalar(aten.add.Tensor(aten.select.int(y, dim, 0), aten.select.int(y, dim, -1)), 0.5)
    inner = aten.sub.Tensor(aten.sum.dim_IntList(y, [dim]), half_ends)
    return aten.mul.Scalar(inner, dx)


def _trapezoid_x_kernel(xp, y, x, *, dim=-1):
    dim = wrap_dim(dim, y.ndim)
    if y.shape[dim] == 0:
        return xp.zeros(tuple(_drop(y.shape, dim)), dtype=dtype_of(y).numpy_dtype)
    view = _x_viewed_check(y, x, dim)
    xv = x.reshape([x.shape[0] if v == -1 else 1 for v in view]) if view else x
    d = promote(y, x)
    xv, y = xv.astype(d.numpy_dtype), y.astype(d.numpy_dtype)
    dx = _np_slice(xv, dim, 1, None) - _np_slice(xv, dim, 0, -1)
    s = (dx * (_np_slice(y, dim, 1, None) + _np_slice(y, dim, 0, -1))).sum(axis=dim)
    return out_array(xp, s / 2.0, _halved(d))


def _halved(d):
    """The dtype of a `d` tensor divided by 2.0."""
    return d if d.is_floating_point else dt.get_default_dtype()


def _x_differences(y, x, dim):
    view = _x_viewed_check(y, x, dim)
    xv = aten.view.default(x, view) if view else x
    length = xv.shape[dim]
    return aten.sub.Tensor(_slice(xv, dim, 1, length), _slice(xv, dim, 0, length - 1))


def _y_pair_sum(y, dim):
    length = y.shape[dim]
    return aten.add.Tensor(_slice(y, dim, 1, length), _slice(y, dim, 0, length - 1))


def _trapezoid_x_decomp(y, x, *, dim=-1):
    dim = wrap_dim(dim, y.ndim)
    if y.shape[dim] == 0:
        return aten.zeros.default(_drop(y.shape, dim), dtype=y.dtype, device=y.device)
    dx = _x_differences(y, x, dim)
    return aten.div.Scalar(aten.sum.dim_IntList(aten.mul.Tensor(dx, _y_pair_sum(y, dim)), [dim]), 2.0)


def _cumtrapz_dx_kernel(xp, y, *, dx=1, dim=-1):
    dim = wrap_dim(dim, y.ndim)
    d = _float_of(y, dx)
    pairs = (_np_slice(y, dim, 1, None) + _np_slice(y, dim, 0, -1)).astype(d.numpy_dtype)
    return out_array(xp, xp.cumsum(pairs * (dx / 2.0), axis=dim), d)


def _cumtrapz_dx_decomp(y, *, dx=1, dim=-1):
    dim = wrap_dim(dim, y.ndim)
    return aten.cumsum.default(aten.mul.Scalar(_y_pair_sum(y, dim), dx / 2.0), dim)


def _cumtrapz_x_kernel(xp, y, x, *, dim=-1):
    dim = wrap_dim(dim, y.ndim)
    view = _x_viewed_check(y, x, dim) if y.shape[dim] else None
    xv = x.reshape([x.shape[0] if v == -1 else 1 for v in view]) if view else x
    d = promote(y, x)
    xv, y = xv.astype(d.numpy_dtype), y.astype(d.numpy_dtype)
    dx = _np_slice(xv, dim, 1, None) - _np_slice(xv, dim, 0, -1)
    s = xp.cumsum(dx * (_np_slice(y, dim, 1, None) + _np_slice(y, dim, 0, -1)), axis=dim)
    if not d.is_floating_point:   # cumsum of an integer tensor is int64 before the division
        s = s.astype(np.int64)
    return out_array(xp, s / 2.0, _halved(d))


def _cumtrapz_x_decomp(y, x, *, dim=-1):
    dim = wrap_dim(dim, y.ndim)
    dx = _x_differences(y, x, dim)
    return aten.div.Scalar(aten.cumsum.default(aten.mul.Tensor(dx, _y_pair_sum(y, dim)), dim), 2.0)


for _name, _dx_type in (("trapezoid", "Scalar dx=1"), ("trapz", "float dx=1."),
                        ("cumulative_trapezoid", "Scalar dx=1")):
    _cum = _name.startswith("cumulative")
    composite(f"{_name}.x(Tensor y, Tensor x, *, int dim=-1) -> Tensor",
              _cumtrapz_x_kernel if _cum else _trapezoid_x_kernel,
              _cumtrapz_x_decomp if _cum else _trapezoid_x_decomp, variants=_FN)
    composite(f"{_name}.dx(Tensor y, *, {_dx_type}, int dim=-1) -> Tensor",
              _cumtrapz_dx_kernel if _cum else _trapezoid_dx_kernel,
              _cumtrapz_dx_decomp if _cum else _trapezoid_dx_decomp, variants=_FN)


# ------------------------------------------------------------- gradient --
def _gradient_plan(self, spacing, dim, edge_order):
    """[(dim, spacing)] for each differentiated dim: spacing a number or a 1-D coordinate tensor."""
    check(edge_order in (1, 2), "torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = list(range(self.ndim))
    else:
        dims = [wrap_dim(d, self.ndim) for d in ([dim] if isinstance(dim, int) else dim)]
    if isinstance(spacing, (list, tuple)):
        check(len(spacing) == len(dims),
              lambda: f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                      f"arguments to have the same length, but got a spacing argument of length {len(spacing)} "
                      f"and a dim argument of length {len(dims)}.")
        plan = list(zip(dims, spacing))
    else:
        plan = [(d, 1 if spacing is None else spacing) for d in dims]
    for d, h in plan:
        check(self.shape[d] >= edge_order + 1,
              "torch.gradient expected each dimension size to be at least edge_order+1")
        if hasattr(h, "shape"):
            check(len(h.shape) == 1 and h.shape[0] == self.shape[d],
                  lambda: f"torch.gradient expected each tensor to be on the same device and of the same length "
                          f"as the dimension it spaces; got {fmt_shape(h.shape)} for a dimension of size "
                          f"{self.shape[d]}")
    return plan


def _gradient_kernel(xp, self, *, spacing=None, dim=None, edge_order=1):
    plan = _gradient_plan(self, spacing, dim, edge_order)
    outs = []
    for d, h in plan:
        res = promote(self, h) if hasattr(h, "shape") else promote(self, 1.0)
        res = res if res.is_floating_point else dt.get_default_dtype()
        a = self.astype(res.numpy_dtype)
        h = h.astype(res.numpy_dtype) if hasattr(h, "shape") else float(h)
        outs.append(out_array(xp, xp.gradient(a, h, axis=d, edge_order=edge_order), res))
    return outs


def _edge_uniform(f, d, h, edge_order):
    n = f.shape[d]

    def at(i):
        return _slice(f, d, i % n, i % n + 1)
    if edge_order == 1:
        first = aten.div.Scalar(aten.sub.Tensor(at(1), at(0)), h)
        last = aten.div.Scalar(aten.sub.Tensor(at(-1), at(-2)), h)
    else:
        # second order: (-1.5 f0 + 2 f1 - 0.5 f2) / h at the start, mirrored at the end (products first)
        p0, p1, p2 = aten.mul.Scalar(at(0), -1.5), aten.mul.Scalar(at(1), 2), aten.mul.Scalar(at(2), 0.5)
        first = aten.div.Scalar(aten.sub.Tensor(aten.add.Tensor(p0, p1), p2), h)
        q0, q1, q2 = aten.mul.Scalar(at(-3), 0.5), aten.mul.Scalar(at(-2), 2), aten.mul.Scalar(at(-1), 1.5)
        last = aten.div.Scalar(aten.add.Tensor(aten.sub.Tensor(q0, q1), q2), h)
    return first, last


def _coords(x, f, d):
    """A 1-D coordinate tensor viewed along dim d of f."""
    return aten.view.default(x, [-1 if i == d else 1 for i in range(f.ndim)])


def _grad_uniform(f, d, h, edge_order):
    # torch's order: the centered differences over h, the two edges, then the centre halved
    n = f.shape[d]
    low = _slice(f, d, 0, n - 2)
    centre = aten.div.Scalar(aten.sub.Tensor(_slice(f, d, 2, n), low), h)
    first, last = _edge_uniform(f, d, h, edge_order)
    return aten.cat.default([first, aten.div.Scalar(centre, 2), last], d)


def _grad_coordinates(f, d, x, edge_order):
    n = f.shape[d]
    dx = aten.sub.Tensor(_slice(x, 0, 1, n), _slice(x, 0, 0, n - 1))
    a, b = _coords(_slice(dx, 0, 0, n - 2), f, d), _coords(_slice(dx, 0, 1, n - 1), f, d)
    a2, b2 = aten.mul.Tensor(a, a), aten.mul.Tensor(b, b)
    # the second-order interior formula for uneven steps a (left) and b (right)
    num = aten.add.Tensor(aten.sub.Tensor(aten.mul.Tensor(a2, _slice(f, d, 2, n)),
                                          aten.mul.Tensor(b2, _slice(f, d, 0, n - 2))),
                          aten.mul.Tensor(aten.sub.Tensor(b2, a2), _slice(f, d, 1, n - 1)))
    interior = aten.div.Tensor(num, aten.mul.Tensor(aten.mul.Tensor(a, b), aten.add.Tensor(a, b)))

    def at(i):
        return _slice(f, d, i % n, i % n + 1)

    def step(i):
        return aten.select.int(dx, 0, i)
    if edge_order == 1:
        first = aten.div.Tensor(aten.sub.Tensor(at(1), at(0)), step(0))
        last = aten.div.Tensor(aten.sub.Tensor(at(-1), at(-2)), step(-1))
    else:
        first = _edge2(at(0), at(1), at(2), step(0), step(1), True)
        last = _edge2(at(-3), at(-2), at(-1), step(-2), step(-1), False)
    return aten.cat.default([first, interior, last], d)


def _edge2(f0, f1, f2, a, b, left):
    """The second-order one-sided difference at an edge, steps a then b (NumPy's coefficients)."""
    ab, apb = aten.mul.Tensor(a, b), aten.add.Tensor(a, b)
    if left:
        c0 = aten.neg.default(aten.div.Tensor(aten.add.Tensor(aten.mul.Scalar(a, 2.0), b), aten.mul.Tensor(a, apb)))
        c1 = aten.div.Tensor(apb, ab)
        c2 = aten.neg.default(aten.div.Tensor(a, aten.mul.Tensor(b, apb)))
    else:
        c0 = aten.div.Tensor(b, aten.mul.Tensor(a, apb))
        c1 = aten.neg.default(aten.div.Tensor(apb, ab))
        c2 = aten.div.Tensor(aten.add.Tensor(aten.mul.Scalar(b, 2.0), a), aten.mul.Tensor(b, apb))
    return aten.add.Tensor(aten.add.Tensor(aten.mul.Tensor(f0, c0), aten.mul.Tensor(f1, c1)), aten.mul.Tensor(f2, c2))


def _gradient_decomp(self, *, spacing=None, dim=None, edge_order=1):
    plan = _gradient_plan(self, spacing, dim, edge_order)
    outs = []
    for d, h in plan:
        if hasattr(h, "shape"):
            outs.append(_grad_coordinates(self, d, h, edge_order))
        else:
            outs.append(_grad_uniform(self, d, h, edge_order))
    return outs


for _overload, _args in (("scalarint", "Scalar? spacing=None, int? dim=None"),
                         ("scalararray", "Scalar spacing, int[] dim"), ("array", "int[] dim"),
                         ("scalarrayint", "Scalar[] spacing, int? dim=None"),
                         ("scalarrayarray", "Scalar[] spacing, int[] dim"),
                         ("tensorarrayint", "Tensor[] spacing, int? dim=None"),
                         ("tensorarray", "Tensor[] spacing, int[] dim")):
    composite(f"gradient.{_overload}(Tensor self, *, {_args}, int edge_order=1) -> Tensor[]",
              _gradient_kernel, _gradient_decomp, variants=_FN)


# ------------------------------------------------------------- logspace --
def _value(x):
    """A Python number from a number or a one-element tensor/array."""
    return x.item() if hasattr(x, "item") else x


def _bounds(start, end, d):
    """start and end as numbers; an integral result dtype truncates them first, as torch does."""
    start, end = _value(start), _value(end)
    if not d.is_floating_point:
        return int(start), int(end)
    return start, end


def _logspace_kernel(xp, start, end, steps, base=10.0, *, dtype=None, layout=None, device=None, pin_memory=None):
    check(steps >= 0, "number of steps must be non-negative")
    d = dtype or dt.get_default_dtype()
    start, end = _bounds(start, end, d)
    exponents = aten.linspace.default.kernel(np, start, end, steps, dtype=dt.float64)
    values = np.power(float(base), exponents)
    return (values if xp is np else xp.asarray(values)).astype(d.numpy_dtype)


def _logspace_meta(start, end, steps, base=10.0, *, dtype=None, layout=None, device=None, pin_memory=None):
    check(steps >= 0, "number of steps must be non-negative")
    for x in (start, end):
        if hasattr(x, "shape"):
            check(len(x.shape) == 0, lambda: "logspace only supports 0-dimensional start and end tensors, but "
                                             f"got start with {len(start.shape)} dimension(s) and end with "
                                             f"{len(end.shape)} dimension(s).")
    return make_fake((steps,), dtype or dt.get_default_dtype(), device)


def _as_double(x, d):
    """A bound for the decomposition: a tensor as float64 (truncated first for an integral result dtype),
    a number as a Python float (kept as the number in the ops, as torch records it)."""
    if hasattr(x, "shape"):
        if not d.is_floating_point:
            x = aten._to_copy.default(x, dtype=d)
        return aten._to_copy.default(x, dtype=dt.float64)
    return float(int(x) if not d.is_floating_point else x)


def _logspace_decomp(start, end, steps, base=10.0, *, dtype=None, layout=None, device=None, pin_memory=None):
    # torch's linspace over the bounds, then base ** it: the first half counted up from start, the rest
    # down from end (so both ends are exact)
    d = dtype or dt.get_default_dtype()
    lo, hi = _as_double(start, d), _as_double(end, d)
    rg = aten.arange.start_step(0, steps, device=device)
    span = _bound_difference(hi, lo)
    # two numbers give a number step, as torch computes it in Python; a tensor bound a tensor step
    step = span / max(steps - 1, 1) if not hasattr(span, "shape") else aten.div.Tensor(span, max(steps - 1, 1))
    below_half = aten.lt.Scalar(rg, steps / 2)
    low = aten.add.Tensor(lo, aten.mul.Tensor(step, aten._to_copy.default(rg, dtype=dt.float64)))
    back = aten._to_copy.default(aten.sub.Tensor(steps - 1, rg), dtype=dt.float64)
    high = aten.sub.Tensor(hi, aten.mul.Tensor(step, back))
    values = aten.pow.Scalar(float(base), aten.where.self(below_half, low, high))
    return aten._to_copy.default(values, dtype=d)


def _bound_difference(hi, lo):
    """end - start: a number for two numbers, else a float64 tensor."""
    if not hasattr(hi, "shape") and not hasattr(lo, "shape"):
        return hi - lo
    return aten.sub.Tensor(hi, lo)


_LOGSPACE_KW = "*, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None"
for _overload, _start, _end in (("", "Scalar", "Scalar"), (".Tensor_Tensor", "Tensor", "Tensor"),
                                (".Tensor_Scalar", "Tensor", "Scalar"), (".Scalar_Tensor", "Scalar", "Tensor")):
    register(f"logspace{_overload}({_start} start, {_end} end, int steps, float base=10., {_LOGSPACE_KW}) -> Tensor",
             meta=_logspace_meta, kernel=_logspace_kernel, decomposition=_logspace_decomp, tags=("factory",),
             variants=_FN)


# ----------------------------------------------------------- cov/corrcoef --
def _cov_check(self, fweights, aweights):
    check(self.ndim <= 2, lambda: f"cov(): expected input to have two or fewer dimensions but got an input with "
                                  f"{self.ndim} dimensions")
    n = self.shape[-1] if self.ndim else 1
    for w, what in ((fweights, "fweights"), (aweights, "aweights")):
        if w is None:
            continue
        check(w.ndim <= 1, lambda: f"cov(): expected {what} to have one or fewer dimensions but got {what} with "
                                   f"{w.ndim} dimensions")
        check((w.shape[0] if w.ndim else 1) == n,
              lambda: f"cov(): expected {what} to have the same numel as there are observations in the input but "
                      f"got {w.shape[0] if w.ndim else 1} != {n}")
    if fweights is not None:
        fd = dtype_of(fweights)
        check(not fd.is_floating_point and fd is not dt.bool,
              lambda: f"cov(): expected fweights to have integral dtype but got fweights with "
                      f"{fd.name.capitalize()} dtype")
    if aweights is not None:
        ad = dtype_of(aweights)
        check(ad.is_floating_point, lambda: f"cov(): expected aweights to have floating point dtype but got "
                                            f"aweights with {ad.name.capitalize()} dtype")
    return promote(self, aweights, 1.0) if aweights is not None else promote(self, 1.0)


def _cov_shape(self):
    # torch squeezes the (variables x variables) result: one variable gives a 0-d tensor
    return () if self.ndim < 2 or self.shape[0] == 1 else (self.shape[0], self.shape[0])


def _cov_meta(self, *, correction=1, fweights=None, aweights=None):
    return fake_like(_cov_shape(self), _cov_check(self, fweights, aweights), self)


def _cov_values(xp, self, correction, fweights, aweights):
    d = _cov_check(self, fweights, aweights)
    npd = d.numpy_dtype
    # computed in the result dtype, in torch's order: a small norm factor amplifies rounding alike
    x = xp.asarray(self, dtype=npd).reshape(self.shape[0] if self.ndim == 2 else 1, -1)
    for w_in, what in ((fweights, "fweights"), (aweights, "aweights")):
        if w_in is not None:
            check(bool(xp.all(w_in >= 0)), f"cov(): {what} cannot be negative")
    w = None if fweights is None else fweights.reshape(-1).astype(npd)
    a = None if aweights is None else aweights.reshape(-1).astype(npd)
    if a is not None:
        w = a if w is None else w * a
    n_obs = x.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        if w is None:
            avg = x.sum(axis=1) / npd.type(n_obs) if n_obs else xp.full(x.shape[0], np.nan, dtype=npd)
            factor = npd.type(n_obs - correction)
        else:
            w_sum = w.sum(dtype=npd)
            avg = (x * w).sum(axis=1, dtype=npd) / w_sum
            if correction == 0:
                factor = w_sum
            elif a is None:
                factor = w_sum - npd.type(correction)
            else:
                factor = w_sum - npd.type(correction) * (w * a).sum(dtype=npd) / w_sum
        factor = max(factor, npd.type(0))
        xm = x - avg[:, None]
        c = (xm @ (xm if w is None else xm * w).T) / factor
    return c.astype(npd).reshape(_cov_shape(self)), d


def _cov_kernel(xp, self, *, correction=1, fweights=None, aweights=None):
    c, d = _cov_values(xp, self, correction, fweights, aweights)
    return out_array(xp, c, d)


def _corrcoef_meta(self):
    return fake_like(_cov_shape(self), _cov_check(self, None, None), self)


def _corrcoef_kernel(xp, self):
    c, d = _cov_values(xp, self, 1, None, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        if c.ndim == 0:
            r = c / c
        else:
            std = xp.sqrt(xp.diagonal(c))
            r = xp.clip(c / std[:, None] / std[None, :], -1, 1)
    return out_array(xp, r, d)


register("cov(Tensor self, *, int correction=1, Tensor? fweights=None, Tensor? aweights=None) -> Tensor",
         meta=_cov_meta, kernel=_cov_kernel, variants=FUNCTION_AND_METHOD)
register("corrcoef(Tensor self) -> Tensor", meta=_corrcoef_meta, kernel=_corrcoef_kernel,
         variants=FUNCTION_AND_METHOD)
