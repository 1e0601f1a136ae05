"""Why a program's shapes are what they are: `ep.explain()` and the example-size warning.

While tracing, every guard the ShapeEnv records is attributed to what
recorded it (`Provenance`): the op whose meta function asked (through the
tracer's op hook), `torch._check(...)`, or, with no op, the user's own Python
(`if x.shape[0] > 4`, `int(size)`).  `explain()` turns the guards, the
specializations by example size, the dims' ranges and the runtime asserts into
entries (`GuardEntry`), each with the condition in input terms, the rule that
produced it as a short stable phrase, the user's source line, the inputs it
reads and the `dynamic_shapes` change that accepts or relaxes it.

A program loaded from an archive has no provenance (torch's format keeps
none): its report is made from what the archive keeps -- the inputs' symbolic
shapes, the range constraints and the runtime asserts with their stack
traces.  spec/explain.md states the report's format.
"""
import dataclasses
import re
import warnings

from .._user_errors import format_user_frame, user_frame
from ..utils import _pytree as pytree

__all__ = ["Provenance", "GuardEntry", "GuardReport", "explain", "explain_failure", "explain_script",
           "warn_small_examples", "input_paths"]

# -- the rule of each guard --------------------------------------------------------------------
# op name -> the rule its meta function enforces when it records a guard (ops not named here: see _op_rule)
_MATMUL = "matmul inner dims must match"
_SLICE = "slice end clamped to size"
_RESHAPE = "reshape needs divisibility"
_SPLIT = "split sizes must fit the dim"
_OP_RULES = {
    **dict.fromkeys(("matmul", "mm", "bmm", "addmm", "addbmm", "baddbmm", "linear", "mv", "addmv", "dot",
                     "vdot", "einsum", "tensordot", "_addmm_activation"), _MATMUL),
    **dict.fromkeys(("slice", "slice_scatter", "narrow", "as_strided"), _SLICE),
    **dict.fromkeys(("view", "reshape", "_unsafe_view", "_reshape_alias", "unflatten", "view_as", "reshape_as"),
                    _RESHAPE),
    **dict.fromkeys(("split", "split_with_sizes", "tensor_split", "chunk", "unsafe_split", "unbind"), _SPLIT),
    **dict.fromkeys(("select", "index_select", "select_scatter"), "index must be inside the dim"),
    **dict.fromkeys(("expand", "expand_as", "broadcast_to"), "expand needs equal sizes or size 1"),
    **dict.fromkeys(("cat", "concat", "concatenate", "stack", "hstack", "vstack"),
                    "cat sizes must match off the cat dim"),
    **dict.fromkeys(("convolution", "conv1d", "conv2d", "conv3d", "max_pool1d", "max_pool2d", "max_pool3d",
                     "avg_pool1d", "avg_pool2d", "avg_pool3d", "max_pool2d_with_indices", "unfold"),
                    "window must fit inside the input"),
    **dict.fromkeys(("arange", "zeros", "ones", "empty", "full", "new_zeros", "new_ones", "new_empty",
                     "new_full"), "factory size must be a concrete int"),
}
_BROADCAST = "broadcast requires equal sizes"
_CHECK = "torch._check(...)"
_INT = "int() of a size specializes it"
_BRANCH = "Python condition on a size"
_EXAMPLE = "example size {} specializes"


def _op_rule(origin):
    """The rule phrase of a guard's origin: an op (by the table, else a pointwise op broadcasts), a phrase."""
    if isinstance(origin, str):
        return origin
    name = origin.op_name
    rule = _OP_RULES.get(name) or _OP_RULES.get(name.rstrip("_"))
    if rule:
        return rule
    if "pointwise" in origin.tags or name in ("where", "masked_fill", "lerp", "addcmul", "addcdiv"):
        return _BROADCAST
    return f"{origin} shape rule"


class Provenance:
    """What made each guard of one export, and which dims its example sizes made static."""

    def __init__(self, symbolic):
        self.symbolic = symbolic    # the export's SymbolicInputs: declared Dims and their kinds
        self.origins = {}           # index in env.guards -> the op (or rule phrase) that recorded it
        self.examples = []          # (input, dim, size, spec, export() call frame): dynamic dims made static by 0/1
        self.paths = {}             # placeholder name -> torch's input path (x, inputs['a'][0])

    def attribute(self, start, origin):
        """The guards recorded from index `start` on came from origin."""
        for i in range(start, len(self.symbolic.env.guards)):
            self.origins.setdefault(i, origin)


