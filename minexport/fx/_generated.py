"""A compiled graph plan written out as one Python function, for graphs run many times (loop bodies).

`GraphRunner.bound` uses it: a while_loop's cond and body, or a scan's
combine graph, run once per iteration, and each run of the flat plan
(`fx._runner._Plan`) pays per node an argument read, a loop step and the
clearing of dead slots, plus a fresh env list per run.  The generated
function keeps every value in a local variable instead:

    def run(inputs):
        v0, v1, v2, v3 = inputs
        v4 = f4(xp, v0, c9)
        del v0
        ...
        return (v4, v7)

`del` at each value's last use keeps the plan's liveness (peak memory).
Generating and compiling costs some tens of microseconds per node, so the
interpreter does it once per subgraph and namespace and only for callers
that run the graph repeatedly.  A kernel error is mapped back to its node by
the line it was raised from.
"""

from keyword import iskeyword

__all__ = ["generate"]


def generate(plan, n_inputs, xp, on_error):
    """plan as one function of a sequence of n_inputs arrays, or None when a step needs the general path.

    `on_error(slot, exception)` is called (and must raise) when the step
    writing `slot` fails.
    """
    names = {}                  # global name -> value (kernels, constants, the namespace)
    live = set(range(n_inputs))

    def ref(slot):
        if slot in live:
            return f"v{slot}"
        if slot < plan.xp_slot:         # a node's slot that holds no value here: leave this plan to the loop
            raise _Unsupported
        if slot == plan.xp_slot:
            names["xp"] = xp
            return "xp"
        names[f"c{slot}"] = plan.template[slot]
        return f"c{slot}"

    lines = ["def run(inputs):", "    try:"]
    if n_inputs:
        lines.append(f"        {', '.join(f'v{i}' for i in range(n_inputs))}, = inputs")
    slot_at_line = {}
    try:
        for (fn, out, _get, free), slots in zip(plan.steps, plan.arg_slots):
            if slots is None:           # arguments that nest values (lists, kwargs): built inline
                fn, args, kwargs = plan.general_calls[out]
                if not all(k.isidentifier() and not iskeyword(k) for k in kwargs):
                    raise _Unsupported
                call = [_expression(plan, a, live, names, xp) for a in args] + \
                    [f"{k}={_expression(plan, v, live, names, xp)}" for k, v in kwargs.items()]
            else:
                call = [ref(i) for i in slots]
            names[f"f{out}"] = fn
            lines.append(f"        v{out} = f{out}({', '.join(call)})")
            slot_at_line[len(lines)] = out
            live.add(out)
            dead = sorted(live.intersection(free))
            if dead:
                lines.append(f"        del {', '.join(f'v{i}' for i in dead)}")
                live.difference_update(dead)
        lines.append(f"        return {_expression(plan, plan.output_value, live, names, xp)}")
    except _Unsupported:
        return None
    lines += ["    except Exception as e:",
              "        on_error(_slot_at_line.get(e.__traceback__.tb_lineno), e)",
              "        raise"]
    names.update(on_error=on_error, _slot_at_line=slot_at_line)
    exec(compile("\n".join(lines), "<minexport generated graph>", "exec"), names)
    return names["run"]


class _Unsupported(Exception):
    """The plan reads a value the written-out function would not hold (the plan's own loop runs it)."""


def _expression(plan, value, live, names, xp):
    """Python source for a value (arguments, the output): node values as their locals, lists and tuples
    built in place, the namespace as `xp`, anything else as a global."""
    if value is plan.xp_marker:
        names["xp"] = xp
        return "xp"
    if type(value) in (tuple, list) and _nests_value(plan, value):
        items = [_expression(plan, v, live, names, xp) for v in value]
        inner = ", ".join(items) + ("," if len(items) == 1 else "")
        return f"({inner})" if type(value) is tuple else f"[{inner}]"
    slot = plan.slot_of.get(value) if _hashable(value) else None
    if slot is not None:
        if slot not in live:
            raise _Unsupported
        return f"v{slot}"
    key = f"k{len(names)}"
    names[key] = value
    return key


def _nests_value(plan, value):
    """Whether a list or tuple holds (at any depth) a node's value or the namespace."""
    return any(v is plan.xp_marker or (_hashable(v) and v in plan.slot_of) or
               (type(v) in (tuple, list) and _nests_value(plan, v)) for v in value)


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True
