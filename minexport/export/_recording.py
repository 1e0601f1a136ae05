"""How an op call is written down as a graph node, as torch records it.

Shared by export's tracer and run_decompositions' re-tracer, so both graphs
spell a call the same way: `node_name` (the node's name) and
`recorded_args` (its arguments).
"""

__all__ = ["node_name", "recorded_args"]


def node_name(op):
    """torch names a call it records as written after its overload (`_assert_scalar_default`); None: the op's
    name (`add`)."""
    return f"{op.op_name}_{op.overload_name}" if "recorded_as_called" in op.tags else None


def recorded_args(op, args, kwargs):
    """Arguments as torch records them: positional by schema, trailing defaults and default kwargs dropped."""
    if "recorded_as_called" in op.tags:     # torch records these calls (made by its own Python) as written
        return tuple(args), dict(kwargs)
    positional, kwarg_only = _ARGUMENTS.get(op) or _arguments(op)
    args = list(args)
    if kwargs:
        kw = dict(kwargs)
        for a in positional[len(args):]:
            if a.name in kw:
                args.append(kw.pop(a.name))
            elif a.has_default:
                args.append(a.default)
            else:
                break
    else:
        kw = kwargs
        for a in positional[len(args):]:
            if not a.has_default:
                break
            args.append(a.default)
    while args and len(args) <= len(positional):
        a = positional[len(args) - 1]
        if a.has_default and _same_default(args[-1], a.default) and not hasattr(args[-1], "name"):
            args.pop()
        else:
            break
    out_kw = {}
    if kw:
        for a in kwarg_only:
            if a.name in kw:
                v = kw[a.name]
                if not (a.has_default and _same_default(v, a.default)):
                    out_kw[a.name] = v
    return tuple(args), out_kw


_ARGUMENTS = {}     # OpOverload -> (positional arguments, keyword-only arguments) of its schema


def _arguments(op):
    """The op's schema arguments split into positional and keyword-only, read once per op."""
    arguments = op._schema.arguments
    split = _ARGUMENTS[op] = ([a for a in arguments if not a.kwarg_only], [a for a in arguments if a.kwarg_only])
    return split


def _same_default(value, default):
    """value equals an argument's default (lists and tuples compare by items)."""
    if type(value) is not type(default):
        if isinstance(value, (list, tuple)) and isinstance(default, (list, tuple)):
            return list(value) == list(default)
        return False
    return value == default