# -- the warning before tracing ------------------------------------------------------------------
def warn_small_examples(symbolic, leaf_names, leaves, dim_specs, paths=None):
    """Warn (UserWarning) for every dim marked dynamic whose example size is 0 or 1, and remember it.

    Export makes sizes 0 and 1 static (torch: Dim.AUTO specializes quietly, a
    named Dim or Dim.DYNAMIC is an error), so such an example cannot give a
    dynamic dim; the warning says so before tracing, and how to fix it.  `paths`: each leaf's input path, kept
    for the failure report (`explain_failure`).
    """
    if symbolic is not None and paths:
        symbolic.env.provenance.paths.update(zip(leaf_names, paths))
    for name, leaf, spec in zip(leaf_names, leaves, dim_specs):
        for d, s in (spec or {}).items():
            size = int(leaf.shape[d])
            if size not in (0, 1) or s is None or repr(s) == "Dim.STATIC":
                continue
            if symbolic is not None:
                symbolic.env.provenance.examples.append((name, d, size, s, format_user_frame(user_frame(2))))
            warnings.warn(
                f"dimension inputs['{name}'].shape[{d}] 0/1 specialized; {s!r} was specified along with a "
                f"sample input with hint = {size}. Export makes sizes 0 and 1 static, so this dim cannot be "
                f"dynamic: use an example input whose size at inputs['{name}'].shape[{d}] is at least 2.",
                UserWarning, stacklevel=4)


# -- entries ---------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class GuardEntry:
    """One fact the program relies on, and where it came from."""
    kind: str          # "specialization", "equality", "range", "relation", "guard" or "runtime assert"
    condition: str     # in input terms: "x.size()[1] == y.size()[0]"
    rule: str          # the short stable phrase of what produced it
    where: str         # "file:line" of the user's code, "" when unknown
    code: str          # that line's text
    inputs: tuple      # the input dims (or values) it reads
    fix: str           # the dynamic_shapes change that accepts or relaxes it, or why there is none
    detail: str = ""   # e.g. "range [2, int_oo] -> [5, int_oo]"
    violates: bool = False   # export failed because of it (the declared dynamic_shapes do not allow it)

    def format(self, number):
        """The entry as the report prints it."""
        head = f"[{number}] {self.kind}: {self.condition}" + (f"   ({self.detail})" if self.detail else "")
        if self.violates:
            head += "   <- VIOLATED"
        lines = [head, f"    rule:   {self.rule}"]
        if self.where:
            lines.append(f"    where:  {self.where}")
            if self.code:
                lines.append(f"            {self.code}")
        if self.inputs:
            lines.append(f"    inputs: {', '.join(self.inputs)}")
        lines.append(f"    fix:    {self.fix}")
        return "\n".join(lines)


@dataclasses.dataclass
class GuardReport:
    """ep.explain()'s result: `str()` is the report; `dims` and `entries` are its parts."""
    title: str
    dims: list         # (input dim path, what it is)
    entries: list      # GuardEntry, in the order they were created

    def __str__(self):
        lines = [self.title, "", "Input dims and data-dependent values:"]
        width = max((len(p) for p, _ in self.dims), default=0)
        lines += [f"  {p.ljust(width)}  {what}" for p, what in self.dims] or ["  (no tensor inputs)"]
        lines += ["", f"Guards, ranges, specializations and runtime asserts ({len(self.entries)}):"]
        lines += [e.format(i) for i, e in enumerate(self.entries, 1)] or ["  (none: nothing narrows the inputs)"]
        return "\n".join(lines)

    __repr__ = __str__

    def __iter__(self):
        return iter(self.entries)

    def __len__(self):
        return len(self.entries)


def input_paths(in_spec, forward_arg_names):
    """torch's name of each flat input leaf: the argument's name then the keys down to it (x['a'][0])."""
    leaves = pytree.tree_unflatten(list(range(in_spec.num_leaves)), in_spec)
    out = []
    for path, _ in pytree.tree_flatten_with_path(leaves)[0]:
        top = path[1]
        base = forward_arg_names[top.idx] if path[0].idx == 0 else str(top.key)
        out.append(base + "".join(str(k) for k in path[2:]))
    return out


