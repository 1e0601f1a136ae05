"""einsum: Einstein summation over a list of operands (torch records aten.einsum).

The equation is parsed once into per-operand label lists (an ellipsis becomes
one label per broadcast dim) and the output labels (explicit after '->', else
the ellipsis dims then the labels seen once, sorted; ellipsis dims missing
from an explicit output are summed).  The kernel is
np.einsum (optimize=False, so the summation order is fixed); the decomposition
follows torch's: each operand takes diagonals for repeated labels, is
unsqueezed for labels it lacks and permuted into one label order (output
labels, then contracted ones); the operands are then folded left to right,
each pair contracted by a bmm over (shared, left-only, summed, right-only)
dims; a final view drops the summed dims.
"""
from .. import dtypes as dt
from .._tensor import shape_numel
from ._common import check, dtype_of, fmt_shape, out_array
from ._registry import aten, register

_LETTERS = {c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def _split_terms(equation, n):
    """(operand terms, output term or None) of an equation, spaces removed; errors in torch's words."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    check(len(terms) == n, lambda: "einsum(): more operands were provided than specified in the equation"
          if n > len(terms) else "einsum(): fewer operands were provided than specified in the equation")
    for t in terms + ([rhs] if arrow else []):
        body = t.replace("...", "")
        check("." not in body, lambda: "einsum(): found '.' for operand that is not part of any ellipsis")
        check(t.count("...") <= 1, lambda: "einsum(): found '.' for operand for which an ellipsis was already found")
        bad = [c for c in body if c not in _LETTERS]
        check(not bad, lambda: f"einsum(): invalid subscript given at index {t.index(bad[0])} in the equation "
              f"string, subscripts must be in [a-zA-Z]")
    return terms, (rhs if arrow else None)


def _labels(term, ndim, n_ell):
    """Labels of one operand's dims: letters, and ('.', k) for its broadcast dims (right-aligned to n_ell)."""
    if "..." not in term:
        check(len(term) == ndim, lambda: f"einsum(): the number of subscripts in the equation ({len(term)}) does "
              f"not match the number of dimensions ({ndim}) for operand and no ellipsis was given")
        return list(term)
    head, _, tail = term.partition("...")
    k = ndim - len(head) - len(tail)
    check(k >= 0, lambda: f"einsum(): the number of subscripts in the equation ({len(head) + len(tail)}) is more "
          f"than the number of dimensions ({ndim}) for operand")
    return list(head) + [(".", n_ell - k + i) for i in range(k)] + list(tail)


def parse(equation, shapes):
    """(labels of each operand, output labels, size of each label) for `equation` over operand `shapes`."""
    terms, out_term = _split_terms(equation, len(shapes))
    n_ell = max([len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t] or [0])
    labels = [_labels(t, len(s), n_ell) for t, s in zip(terms, shapes)]
    ell = [(".", i) for i in range(n_ell)]
    if out_term is None:
        seen = [lab for ls in labels for lab in ls if isinstance(lab, str)]
        out = ell + sorted(c for c in set(seen) if seen.count(c) == 1)
    else:
        head, _, tail = out_term.partition("...")
        out = list(head) + (ell if "..." in out_term else []) + list(tail)
        for c in head + tail:
            check(out.count(c) == 1, lambda: f"einsum(): output subscript {c} appears more than once in the output")
            check(any(c in ls for ls in labels),
                  lambda: f"einsum(): output subscript {c} does not appear in the equation for any input operand")
    sizes = {}
    for ls, shape in zip(labels, shapes):
        mine = {}
        for lab, size in zip(ls, shape):
            check(mine.setdefault(lab, size) == size, lambda: f"einsum(): subscript {_name(lab)} is repeated for "
                  f"operand but the sizes don't match, {mine[lab]} != {size}")
            old = sizes.get(lab, 1)
            check(old == 1 or size == 1 or old == size,
                  lambda: f"einsum(): operands do not broadcast with remapped shapes (original->remapped): "
                          f"{fmt_shape(shape)}")
            if size != 1 or lab not in sizes:
                sizes[lab] = size
    return labels, out, sizes


def _name(lab):
    return "..." if isinstance(lab, tuple) else lab


def _check_operands(tensors):
    check(len(tensors) > 0, lambda: "einsum(): must provide at least one operand")
    d = tensors[0].dtype
    for t in tensors[1:]:
        check(t.dtype == d, lambda: f"expected scalar type {dt.dtype_name(d) if hasattr(dt, 'dtype_name') else d} "
              f"but found {t.dtype}")


def _kernel(xp, equation, tensors, *, path=None):
    labels, out, sizes = parse(equation, [a.shape for a in tensors])
    d = dtype_of(tensors[0])
    for a in tensors[1:]:
        check(dtype_of(a) == d, lambda: f"expected scalar type {d} but found {dtype_of(a)}")
    ids = {lab: i for i, lab in enumerate(dict.fromkeys([lab for ls in labels for lab in ls] + out))}
    # size-1 dims broadcast against the label's size, as torch (np.einsum broadcasts only '...' dims)
    args = []
    for a, ls in zip(tensors, labels):
        args += [xp.broadcast_to(a, tuple(sizes[lab] for lab in ls)), [ids[lab] for lab in ls]]
    return out_array(xp, xp.einsum(*args, [ids[lab] for lab in out], optimize=False), d)


# ------------------------------------------------------------ decomposition --
def _nontrivial(size):
    """Whether a dim takes part in a contraction: anything but a (static) size 1, as torch's size-oblivious test."""
    return not (isinstance(size, int) and size == 1)


def _prepared(run, x, ls, order):
    """Operand x (labels ls) with diagonals taken for repeated labels, unsqueezed for the labels it lacks and
    permuted into `order`."""
    ls = list(ls)
    for lab in dict.fromkeys(ls):
        while ls.count(lab) > 1:          # a repeated label: its diagonal becomes the last dim
            i = ls.index(lab)
            j = ls.index(lab, i + 1)
            x = run(aten.diagonal.default, x, 0, i, j)
            ls = [m for k, m in enumerate(ls) if k not in (i, j)] + [lab]
    for lab in order:
        if lab not in ls:
            x = run(aten.unsqueeze.default, x, len(ls))
            ls.append(lab)
    return run(aten.permute.default, x, [ls.index(lab) for lab in order])


def _pair(run, left, right, summed):
    """left * right summed over the dims `summed` (kept as size-1 dims): a broadcast mul when nothing is
    summed, else one bmm over the (both sides, left only, summed, right only) dims, as torch's einsum."""
    if not summed:
        return run(aten.mul.Tensor, left, right)
    lro, lo, ro, sums = [], [], [], []
    for i, (sl, sr) in enumerate(zip(left.shape, right.shape)):
        nl, nr = _nontrivial(sl), _nontrivial(sr)
        if i in summed:
            sums.append(i)
            if nl != nr:                  # a summed dim on one side only is summed there first
                if nl:
                    left = run(aten.sum.dim_IntList, left, [i], True)
                else:
                    right = run(aten.sum.dim_IntList, right, [i], True)
        else:
            (lro if nl and nr else lo if nl else ro).append(i)

    def size(t, dims):
        return shape_numel(t.shape[i] for i in dims)
    lperm, rperm = lro + lo + sums + ro, lro + sums + ro + lo
    lmat = run(aten.reshape.default, run(aten.permute.default, left, lperm),
               [size(left, lro), size(left, lo), size(left, sums)])
    rmat = run(aten.reshape.default, run(aten.permute.default, right, rperm),
               [size(left, lro), size(right, sums), size(right, ro)])
    out = run(aten.view.default, run(aten.bmm.default, lmat, rmat), [left.shape[i] for i in lro + lo] + [1] * len(sums)
                            + [right.shape[i] for i in ro])
    return run(aten.permute.default, out, [lperm.index(i) for i in range(len(lperm))])


def _call(op, *args):
    return op(*args)


def _call_meta(op, *args):
    return op.meta(*args)


def _decomp(equation, tensors, *, path=None, run=_call):
    """torch's einsum as ops (`run(op, *args)` calls each: the op itself, or its meta for the fake output)."""
    labels, out, _ = parse(equation, [tuple(t.shape) for t in tensors])
    order = out + [lab for lab in dict.fromkeys(lab for ls in labels for lab in ls) if lab not in out]
    ops = [_prepared(run, t, ls, order) for t, ls in zip(tensors, labels)]
    contracted = list(range(len(out), len(order)))
    if len(ops) == 1:
        if contracted:
            return run(aten.sum.dim_IntList, ops[0], contracted)
        return run(aten.permute.default, ops[0], list(range(len(order))))
    result = ops[0]
    for j, x in enumerate(ops[1:], 1):
        later = {lab for ls in labels[j + 1:] for lab in ls}
        result = _pair(run, result, x, [i for i in contracted if order[i] not in later])
    return run(aten.view.default, result, list(result.shape[:len(out)])) if contracted else result


def _meta(equation, tensors, *, path=None):
    # the decomposition run on the fakes' metas gives torch's output strides (a permuted view, a mul's layout)
    _check_operands(tensors)
    return _decomp(equation, tensors, run=_call_meta)


register("einsum(str equation, Tensor[] tensors, *, int[]? path=None) -> Tensor",
         meta=_meta, kernel=_kernel, decomposition=_decomp, variants=("function",))
