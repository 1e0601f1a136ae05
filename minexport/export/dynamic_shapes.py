"""Specifying dynamism (Dim, dims, Dim.AUTO/DYNAMIC/STATIC, derived dims) and checking what a trace assumed.

`dynamic_shapes` mirrors the inputs: a dict keyed by forward's argument names
or a tuple in order, nested like the inputs, with `None` for a static input,
and for a tensor a dict `{dim: spec}` or a per-dim tuple/list.  A spec is a
`Dim` (named, with a range; the same Dim object twice means equal sizes), a
derived dim (`2 * d`, `d + 1`), `Dim.AUTO` (dynamic, narrowed silently by what
the program needs, range from 2), `Dim.DYNAMIC` (dynamic, and an error if the
program narrows it) or `Dim.STATIC`/`None`.

After tracing, every guard the ShapeEnv recorded is checked against the
declared ranges: a guard that narrows a named Dim's range, pins it to a
constant, or ties two named Dims together is a constraint violation listing
each dim and ending with copy-pastable "Suggested fixes:" lines.
"""
from .._tensor import Tensor
from ..utils import _pytree as pytree
from .errors import UserError

import re

__all__ = ["Dim", "dims", "ConstraintViolationError", "ShapesCollection", "AdditionalInputs", "leaf_specs",
           "refine_dynamic_shapes_from_suggested_fixes"]

_INF = float("inf")


class ConstraintViolationError(UserError):
    """The program needs more than the declared dynamic shapes allow."""


class _Marker:
    """Dim.AUTO / Dim.DYNAMIC / Dim.STATIC; calling AUTO or DYNAMIC gives one with a range:
    `Dim.AUTO(min=3, max=10)` (the range is intersected with what the trace infers)."""

    def __init__(self, name, min=None, max=None):
        self.name, self.min, self.max = name, min, max

    def __call__(self, min=None, max=None):
        if self.name == "STATIC":
            raise TypeError("Dim.STATIC takes no range")
        for k, v in (("min", min), ("max", max)):
            if v is not None and (not isinstance(v, int) or v < 0):
                raise UserError(f"Dim.{self.name}({k}=...): expected a non-negative int, got {v!r}")
        if min is not None and max is not None and min > max:
            raise UserError(f"Dim.{self.name}: expected min <= max, got min={min}, max={max}")
        return _Marker(self.name, min, max)

    def __repr__(self):
        if self.min is None and self.max is None:
            return f"Dim.{self.name}"
        return f"Dim.{self.name}(min={self.min}, max={self.max})"


def hint_kind(spec):
    """"AUTO", "DYNAMIC" or "STATIC" for those markers (with or without a range), else None."""
    return spec.name if isinstance(spec, _Marker) else None


class Dim:
    """A named dynamic dimension with an inclusive range: Dim('b', min=2, max=100)."""

    AUTO = _Marker("AUTO")
    DYNAMIC = _Marker("DYNAMIC")
    STATIC = _Marker("STATIC")

    def __init__(self, name, *, min=None, max=None):
        if not isinstance(name, str) or not name.isidentifier():
            raise UserError(f"Dim name must be a Python identifier, got {name!r}")
        lo = 0 if min is None else min
        hi = _INF if max is None else max
        if not isinstance(lo, int) or lo < 0:
            raise UserError(f"Dim('{name}'): min must be a non-negative int, got {min!r}")
        if hi != _INF and (not isinstance(hi, int) or hi < lo):
            raise UserError(f"Dim('{name}'): expected min <= max, got min={lo}, max={max!r}")
        self.__name__, self.min, self.max = name, lo, hi

    def __mul__(self, k):
        return _DerivedDim(self, k, 0)

    __rmul__ = __mul__

    def __add__(self, c):
        return _DerivedDim(self, 1, c)

    __radd__ = __add__

    def __sub__(self, c):
        return _DerivedDim(self, 1, -c)

    def __repr__(self):
        hi = "" if self.max == _INF else f", max={self.max}"
        return f"Dim('{self.__name__}', min={self.min}{hi})"