_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in [^\n]+(?:\n[ \t]*(?P<code>[^\n]*))?')


def _where(frame_text):
    """('file:line', code) of the innermost frame of a formatted user frame or stack trace."""
    if not frame_text:
        return "", ""
    matches = list(_FRAME.finditer(frame_text.rstrip()))
    if not matches:
        return "", ""
    m = matches[-1]
    return f"{m['file']}:{m['line']}", (m["code"] or "").strip()


class _Namer:
    """Input terms for symbols: x.size()[0], n.item(); and where each dim sits in dynamic_shapes."""

    def __init__(self, env, placeholder_paths, symbolic=None):
        self.env, self.symbolic = env, symbolic
        self.paths = placeholder_paths           # placeholder name -> input path
        self.dims = {}                           # Symbol -> (input path, dim)
        self.items = {}                          # Symbol -> "n.item()", for programs loaded from archives
        for sym, source in env.var_to_source.items():
            m = re.fullmatch(r"(\w+)\.size\(\)\[(\d+)\]", source or "")
            if m and m[1] in self.paths:
                self.dims[sym] = (self.paths[m[1]], int(m[2]))

    def order(self, sym):
        """A sort key putting symbols in the order of the inputs they size (then the rest, by name)."""
        if sym in self.dims:
            path, d = self.dims[sym]
            return (0, list(self.paths.values()).index(path), d, "")
        return (1, 0, 0, str(sym))

    def term(self, sym):
        """sym as the user reads it: `x.size()[0]`, `n.item()`, else its name (`u1`)."""
        if sym in self.dims:
            path, d = self.dims[sym]
            return f"{path}.size()[{d}]"
        source = self.items.get(sym) or self.env.var_to_source.get(sym)
        return source if source and source.endswith(".item()") else str(sym)

    def text(self, expr):
        """expr (a guard or size) over input terms, relations as `a == b`."""
        import sympy
        text = str(expr.xreplace({s: sympy.Symbol(self.term(s)) for s in expr.free_symbols}))
        return _relation_text(text)

    def slot(self, sym):
        """`dynamic_shapes["x"][0]`-style place of the dim that is sym."""
        path, d = self.dims.get(sym, (str(sym), None))
        m = re.match(r"(\w+)(.*)", path)
        head = f'dynamic_shapes["{m[1]}"]{m[2]}' if m else f"dynamic_shapes[{path!r}]"
        return head if d is None else f"{head}[{d}]"

    def declared(self, sym):
        """(kind, Dim name or None) the user declared for sym: kind "dim", "auto", "dynamic" or "" (unknown)."""
        if self.symbolic is None:
            return "", None
        kind, label, dim = self.symbolic.kind.get(sym, ("", None, None))
        return kind, (dim.__name__ if dim is not None else None)

    def dim_name(self, sym):
        """The Dim name a fix uses: the declared one, else `<input>_<dim>`."""
        kind, name = self.declared(sym)
        if name:
            return name
        path, d = self.dims.get(sym, (str(sym), 0))
        return re.sub(r"\W+", "_", path).strip("_") + f"_{d}"


def _relation_text(text):
    """sympy's Eq(a, b) / Ne(a, b) as a == b / a != b."""
    m = re.fullmatch(r"(Eq|Ne)\((.*)\)", text)
    if not m:
        return text
    inner, depth = m[2], 0
    for i, ch in enumerate(inner):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            return f"{inner[:i].strip()} {'==' if m[1] == 'Eq' else '!='} {inner[i + 1:].strip()}"
    return text


