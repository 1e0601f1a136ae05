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
`generate_while` writes a while_loop's cond and body into one such function
with the loop inside.  Generating and compiling costs a few hundred
microseconds, so the interpreter does it once per subgraph and namespace, on
a runner's second request (a runner made for one call never pays it).  A
kernel error is mapped back to its node by the line it was raised from.
"""

from keyword import iskeyword

from ..runtime.limits import check_loop_iteration, max_loop_iterations

__all__ = ["generate", "generate_while"]


def generate(plan, n_inputs, xp, on_error):
    """plan as one function of a sequence of n_inputs arrays, or None when it cannot be written out.

    `on_error(slot, exception)` is called (and raises) when the step writing
    `slot` fails.
    """
    src = _Source(xp)
    names = [f"v{i}" for i in range(n_inputs)]
    src.line(1, f"{', '.join(names)}, = inputs" if names else "pass")
    try:
        out = src.plan(plan, names, "v", 1, (), on_error)
    except _Unsupported:
        return None
    src.line(1, f"return {out}")
    return src.function("inputs")


# Why one function for a whole while_loop: per iteration it saves two calls,
# the packing of the inputs into tuples and their unpacking, which at small
# sizes is a tenth of an iteration's cost.
#
#     def run(carried, additional):
#         c0, c1, = carried
#         a0, a1, = additional
#         <cond steps> ; if not <cond output>: return None
#         while True:
#             <body steps> ; c0, c1, = <body outputs>
#             <cond steps> ; if not <cond output>: return (c0, c1,)
def generate_while(cond, body, n_carried, n_additional, xp):
    """A while_loop over (cond plan, its on_error) and (body plan, its on_error) as one function of
    (carried, additional): the final carried values, or None when cond is false at once; None instead of
    a function when the plans cannot be written out (a body whose output is no tuple of n_carried)."""
    (cond_plan, on_cond_error), (body_plan, on_body_error) = cond, body
    src = _Source(xp)
    carried = [f"c{i}" for i in range(n_carried)]
    extra = [f"a{i}" for i in range(n_additional)]
    inputs = carried + extra
    for names, given in ((carried, "carried"), (extra, "additional")):
        src.line(1, f"{', '.join(names)}, = {given}" if names else "pass")
    body_out = body_plan.output_value
    if type(body_out) is not tuple or len(body_out) != n_carried or not carried or \
            type(cond_plan.output_value) in (tuple, list):
        return None
    try:
        check = src.plan(cond_plan, inputs, "p", 1, inputs, on_cond_error)
        src.line(1, f"if not {check}:")
        src.line(2, "return None")
        # the iteration limit (runtime/limits.py), as the kernel's own loop counts
        src.line(1, f"i_, limit_ = 0, {src.global_name(max_loop_iterations)}()")
        src.line(1, "while True:")
        src.line(2, "i_ += 1")
        src.line(2, "if i_ > limit_:")
        src.line(3, f"{src.global_name(check_loop_iteration)}(i_)")
        new = src.plan(body_plan, inputs, "q", 2, extra, on_body_error)
        src.line(2, f"{', '.join(carried)}, = {new}")
        check = src.plan(cond_plan, inputs, "p", 2, inputs, on_cond_error)
    except _Unsupported:
        return None
    src.line(2, f"if not {check}:")
    src.line(3, f"return ({', '.join(carried)},)")
    return src.function("carried, additional")


class _Source:
    """The lines of one generated function, the globals they read, and which step each line runs."""

    def __init__(self, xp):
        self.xp = xp
        self.lines = []
        self.names = {"xp": xp}     # global name -> value (kernels, constants, the namespace)
        self.step_at_line = {}      # line number -> (on_error, slot) of the step it runs

    def line(self, indent, text):
        self.lines.append("    " * (indent + 1) + text)        # inside `try:`

    def global_name(self, value):
        key = f"k{len(self.names)}"
        self.names[key] = value
        return key

    def plan(self, plan, inputs, prefix, indent, keep, on_error):
        """Write plan's steps with its placeholders as the locals `inputs` and its values as
        `<prefix><slot>`, deleting each at its last use unless it is in `keep`; returns the output's
        expression."""
        local = {i: name for i, name in enumerate(inputs)}        # slot -> local holding its value now
        node_slots = plan.xp_slot                                  # slots below it hold node values

        def ref(slot):
            if slot in local:
                return local[slot]
            if slot < node_slots:       # a node's value that is no longer held: leave it to the plan loop
                raise _Unsupported
            return "xp" if slot == node_slots else self.global_name(plan.template[slot])

        for (fn, out, _get, free), slots in zip(plan.steps, plan.arg_slots):
            if slots is None:           # arguments that nest values (lists, keyword values): built inline
                fn, args, kwargs = plan.general_calls[out]
                if not all(k.isidentifier() and not iskeyword(k) for k in kwargs):
                    raise _Unsupported
                call = [self.expression(plan, a, local) for a in args] + \
                    [f"{k}={self.expression(plan, v, local)}" for k, v in kwargs.items()]
            else:
                call = [ref(i) for i in slots]
            local[out] = f"{prefix}{out}"
            self.line(indent, f"{local[out]} = {self.global_name(fn)}({', '.join(call)})")
            self.step_at_line[len(self.lines) + 2] = (on_error, out)    # (+2: the `def` and `try:` lines)
            dead = sorted(i for i in free if i in local and local[i] not in keep)
            if dead:
                self.line(indent, f"del {', '.join(local.pop(i) for i in dead)}")
        return self.expression(plan, plan.output_value, local)

    def expression(self, plan, value, local):
        """Python source for a value: node values as their locals, lists and tuples of them built in
        place, the namespace as `xp`, anything else as a global."""
        if value is plan.xp_marker:
            return "xp"
        if type(value) in (tuple, list) and _nests_value(plan, value):
            items = [self.expression(plan, v, local) for v in value]
            inner = ", ".join(items) + ("," if len(items) == 1 else "")
            return f"({inner})" if type(value) is tuple else f"[{inner}]"
        slot = plan.slot_of.get(value) if _hashable(value) else None
        if slot is not None:
            if slot not in local:
                raise _Unsupported
            return local[slot]
        return self.global_name(value)

    def function(self, params):
        """Compile the lines into `run(params)`; a failing step re-raises through its on_error."""
        lines = [f"def run({params}):", "    try:"] + self.lines + [
            "    except Exception as e:",
            "        step = _step_at_line.get(e.__traceback__.tb_lineno)",
            "        if step is not None:",
            "            step[0](step[1], e)",
            "        raise"]
        self.names["_step_at_line"] = self.step_at_line
        exec(compile("\n".join(lines), "<minexport generated graph>", "exec"), self.names)
        return self.names["run"]


class _Unsupported(Exception):
    """The plan reads a value the written-out function would not hold (the plan's own loop runs it)."""


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
