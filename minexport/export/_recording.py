"""How an op call is written down as a graph node, as torch records it.

Shared by export's tracer and run_decompositions' re-tracer, so both graphs
spell a call the same way: `node_name` (the node's name) and
`recorded_args` (its arguments).
"""

from ..fx.graph import Node

__all__ = ["node_name", "recorded_args", "recording_rules"]


# Ops tagged `recorded_as_called` are calls torch's own Python makes while it traces, recorded as written and
# named after their overload.  Those also tagged `retraced_by_schema` go through torch's dispatcher when
# run_decompositions re-traces the program, so there (`retrace=True`) they are recorded as any other op
# (`_assert_tensor_metadata`); the rest torch inserts again as written (`_assert_scalar`).
def _as_called(op, retrace):
    tags = op.tags
    return "recorded_as_called" in tags and not (retrace and "retraced_by_schema" in tags)


def node_name(op, retrace=False):
    """torch names a call it records as written after its overload (`_assert_scalar_default`); None: the op's
    name (`add`)."""
    return f"{op.op_name}_{op.overload_name}" if _as_called(op, retrace) else None


def recorded_args(op, args, kwargs, retrace=False):
    """Arguments as torch records them: positional by schema, trailing defaults and default kwargs dropped."""
    rules = _RULES.get(op) or _rules(op)
    if rules.as_called and _as_called(op, retrace):     # calls torch's own Python makes, as written
        return tuple(args), dict(kwargs)
    # Positional arguments only, the last one a node (never dropped) or in a place without a default: the
    # general way below would add defaults after them and drop those again (`plain_defaults`: each default
    # equals itself and has no `name`), and drop nothing given -- the call is recorded as made.  (The tracer
    # asks this first, from the same two rules: `made_counts`, `made_node_last`.)
    if not kwargs and (len(args) in rules.made_counts or rules.made_node_last and type(args[-1]) is Node):
        return tuple(args), {}
    return _by_schema(rules, args, kwargs)


def _by_schema(rules, args, kwargs):
    """recorded_args' general way: defaults added, then the trailing ones and default kwargs dropped."""
    positional, kwarg_only = rules.positional, rules.kwarg_only
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


class _Rules:
    """What recorded_args reads of an op's schema, once per op: `positional` and `kwarg_only` arguments,
    `as_called` (the op is recorded as called), `plain_defaults` (every positional default equals itself and
    has no `name`, so an added default is always dropped again), `undroppable`: the numbers of positional
    arguments whose last one has no default (and 0), and from those, when the general way records a
    positional-only call as made (`made_counts`, `made_node_last`)."""

    __slots__ = ("positional", "kwarg_only", "as_called", "plain_defaults", "undroppable", "made_counts",
                 "made_node_last")

    def __init__(self, op):
        arguments = op._schema.arguments
        self.positional = [a for a in arguments if not a.kwarg_only]
        self.kwarg_only = [a for a in arguments if a.kwarg_only]
        self.as_called = "recorded_as_called" in op.tags
        self.plain_defaults = all(_same_default(a.default, a.default) and not hasattr(a.default, "name")
                                  for a in self.positional if a.has_default)
        self.undroppable = frozenset([0] + [i + 1 for i, a in enumerate(self.positional) if not a.has_default])
        # positional-only calls recorded as made (by the general way, not as called): with these numbers of
        # arguments, or with a node last
        plain = self.plain_defaults and not self.as_called
        self.made_counts = self.undroppable if plain else frozenset()
        self.made_node_last = plain


_RULES = {}     # OpOverload -> _Rules


def _rules(op):
    """The op's _Rules, read once per op."""
    rules = _RULES[op] = _Rules(op)
    return rules


def recording_rules(op):
    """The op's _Rules (what recorded_args reads of its schema)."""
    return _RULES.get(op) or _rules(op)


def _same_default(value, default):
    """value equals an argument's default (lists and tuples compare by items)."""
    if type(value) is not type(default):
        if isinstance(value, (list, tuple)) and isinstance(default, (list, tuple)):
            return list(value) == list(default)
        return False
    return value == default