class _DerivedDim:
    """coeff * root + offset, an increasing linear function of a root Dim."""

    def __init__(self, root, coeff, offset):
        if not isinstance(coeff, int) or not isinstance(offset, int) or coeff <= 0:
            raise UserError(f"derived dims must be increasing linear forms of a Dim with int coefficients, "
                            f"got {coeff}*{root.__name__} + {offset}")
        self.root, self.coeff, self.offset = root, coeff, offset
        self.__name__ = self._text(root.__name__)

    def _text(self, var):
        s = var if self.coeff == 1 else f"{self.coeff}*{var}"
        return s if not self.offset else f"{s} {'+' if self.offset > 0 else '-'} {abs(self.offset)}"

    def __mul__(self, k):
        return _DerivedDim(self.root, self.coeff * k, self.offset * k)

    __rmul__ = __mul__

    def __add__(self, c):
        return _DerivedDim(self.root, self.coeff, self.offset + c)

    __radd__ = __add__

    def __sub__(self, c):
        return _DerivedDim(self.root, self.coeff, self.offset - c)

    def __repr__(self):
        return self.__name__


def dims(*names, min=None, max=None):
    """Several Dims with the same range."""
    return tuple(Dim(n, min=min, max=max) for n in names)


class ShapesCollection:
    """Dynamic shapes given per tensor: `sc[x] = {0: Dim('b')}`; then `sc.dynamic_shapes(mod, args, kwargs)`."""

    def __init__(self):
        self._by_id = {}

    def __setitem__(self, tensor, spec):
        self._by_id[id(tensor)] = spec

    def __getitem__(self, tensor):
        return self._by_id.get(id(tensor))

    def dynamic_shapes(self, mod, args, kwargs=None):
        """The spec structure matching (args, kwargs)."""
        return pytree.tree_map(lambda v: self._by_id.get(id(v)) if isinstance(v, Tensor) else None,
                               (tuple(args), dict(kwargs or {})))


class AdditionalInputs:
    """Dynamic shapes inferred from more example inputs (torch.export.AdditionalInputs): `ai.add(args)` for
    each representative input set; a tensor dim whose size differs between the export's example inputs and
    any added set is Dim.DYNAMIC, one that never differs is static."""

    def __init__(self):
        self._examples = []

    def add(self, args, kwargs=None):
        """One more representative (args, kwargs)."""
        if type(args) is not tuple:
            raise UserError(f"Representative args {args!r} must be a tuple")
        if kwargs is not None and type(kwargs) is not dict:
            raise UserError(f"Representative kwargs {kwargs!r} must be None or a dict")
        self._examples.append((args, kwargs or {}))

    def dynamic_shapes(self, mod, args, kwargs=None):
        """The spec structure matching (args, kwargs): per tensor a per-dim tuple of Dim.DYNAMIC / None."""
        sets = [(tuple(args), dict(kwargs or {}))] + self._examples
        flat = [pytree.tree_flatten(s) for s in sets]
        first, spec = flat[0]
        for leaves, other_spec in flat[1:]:
            if other_spec != spec:
                raise UserError(f"AdditionalInputs: an added input set has the structure {other_spec}, but the "
                                f"example inputs have {spec}")
        return pytree.tree_unflatten([_mark_dynamism(v, [f[0][i] for f in flat[1:]])
                                      for i, v in enumerate(first)], spec)

    def verify(self, ep):
        """Run ep's module on each added input set (its input checks refuse a set the program cannot take)."""
        run = ep.module()
        for args, kwargs in self._examples:
            run(*args, **kwargs)


def _mark_dynamism(value, others):
    """A leaf's spec from its values across the input sets."""
    if isinstance(value, Tensor):
        if any(not isinstance(o, Tensor) or o.ndim != value.ndim for o in others):
            raise UserError("AdditionalInputs: the inputs were found to have differing types or ranks, so they "
                            f"cannot be marked as dynamic: {[value] + list(others)}")
        return tuple(Dim.DYNAMIC if any(o.shape[d] != n for o in others) else None
                     for d, n in enumerate(value.shape))
    if any(o != value for o in others):
        raise UserError(f"AdditionalInputs: the non-tensor inputs {[value] + list(others)} differ; minexport "
                        "exports non-tensor inputs as constants, so they cannot be marked as dynamic")
    return None