def _guard_entries(env, namer, ranges):
    """An entry per distinct guard the trace recorded (ranges: the declared ranges, narrowed as it goes)."""
    import sympy
    from ._symbolic import implied_bounds
    prov = env.provenance
    seen, entries = set(), []
    for i, (guard, frame) in enumerate(env.guards):
        if str(guard) in seen or not isinstance(guard, sympy.core.relational.Relational):
            continue
        seen.add(str(guard))
        origin = prov.origins.get(i) if prov is not None else None
        where, code = _where(frame)
        syms = sorted(guard.free_symbols, key=namer.order)
        inputs = tuple(namer.term(s) for s in syms)
        if origin is None:
            origin = _INT if isinstance(guard, sympy.Eq) and guard.rhs.is_Integer and guard.lhs.is_Symbol \
                else _BRANCH
        rule = _op_rule(origin)
        kind, detail, fix = _classify(guard, syms, env, namer, ranges, implied_bounds)
        named = [s for s in syms if namer.declared(s)[0] in ("dim", "dynamic")]
        violates = bool(named) and kind in ("specialization", "equality", "relation") or \
            (kind == "range" and any(namer.declared(s)[0] in ("dim", "dynamic") for s in syms) and "->" in detail)
        entries.append(GuardEntry(kind, namer.text(guard), rule, where, code, inputs, fix, detail, violates))
    return entries


def _classify(guard, syms, env, namer, ranges, implied_bounds):
    """(kind, detail, fix) of one guard."""
    import sympy
    from ..symbolic import ValueRange, int_oo
    if any(s in env.unbacked for s in syms):
        return "guard", "", "none: a data-dependent value; checked where it is read"
    if isinstance(guard, sympy.Eq) and len(syms) == 1 and (guard.lhs - guard.rhs).is_polynomial(syms[0]) and \
            sympy.Poly(guard.lhs - guard.rhs, syms[0]).degree() == 1:
        (s,) = syms
        value = sympy.solve(guard.lhs - guard.rhs, s)[0]
        return "specialization", f"{namer.term(s)} is always {value}", \
            _fix(namer, [s], f"{namer.slot(s)} = {value}", "made it static")
    if isinstance(guard, sympy.Eq) and len(syms) > 1:
        target = max(syms, key=namer.order)      # the later input's dim, said in terms of the earlier
        try:
            solved = sympy.solve(guard.lhs - guard.rhs, target)
        except NotImplementedError:
            solved = []
        if len(solved) == 1:
            e = solved[0]
            if e.is_Symbol:
                change = f"one Dim for both, {namer.slot(e)} = {namer.slot(target)} = Dim('{namer.dim_name(e)}')"
                detail = f"{namer.term(target)} is {namer.term(e)}"
            else:
                text = str(e.xreplace({s: sympy.Symbol(namer.dim_name(s)) for s in e.free_symbols}))
                change = f"a derived dim, {namer.slot(target)} = {text}"
                detail = f"{namer.term(target)} = {namer.text(e)}"
            return "equality", detail, _fix(namer, syms, change, "took the relation")
    if len(syms) == 1 and not isinstance(guard, (sympy.Eq, sympy.Ne)):
        (s,) = syms
        try:
            lo, hi = implied_bounds(guard, s)
        except (sympy.PolynomialError, TypeError, ValueError):
            lo = hi = None
        r = ranges.get(s)
        if r is not None and (lo is not None or hi is not None):
            new_lo = max(r.lower, lo) if lo is not None else r.lower
            new_hi = r.upper if hi is None else (hi if r.upper is int_oo else min(r.upper, hi))
            detail = f"range [{r.lower}, {r.upper}] -> [{new_lo}, {new_hi}]" if (new_lo, new_hi) != \
                (r.lower, r.upper) else f"range [{r.lower}, {r.upper}] already implies it"
            ranges[s] = ValueRange(new_lo, new_hi)
            bound = f"min={new_lo}" + ("" if new_hi is int_oo else f", max={new_hi}")
            return "range", detail, _fix(namer, [s], f"{namer.slot(s)} = Dim('{namer.dim_name(s)}', {bound})",
                                         "took the range")
    if isinstance(guard, sympy.Eq) and len(syms) == 1 and isinstance(guard.lhs, sympy.Mod) and guard.rhs == 0 \
            and guard.lhs.args[0] == syms[0] and guard.lhs.args[1].is_Integer:
        # Mod(s, k) == 0: a derived dim k*d states exactly the multiples of k
        (s,), k = syms, int(guard.lhs.args[1])
        name = namer.dim_name(s)
        return "relation", f"a multiple of {k}", _fix(namer, syms, f"a derived dim, {namer.slot(s)} = {k} * "
                                                      f"Dim('{name}_{k}')", "checks it when the program is called")
    if isinstance(guard, sympy.Ne) and len(syms) == 1:
        return "guard", "excludes one size", ("none: a range cannot exclude a single size (a named Dim's must "
                                              "not hold it); checked when the program is called")
    return "relation", "", "none: dynamic_shapes cannot state it; checked when the program is called"


