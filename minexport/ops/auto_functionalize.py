"""`torch.ops.higher_order.auto_functionalized_v2`: a mutating custom op made functional.

run_decompositions() replaces a call of a custom op that writes some of its
arguments (`Tensor(a1!) buf`) with this higher-order op, as torch 2.13 does:

    auto_functionalized_v2(mylib.bar.default, x=x, _buf_base_index=0, _all_bases=[b_buf])

Every argument the op only reads is a keyword of the same name; each written
argument is instead `_<name>_base_index`, an index into `_all_bases` (the
tensors written).  The result is the op's returns (a lone None when it returns
nothing) followed by the new value of every base: the op runs on copies of
the bases, so nothing it is given changes.
"""
from .higher_order import HigherOrderOperator

__all__ = ["AUTO_FUNCTIONALIZE", "auto_functionalized_v2", "call_arguments"]


class _AutoFunctionalize:
    """The `functional=` of a mutating custom op: run_decompositions records auto_functionalized_v2."""

    def __repr__(self):
        return "AUTO_FUNCTIONALIZE"


AUTO_FUNCTIONALIZE = _AutoFunctionalize()


def call_arguments(xp, op, kwargs, bases):
    """(args, kwargs) for calling `op` from an auto_functionalized_v2 node's keywords, with written arguments
    taken from `bases` (by their `_<name>_base_index`, as views where the node records one)."""
    args, kw = [], {}
    for a in op._schema.arguments:
        index = kwargs.get(f"_{a.name}_base_index")
        if a.is_write:
            value = None if index is None else _regenerate_view(xp, bases[index], f"_{a.name}", kwargs)
        elif a.name in kwargs:
            value = kwargs[a.name]
        else:
            value = a.default
        if a.kwarg_only:
            kw[a.name] = value
        else:
            args.append(value)
    return args, kw


def _regenerate_view(xp, base, prefix, kwargs):
    """The written argument as a view of `base` (a dense copy), from the node's record: the base itself
    (no record, or `_alias`), a slice (`_slice_dim/start/end`), or as_strided (`_size/stride/storage_offset`)."""
    if f"{prefix}_slice_dim" in kwargs:
        dim = kwargs[f"{prefix}_slice_dim"]
        index = [slice(None)] * base.ndim
        index[dim] = slice(kwargs[f"{prefix}_slice_start"], kwargs[f"{prefix}_slice_end"])
        return base[tuple(index)]
    if f"{prefix}_storage_offset" in kwargs:
        item = base.itemsize
        flat = base.reshape(-1)[kwargs[f"{prefix}_storage_offset"]:]
        return xp.lib.stride_tricks.as_strided(flat, shape=tuple(kwargs[f"{prefix}_size"]),
                                               strides=tuple(s * item for s in kwargs[f"{prefix}_stride"]))
    return base


def _kernel(xp, op, **kwargs):
    """Run op on copies of the bases; return its outputs (None for none) and the bases' new values."""
    bases = [xp.array(b, copy=True, order="C") for b in kwargs["_all_bases"]]
    args, kw = call_arguments(xp, op, kwargs, bases)
    out = op.kernel(xp, *args, **kw)
    if not op._schema.returns:
        outs = (None,)
    elif len(op._schema.returns) == 1:
        outs = (out,)
    else:
        outs = tuple(out)
    return outs + tuple(bases)


class AutoFunctionalized(HigherOrderOperator):
    """The higher-order op of this module: it takes its arguments as keywords (`op` alone is positional)."""

    takes_kwargs = True

    def __call__(self, op, **kwargs):
        raise RuntimeError("auto_functionalized_v2 runs inside exported programs only (the interpreter calls its "
                           "kernel on arrays); call the custom op itself in eager code")


auto_functionalized_v2 = AutoFunctionalized(
    "auto_functionalized_v2", _kernel, ("operator",),
    "auto_functionalized_v2(op, **kwargs): a mutating custom op run on copies of the tensors it writes.")