def refine_dynamic_shapes_from_suggested_fixes(msg, dynamic_shapes):
    """dynamic_shapes with the "Suggested fixes:" of a constraint violation message applied (torch's helper):
    `b = Dim('b', min=5, max=100)` narrows a Dim, `b = 4` makes it static, `dy = dx` / `dy = 2*dx + 1` ties it
    to another Dim, and `_a = Dim('_a', ...)` with `a = 2*_a` introduces a new root."""
    head, found, fixes_text = msg.partition("Suggested fixes:")
    if not found:
        raise UserError("Suggested fixes not found in error message given to "
                        "refine_dynamic_shapes_from_suggested_fixes()")
    dims = {}
    for leaf in pytree.tree_leaves(dynamic_shapes, is_leaf=lambda v: isinstance(v, (Dim, _DerivedDim, _Marker))):
        if isinstance(leaf, Dim):
            dims.setdefault(leaf.__name__, leaf)
        elif isinstance(leaf, _DerivedDim):
            dims.setdefault(leaf.root.__name__, leaf.root)
    fixes = {}
    for line in fixes_text.strip().splitlines():
        if not line.strip():
            break                                   # the fixes end at the first blank line
        name, _, rhs = (part.strip() for part in line.partition(" = "))
        fixes[name] = _parse_fix(name, rhs, fixes, dims, line)

    def apply(spec):
        if isinstance(spec, Dim):
            return fixes.get(spec.__name__, spec)
        if isinstance(spec, _DerivedDim) and spec.root.__name__ in fixes:
            return spec.coeff * fixes[spec.root.__name__] + spec.offset
        return spec

    return pytree.tree_map(apply, dynamic_shapes, is_leaf=lambda v: isinstance(v, (Dim, _DerivedDim, _Marker)))


_DIM_FIX = re.compile(r"Dim\('(\w+)'(?:, min=(\d+))?(?:, max=(\d+|oo|int_oo))?\)$")
_LINEAR_FIX = re.compile(r"(?:(\d+)\*)?([A-Za-z_]\w*)(?: ([+-]) (\d+))?$")


def _parse_fix(name, rhs, fixes, dims, line):
    """One suggested fix's new spec: a Dim, an int, or a derived form of a Dim already known."""
    m = _DIM_FIX.match(rhs)
    if m:
        hi = None if m.group(3) in (None, "oo", "int_oo") else int(m.group(3))
        return Dim(m.group(1), min=int(m.group(2)) if m.group(2) else None, max=hi)
    if re.fullmatch(r"-?\d+", rhs):
        return int(rhs)
    m = _LINEAR_FIX.match(rhs)
    root = m and (fixes.get(m.group(2)) or dims.get(m.group(2)))
    if root is None or name not in dims and not name.startswith("_"):
        raise UserError(f"refine_dynamic_shapes_from_suggested_fixes: cannot apply the fix {line.strip()!r} "
                        f"(known dims: {sorted(dims)})")
    offset, coeff = int(m.group(4) or 0) * (-1 if m.group(3) == "-" else 1), int(m.group(1) or 1)
    return root if (coeff, offset) == (1, 0) else coeff * root + offset


# ------------------------------------------------------------ spec matching --
def _top_specs(names, args, kwargs, dynamic_shapes):
    """(specs for args, specs for kwargs), from a dict keyed by argument names or a sequence in order."""
    n_args = len(args)
    if isinstance(dynamic_shapes, dict):
        known = set(names[:n_args]) | set(kwargs)
        unknown = [k for k in dynamic_shapes if k not in known]
        if unknown:
            raise UserError(f"dynamic_shapes names {unknown}, which are not arguments of forward "
                            f"(its inputs are {names[:n_args] + list(kwargs)})")
        return (tuple(dynamic_shapes.get(n) for n in names[:n_args]),
                {k: dynamic_shapes.get(k) for k in kwargs})
    if isinstance(dynamic_shapes, (tuple, list)):
        if len(dynamic_shapes) == 2 and isinstance(dynamic_shapes[1], dict) and len(args) != 2 and \
                isinstance(dynamic_shapes[0], (tuple, list)) and len(dynamic_shapes[0]) == n_args:
            return tuple(dynamic_shapes[0]), dict(dynamic_shapes[1])
        if len(dynamic_shapes) != n_args + len(kwargs):
            raise UserError(f"dynamic_shapes has {len(dynamic_shapes)} entries but the inputs have "
                            f"{n_args + len(kwargs)}; give one entry per input, in order "
                            f"(inputs: {names[:n_args] + list(kwargs)}; dynamic_shapes: {dynamic_shapes!r})")
        return tuple(dynamic_shapes[:n_args]), dict(zip(kwargs, dynamic_shapes[n_args:]))
    raise UserError(f"dynamic_shapes must be a dict, tuple or list, got {type(dynamic_shapes).__name__}")