def _fix(namer, syms, change, what_auto_did):
    """The fix line: the dynamic_shapes change, or, when every dim involved is Dim.AUTO, that none is needed."""
    if syms and all(namer.declared(s)[0] == "auto" for s in syms):
        return f"none needed: Dim.AUTO {what_auto_did}; to declare it: {change}"
    return change


def _assert_entries(graph, namer):
    """An entry per runtime assert (aten._assert_scalar) of the graph, from its condition and stack trace."""
    entries = []
    for node in graph.nodes:
        if node.op != "call_function" or str(node.target) != "aten._assert_scalar.default":
            continue
        cond = node.args[0]
        val = getattr(cond, "meta", {}).get("val")
        expr = getattr(val, "expr", None)
        if expr is not None:
            text, inputs = namer.text(expr), tuple(namer.term(s) for s in sorted(expr.free_symbols, key=namer.order))
        else:
            m = re.search(r"expression (.*) on node", str(node.args[1]))
            text, inputs = (m[1] if m else str(node.args[1])), ()
        where, code = _where(node.meta.get("stack_trace"))
        rule = node.meta.get("explain_rule") or (_CHECK if "_check" in code else
                                                 "data-dependent size kept in its range")
        entries.append(GuardEntry("runtime assert", text, rule, where, code, inputs,
                                  "none needed: checked each time the program runs"))
    return entries


def _dims_section(ep, namer, env):
    """(input dim path, what it is) for every dim of every user tensor input."""
    from .._symbolic_marker import is_symbolic
    from .graph_signature import InputKind
    user = {s.arg.name for s in ep.graph_signature.input_specs if s.kind == InputKind.USER_INPUT}
    examples = {(name, d): (size, spec) for name, d, size, spec, _ in
                (env.provenance.examples if env is not None and env.provenance is not None else ())}
    out, first_dim = [], {}
    for node in ep.graph.nodes:
        if node.op != "placeholder" or node.name not in user:
            continue
        val = node.meta.get("val")
        for d, size in enumerate(getattr(val, "shape", ())):
            path = f"{namer.paths.get(node.name, node.name)}.size()[{d}]"
            if not is_symbolic(size):
                small = examples.get((node.name, d))
                out.append((path, f"static {size}" + (f"  (example size {size} specialized {small[1]!r})"
                                                        if small else "")))
                continue
            expr = env.simplify(size.expr) if env is not None else size.expr
            if expr.is_Integer:
                out.append((path, f"static {expr}  (specialized by the program)"))
                continue
            if expr.is_Symbol:
                r = ep.range_constraints.get(expr)
                kind, name = namer.declared(expr)
                declared = {"dim": f"Dim('{name}')", "auto": "Dim.AUTO", "dynamic": "Dim.DYNAMIC"}.get(kind, "")
                owner = first_dim.setdefault(expr, path)      # the first input dim that is this symbol
                same = f"  (equal to {owner})" if owner != path else ""
                rng = f"range [{r.lower}, {r.upper}]" if r is not None else ""
                out.append((path, " ".join(x for x in (str(expr), declared, rng) if x) + same))
            else:
                out.append((path, f"{expr}  (= {namer.text(expr)})"))
    for sym, r in ep.range_constraints.items():      # values read with .item(), and data-dependent sizes
        if str(sym)[:1] == "u":
            out.append((namer.term(sym) if namer.term(sym) != str(sym) else f"{sym} (data-dependent size)",
                        f"{sym} range [{r.lower}, {r.upper}]"))
    return out


def _placeholder_paths(ep):
    """placeholder name -> torch's input path, for the program's user inputs."""
    from .graph_signature import InputKind
    root = ep.module_call_graph[0].signature
    user = [s.arg.name for s in ep.graph_signature.input_specs if s.kind == InputKind.USER_INPUT]
    names = root.forward_arg_names
    if root.in_spec is None or not names:
        return {n: n for n in user}
    return dict(zip(user, input_paths(root.in_spec, names)))


