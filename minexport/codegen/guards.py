"""The generated `_check_inputs(args)`: count, dtypes, ranks, static sizes, symbols, ranges, relations.

Symbols are read from the first input dim whose size is exactly that symbol
(`_s0 = x.shape[0]`); a dim of the form a*s + b whose symbol no plain dim
gives is solved for it; then every other dim is checked against its
expression, each symbol against its range, and the trace's relations between
symbols (s0 == 2*s1 and the like) are checked as Python expressions.
"""
import keyword

import sympy
from sympy.printing.pycode import pycode

from .._symbolic_marker import is_symbolic
from .._tensor import Tensor

__all__ = ["check_lines"]


def _expr(size):
    return size.expr if is_symbolic(size) else sympy.Integer(int(size))


def _py(expr, names):
    return pycode(expr.xreplace(names), fully_qualified_modules=True)


def check_lines(inputs, ranges, relations, dtype_text):
    """Source lines of `_check_inputs(args)`.

    inputs: [(name, fake value)] of the flat user inputs; ranges: {symbol:
    ValueRange}; relations: sympy relations between symbols; dtype_text(d) ->
    source of a dtype.
    """
    # an input named like something the checks use (xp, a helper, a keyword) is read as input<i>
    names = [n if n.isidentifier() and not keyword.iskeyword(n) and not n.startswith("_") and
             n not in ("xp", "np", "math", "args", "isinstance", "type", "int", "divmod") else f"input{i}"
             for i, (n, _) in enumerate(inputs)]
    inputs = [(name, val) for name, (_, val) in zip(names, inputs)]
    lines = ["def _check_inputs(args):",
             '    """Refuse inputs the program was not exported for (count, dtypes, ranks, sizes)."""',
             f"    if len(args) != {len(inputs)}:",
             f"        raise TypeError(f'forward() takes {len(inputs)} inputs ({', '.join(names)}), "
             "got {len(args)}')"]
    if inputs:
        lines.append(f"    {', '.join(names)}{',' if len(names) == 1 else ''} = args")
    dims = []                                   # (source text, sympy expr)
    dtypes = set()
    for name, val in inputs:
        if isinstance(val, Tensor):
            dt = f"_DTYPE_{val.dtype.numpy_dtype.name}"
            # one cheap test per call; _check_array only runs to word the refusal
            lines += [f"    if type({name}) is not xp.ndarray or {name}.dtype != {dt} or {name}.ndim != {val.dim()}:",
                      f"        _check_array({name}, {name!r}, {dt}, {val.dim()})"]
            dtypes.add(val.dtype.numpy_dtype.name)
            dims += [(f"{name}.shape[{d}]", _expr(s)) for d, s in enumerate(val.shape)]
        elif is_symbolic(val) or isinstance(val, int):
            lines += [f"    if not isinstance({name}, int):",
                      f"        raise TypeError(f'input {name} must be an int, got {{type({name}).__name__}}')"]
            dims.append((name, _expr(val)))
    syms = {}                                   # symbol -> Python variable
    src = {}                                    # symbol -> the dim text it was read from
    for text, e in dims:
        if e.is_Symbol and e not in syms:
            syms[e] = f"_{e}"
            src[e] = text
            lines.append(f"    _{e} = {text}")
    for text, e in dims:                        # a*s + b with s read from nowhere else: solve for s
        free = e.free_symbols - set(syms)
        if len(free) == 1 and e.is_polynomial(*free) and sympy.degree(e, *free) == 1:
            (s,) = free
            a, b = sympy.Poly(e, s).all_coeffs()
            if a.is_Integer and b.is_Integer:
                syms[s], src[s] = f"_{s}", f"({text} - {b}) / {a}"
                lines += [f"    _{s}, _r = divmod({text} - {b}, {a})",
                          f"    if _r or _{s} < 0:",
                          f"        raise ValueError(f'{text} must be of the form {e}, got {{{text}}}')"]
    names_of = {s: sympy.Symbol(v) for s, v in syms.items()}
    for text, e in dims:
        if e.is_Symbol and src.get(e) == text:
            continue
        if e.free_symbols - set(syms):
            continue
        want = _py(e, names_of)
        if e.free_symbols:
            readable = str(e.xreplace({s: sympy.Symbol(src[s]) for s in e.free_symbols}))
            what = f"{readable} = {{{want}}}"
        else:
            what = want
        lines += [f"    if {text} != {want}:",
                  f"        raise ValueError(f'{text} must be {what}, got {{{text}}}')"]
    for s, var in syms.items():
        r = ranges.get(s)
        if r is None:
            continue
        lo, hi = int(r.lower), r.upper
        bounded = hi is not None and str(hi) not in ("int_oo", "oo") and hi != float("inf")
        cond = f"{lo} <= {var}" + (f" <= {int(hi)}" if bounded else "")
        lines += [f"    if not ({cond}):",
                  f"        raise ValueError(f'{src[s]} = {{{var}}} is outside the exported range "
                  f"[{lo}, {int(hi) if bounded else 'inf'}] of {s}')"]
    for rel in relations:
        if not rel.free_symbols <= set(syms):
            continue
        text = str(rel.xreplace({s: sympy.Symbol(src[s]) for s in rel.free_symbols}))
        lines += [f"    if not ({_py(rel, names_of)}):", f"        raise ValueError('Guard failed: {text}')"]
    lines.append("    return args")
    # dtype objects made once: comparing an array's dtype with one is cheaper than with a scalar type
    return [f"_DTYPE_{d} = xp.dtype({d!r})" for d in sorted(dtypes)] + ["", ""] + lines


CHECK_ARRAY = '''def _check_array(a, name, dtype, ndim):
    """Refuse an input that is not an array of xp's kind with the exported dtype and rank."""
    if not isinstance(a, xp.ndarray):
        raise TypeError(f"input {name} must be a {xp.__name__}.ndarray, got {type(a).__name__}")
    if a.dtype != dtype:
        raise TypeError(f"input {name} must have dtype {xp.dtype(dtype).name}, got {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"input {name} must have {ndim} dims, got shape {tuple(a.shape)}")'''