def leaf_specs(names, args, kwargs, dynamic_shapes, varargs=None):
    """One {dim: spec} (or None) per flat input leaf, in tree_flatten((args, kwargs)) order.  `varargs`, when
    forward takes *args, is (the index of its first extra arg, the *args name): as torch binds them, the extra
    args are one input, a tuple, and dynamic_shapes gives them one entry (a tuple of specs)."""
    if dynamic_shapes is None:
        return [None] * len(pytree.tree_leaves((args, kwargs)))
    if isinstance(dynamic_shapes, (ShapesCollection, AdditionalInputs)):
        # by argument name, so that the structure cannot be mistaken for a (args, kwargs) pair
        arg_specs, kwarg_specs = dynamic_shapes.dynamic_shapes(None, args, kwargs)
        dynamic_shapes = {**dict(zip(names, arg_specs)), **kwarg_specs}
    elif varargs is not None and len(args) > varargs[0]:
        at, name = varargs
        names, args = list(names[:at]) + [name], tuple(args[:at]) + (tuple(args[at:]),)
    spec_args, spec_kwargs = _top_specs(names, args, kwargs, dynamic_shapes)
    out = []

    def walk(value, spec, path):
        if isinstance(value, Tensor):
            out.append(_tensor_spec(value, spec, path))
            return
        node_children, _ = pytree.tree_flatten(value, is_leaf=lambda v: v is not value)
        if len(node_children) == 1 and node_children[0] is value:      # a non-tensor leaf (no == on tensors)
            if spec is not None:
                raise UserError(f"dynamic_shapes gives {spec!r} for the input {path}, which is not a tensor")
            out.append(None)
            return
        if spec is None:
            for leaf in pytree.tree_leaves(value):
                out.append(None)
            return
        children, vspec = pytree.tree_flatten(value, is_leaf=lambda v: v is not value)
        try:
            spec_children, sspec = pytree.tree_flatten(spec, is_leaf=lambda v: v is not spec)
        except Exception:
            spec_children, sspec = None, None
        if sspec is None or sspec.type is not vspec.type or len(spec_children) != len(children) or \
                sspec.context != vspec.context:
            raise UserError(f"dynamic_shapes does not match the structure of the input {path}: the input is "
                            f"{vspec} but dynamic_shapes gives {spec!r}")
        for i, (c, s) in enumerate(zip(children, spec_children)):
            walk(c, s, f"{path}[{i!r}]")

    for name, value, spec in zip(names, args, spec_args):
        walk(value, spec, name)
    for key, value in kwargs.items():
        walk(value, spec_kwargs.get(key), key)
    return out


def _tensor_spec(t, spec, path):
    if spec is None:
        return None
    if isinstance(spec, dict):
        items = spec.items()
    elif isinstance(spec, (tuple, list)):
        if len(spec) != t.ndim:
            raise UserError(f"dynamic_shapes for {path} lists {len(spec)} dims but the tensor has {t.ndim}")
        items = enumerate(spec)
    else:
        raise UserError(f"dynamic_shapes for the tensor {path} must be a dict {{dim: Dim}} or a per-dim "
                        f"tuple, got {spec!r}")
    out = {}
    for d, s in items:
        if not isinstance(d, int) or not -t.ndim <= d < t.ndim:
            raise UserError(f"dynamic_shapes for {path} names dim {d!r}, but the tensor has {t.ndim} dims")
        if s is None or hint_kind(s) == "STATIC":
            continue
        if type(s) is int:           # a static size, stated
            if s != t.shape[d]:
                raise UserError(f"dynamic_shapes for {path} dim {d} says the size is {s}, but the example "
                                f"input has {t.shape[d]}")
            continue
        if not isinstance(s, (Dim, _DerivedDim, _Marker)):
            raise UserError(f"dynamic_shapes for {path} dim {d}: expected a Dim, Dim.AUTO, Dim.DYNAMIC, "
                            f"Dim.STATIC or None, got {s!r}")
        out[d % t.ndim] = s
    return out or None