def explain(ep):
    """The GuardReport of an ExportedProgram (see the module docstring)."""
    env = ep.shape_env
    paths = _placeholder_paths(ep)
    prov = env.provenance if env is not None else None
    if env is None:
        from ..symbolic import ShapeEnv
        env = ShapeEnv()
    namer = _Namer(env, paths, prov.symbolic if prov is not None else None)
    for node in ep.graph.nodes:        # dims whose symbol is named after a placeholder other than the input's
        if node.op == "call_function" and str(node.target) == "aten.item.default":
            expr = getattr(node.meta.get("val"), "expr", None)
            if expr is not None and env.var_to_source.get(expr) in (None, str(expr)):
                namer.items[expr] = f"{node.args[0].name}.item()"     # an archive's u0: named as the trace names it
        if node.op == "placeholder" and node.name in paths:
            for d, size in enumerate(getattr(node.meta.get("val"), "shape", ())):
                expr = getattr(size, "expr", None)
                if expr is not None and expr.is_Symbol:
                    namer.dims.setdefault(expr, (paths[node.name], d))
    entries = []
    if prov is not None:
        entries += _example_entries(prov, paths)
        ranges = {s: r for s, r in env.var_to_range.items()}
        entries += _guard_entries(env, namer, ranges)
    entries += _assert_entries(ep.graph, namer)
    source = "from the trace" if prov is not None else "static: no symbolic sizes" if ep.shape_env is None else \
        "from the archive (ranges, runtime asserts and stack traces; guard provenance is not stored)"
    return GuardReport(f"Shape report of this program, {source}", _dims_section(ep, namer, env), entries)


def _example_entries(prov, paths):
    return [GuardEntry("specialization", f"{paths.get(name, name)}.size()[{d}] == {size}", _EXAMPLE.format(size),
                       *_where(frame), (f"{paths.get(name, name)}.size()[{d}]",),
                       f"use an example input with {paths.get(name, name)}.size()[{d}] >= 2 (or declare it static)",
                       f"marked {spec!r}", violates=repr(spec) != "Dim.AUTO")
            for name, d, size, spec, frame in prov.examples]


def explain_failure(error):
    """The report of a failed export: the guards of its trace (if it got that far), the violated ones marked."""
    symbolic = getattr(error, "symbolic", None)
    head = f"export failed: {type(error).__name__}: {error}"
    if symbolic is None or symbolic.env.provenance is None:
        return head
    env = symbolic.env
    prov = env.provenance
    paths = {**_source_names(env), **prov.paths}
    namer = _Namer(env, paths, symbolic)
    entries = _example_entries(prov, paths) + _guard_entries(env, namer, dict(env.var_to_range))
    bad = [e for e in entries if e.violates]
    lines = [head, "", f"Violated ({len(bad)}):"]
    lines += [e.format(i) for i, e in enumerate(bad, 1)] or ["  (none of the recorded guards; see the error)"]
    lines += ["", f"All guards of the trace ({len(entries)}):"]
    lines += [e.format(i) for i, e in enumerate(entries, 1)] or ["  (none)"]
    return "\n".join(lines)


def _source_names(env):
    """Input names appearing in the env's sources (x from 'x.size()[0]')."""
    out = {}
    for source in env.var_to_source.values():
        m = re.fullmatch(r"(\w+)\.size\(\)\[\d+\]", source or "")
        if m:
            out[m[1]] = m[1]
    return out


def explain_script(path):
    """Run a Python script; explain the export that failed in it, else every ExportedProgram it left in its
    globals (`python -m minexport explain script.py`)."""
    import runpy
    from .errors import UserError
    try:
        scope = runpy.run_path(path, run_name="__main__")
    except UserError as e:
        return explain_failure(e)
    # ExportedPrograms by what they are (importing the class here would tie this module to it in a circle)
    programs = [(name, v) for name, v in scope.items()
                if hasattr(v, "graph_signature") and hasattr(v, "range_constraints")]
    if not programs:
        return f"{path} ran without a failed export and left no ExportedProgram in its globals"
    return "\n\n".join(f"== {name} ==\n{explain(ep)}" for name, ep in programs)
