"""Dynamic shapes during export: symbolic fake inputs, graph nodes for symbolic values, guard checking.

Loaded only for programs with dynamic dimensions (it imports sympy).
"""
import math
import operator

import sympy

from .._sym_functions import sym_float, sym_max, sym_min
from .._symbolic_marker import is_symbolic
from .._tensor import Size, Tensor
from ..fx.graph import Node
from ..ops import aten
from ..symbolic import ShapeEnv, SymBool, SymFloat, SymInt, ValueRange, int_oo
from ..symbolic.core import int_oo_value
from .dynamic_shapes import ConstraintViolationError, Dim, _DerivedDim, hint_kind
from .errors import UserError

__all__ = ["SymbolicInputs", "SymNodes", "RuntimeShapeChecks", "hoist_input_size_reads"]

_INF = float("inf")


def _from_where(where):
    """', from:' and the user's source line (indented under a problem line), or '' when it is unknown."""
    if not where:
        return ""
    return ", from:\n" + "\n".join("      " + line.strip() for line in where.strip().splitlines())


def _hi(v):
    return int_oo if v == _INF else v


class SymbolicInputs:
    """Creates the symbols of one export and checks the guards its trace recorded."""

    def __init__(self):
        self.env = ShapeEnv()
        self.by_dim = {}        # id(Dim) -> SymInt of its root symbol
        self.by_name = {}       # Dim name -> the first Dim object with that name
        self.kind = {}          # Symbol -> (kind, display name, Dim or None)
        self.sources = {}       # Symbol -> (input name, dim) of a dim whose size is exactly the symbol
        self.ids = {}           # (input name, dim) or Dim name -> N of its symbol s<N> (torch's numbering)
        self.input_sizes = []   # the symbolic size of each dynamic input dim, in input order
        self.derived_sources = {}   # Symbol -> (input name, dim, coeff*Symbol + offset) for a root seen only derived

    def name_symbols(self, names, sources, leaves, specs):
        """Number the symbols as torch 2.13 does, before any is made: each dynamic input dim (example size
        >= 2) takes an id from its source name (`L['x'].size()[0]`), in input order; a Dim shared by several
        dims keeps the name torch keeps when it merges them (the smallest as a string), and a Dim used only
        in derived forms is numbered from its own name."""
        direct = {}
        for name, source, t, spec in zip(names, sources, leaves, specs):
            for d, s in sorted((spec or {}).items()):
                if int(t.shape[d]) in (0, 1):
                    continue
                n = self.env.symbol_id(f"{source}.size()[{d}]")
                self.ids[(name, d)] = n
                if isinstance(s, Dim):
                    direct.setdefault(s.__name__, []).append(n)
        for name, ids in direct.items():
            self.ids[name] = min(ids, key=lambda n: f"s{n}")
        for spec in specs:
            for s in (spec or {}).values():
                if isinstance(s, _DerivedDim) and s.root.__name__ not in self.ids:
                    self.ids[s.root.__name__] = self.env.symbol_id(s.root.__name__)

    def shape(self, name, t, spec):
        """t's shape with SymInts for the dims `spec` marks dynamic."""
        if not spec:
            return tuple(t.shape)
        out = list(t.shape)
        for d, s in sorted(spec.items()):
            out[d] = self._size(name, d, int(t.shape[d]), s)
            if not isinstance(out[d], int):
                self.input_sizes.append(out[d].expr)
        return tuple(out)

    def _size(self, name, d, value, spec):
        src = f"{name}.size()[{d}]"
        if hint_kind(spec) == "AUTO" and value in (0, 1):
            return value                               # torch specializes 0/1 silently for AUTO
        if value in (0, 1) and hint_kind(spec) == "DYNAMIC":
            # torch reports a DYNAMIC hint it had to specialize as a conflict of ranges, a plain ValueError
            raise ValueError(
                "Found the following conflicts between user-specified ranges and inferred ranges from model "
                f"tracing:\n- Received user-specified dim hint Dim.DYNAMIC(min={spec.min}, max={spec.max}), but "
                f"export 0/1 specialized due to hint of {value} for dimension inputs['{name}'].shape[{d}].")
        if value in (0, 1):
            label = spec.__name__ if isinstance(spec, (Dim, _DerivedDim)) else src
            raise ConstraintViolationError(
                f"Constraints violated ({label})!\n  - You marked {label} as dynamic but your code specialized it to "
                f"be a constant ({value}): the example size {src} = {value}, and sizes 0 and 1 are always static."
                f"\nSuggested fixes:\n  {label} = {value}   (or use an example with a size >= 2)")
        if isinstance(spec, _DerivedDim):
            root_value, rem = divmod(value - spec.offset, spec.coeff)
            if rem or root_value < 0:
                raise UserError(f"Expected input {src} = {value} to be of the form {spec.__name__}, where "
                                f"{spec.root.__name__} is an integer")
            if root_value in (0, 1):
                # the root's example value is 0 or 1: torch specializes the root, and so the derived size
                raise ConstraintViolationError(
                    f"Constraints violated ({spec.__name__})!\n  - You marked {spec.__name__} as dynamic but your "
                    f"code specialized it to be a constant ({value}). If you're using Dim.DYNAMIC, replace it with "
                    f"either Dim.STATIC or Dim.AUTO.\nSuggested fixes:\n  {spec.root.__name__} = {root_value}   "
                    f"(or use an example where {spec.root.__name__} >= 2)")
            root = self._dim_symbol(spec.root, root_value, None)
            return spec.coeff * root + spec.offset
        if isinstance(spec, Dim):
            sym = self._dim_symbol(spec, value, src)
            return sym
        # AUTO and DYNAMIC sizes range from 2 (0 and 1 specialize), within the marker's own min/max
        lower = max(2, spec.min or 0)
        upper = int_oo if spec.max is None else spec.max
        sym = self.env.create_symbol(value, lower, upper, src, self.ids.get((name, d)))
        self.kind[sym.expr] = ("auto" if hint_kind(spec) == "AUTO" else "dynamic", src, None)
        self.sources.setdefault(sym.expr, (name, d))
        return sym

    def _dim_symbol(self, dim, value, src):
        sym = self.by_dim.get(id(dim))
        same_name = self.by_name.get(dim.__name__)
        if sym is None and same_name is not None:
            other = same_name
            if (other.min, other.max) != (dim.min, dim.max):
                raise UserError(f"Found different definitions Dim('{dim.__name__}', min={dim.min}, max={_hi(dim.max)}) "
                                f"and Dim('{other.__name__}', min={other.min}, max={_hi(other.max)}) for the same "
                                f"symbolic dimension {dim.__name__}; use one Dim object (or one definition)")
            sym = self.by_dim[id(other)]
            self.by_dim[id(dim)] = sym
        if sym is None:
            if not (dim.min <= value <= dim.max):
                raise UserError(f"Received user-specified dim hint range [{dim.min}, {_hi(dim.max)}] for "
                                f"{dim.__name__}, but the example size {src or dim.__name__} = {value} is outside it")
            sym = self.env.create_symbol(value, dim.min, _hi(dim.max), src or dim.__name__, self.ids.get(dim.__name__))
            self.by_dim[id(dim)] = sym
            self.by_name[dim.__name__] = dim
            self.kind[sym.expr] = ("dim", dim.__name__, dim)
        elif sym.hint != value:
            raise UserError(f"Dim {dim.__name__} is used for sizes that differ in the example inputs: "
                            f"{self.env.var_to_source[sym.expr]} = {sym.hint} but {src} = {value}")
        return sym

    def note_source(self, sym_expr, name, d):
        """Remember an input dim whose size is exactly this symbol."""
        if sym_expr.is_Symbol:
            self.sources.setdefault(sym_expr, (name, d))
        elif len(sym_expr.free_symbols) == 1:
            (root,) = sym_expr.free_symbols
            self.derived_sources.setdefault(root, (name, d, sym_expr))

    # -- after the trace ---------------------------------------------------------
    def check(self):
        """Raise ConstraintViolationError for guards that break named Dims; return range_constraints."""
        env = self.env
        ranges = {s: ValueRange(r.lower, r.upper) for s, r in env.var_to_range.items()}
        problems, fixes, violated = [], [], set()     # violated: the named Dims the problems are about

        def name(sym):
            return self.kind[sym][1]

        order = {sym: i for i, sym in enumerate(self.kind)}     # symbols in the order of the inputs
        for target, expr in env.replacements.items():
            if expr.is_Symbol and order.get(expr, -1) > order.get(target, -1):
                target, expr = expr, target     # the fix names the later input's dim by the earlier one's
            kind_t = self.kind.get(target, ("auto",))[0]
            # Dim.DYNAMIC dims may be found equal to (or a derived form of) other dims, as torch infers
            # them; only a constant for them, or any relation for a named Dim, breaks the declaration
            kinds = [self.kind.get(s, ("auto",))[0] for s in {target} | expr.free_symbols]
            if not (kinds.count("dim") > 1 or expr.is_Integer and set(kinds) & {"dim", "dynamic"}):
                continue
            text = str(expr.xreplace({s: sympy.Symbol(name(s)) for s in expr.free_symbols}))
            violated.update(name(s) for s in {target} | expr.free_symbols if self.kind.get(s, ("auto",))[0] == "dim")
            if expr.is_Integer:
                problems.append(f"  - {name(target)} = {env.var_to_source[target]} was specialized to {expr} "
                                f"by the program{_from_where(env.replacement_where.get(target))}")
            elif expr.is_Symbol:
                problems.append(f"  - The values of {name(target)} = {env.var_to_source[target]} and "
                                f"{name(expr)} = {env.var_to_source[expr]} must always be equal.")
            else:
                (root,) = expr.free_symbols if len(expr.free_symbols) == 1 else (None,)
                other = f" to the values of {name(root)} = {env.var_to_source[root]}" if root is not None else ""
                problems.append(f"  - The values of {name(target)} = {env.var_to_source[target]} must always be "
                                f"related{other} by {name(target)} = {text}.")
            if kind_t == "dim":
                fixes.append(f"  {name(target)} = {text}")
        unexplained = []     # guards that neither narrow one range nor became an equality
        for guard, where in env.guards:
            guard = env.simplify(guard)     # in the symbols kept: a size found equal to another keeps its bound
            syms = guard.free_symbols
            if len(syms) != 1 or not isinstance(guard, sympy.core.relational.Relational) or \
                    isinstance(guard, (sympy.Eq, sympy.Ne)):
                unexplained.append((guard, where))
                continue
            (sym,) = syms
            if sym not in ranges or sym in env.unbacked:
                continue
            try:
                lo, hi = implied_bounds(guard, sym)
            except (sympy.PolynomialError, TypeError, ValueError):
                unexplained.append((guard, where))
                continue
            r = ranges[sym]
            new_lo = max(r.lower, lo) if lo is not None else r.lower
            new_hi = r.upper if hi is None else (hi if r.upper is int_oo else min(r.upper, hi))
            if (new_lo, new_hi) == (r.lower, r.upper):
                continue
            kind = self.kind[sym][0]
            if kind in ("auto", "dynamic"):     # torch narrows a Dim.DYNAMIC range as an AUTO one
                ranges[sym] = ValueRange(new_lo, new_hi)
                continue
            violated.add(name(sym))
            problems.append(f"  - Not all values of {name(sym)} = {env.var_to_source[sym]} in the specified range "
                            f"{r.lower} <= {name(sym)} <= {r.upper} satisfy the generated guard "
                            f"{self._source_expr(guard)}{_from_where(where)}")
            if kind == "dim":
                hi_text = "" if new_hi is int_oo else f", max={new_hi}"
                fixes.append(f"  {name(sym)} = Dim('{name(sym)}', min={new_lo}{hi_text})")
            ranges[sym] = ValueRange(new_lo, new_hi)
        problems += self._relation_problems(unexplained, violated)
        fixes += self._divisibility_fixes(unexplained, ranges)
        if problems:
            text = f"Constraints violated ({', '.join(sorted(violated))})!\n" + "\n".join(problems)
            if fixes:
                text += "\nSuggested fixes:\n" + "\n".join(dict.fromkeys(fixes))
            raise ConstraintViolationError(text)
        return self._range_constraints(ranges)

    def _range_constraints(self, ranges):
        """torch's range_constraints, in torch's order: data-dependent symbols, then every symbolic input
        size in input order -- a derived size (`s17 + 1`, `2*s77`) with its own entry, its range the
        root's carried through the form -- then the remaining symbols."""
        env = self.env
        out = {s: env.var_to_range[s] for s in env.var_to_range if s in env.unbacked}
        for expr in self.input_sizes:
            expr = env.simplify(expr)
            if not expr.is_number and expr not in out:
                out[expr] = ranges[expr] if expr in ranges else _linear_range(expr, ranges)
        for s, r in ranges.items():
            if s not in env.replacements and s not in out:
                # a root seen only in derived sizes (y: 2*d, no dim is d) starts at 2, as torch's backed symbols
                # do; its derived entries keep the declared bounds (2*s92: VR[0, 128], s92: VR[2, 64])
                only_derived = s in self.derived_sources and s not in self.sources and s not in env.unbacked
                out[s] = ValueRange(max(r.lower, 2), r.upper) if only_derived else r
        return out

    def simplify_values(self, graph):
        """Rewrite the graph's values with the equalities the trace found, as torch prints them: after
        `x + y` ties s77 to s17, x's placeholder reads f32[s17], not f32[s77]."""
        env = self.env
        if not env.replacements:
            return

        def fix(v):
            if isinstance(v, SymInt):
                e = env.simplify(v.expr)
                return v if e == v.expr else SymInt(e, env, v.hint)
            return v

        for node in graph.nodes:
            val = node.meta.get("val")
            for t in (val if isinstance(val, (tuple, list)) else (val,)):
                if isinstance(t, Tensor) and t._data is None:
                    t._fake_shape = Size(fix(d) for d in t._fake_shape)
                    if t.__dict__.get("_strides") is not None:
                        t._strides = tuple(fix(s) for s in t._strides)
            if isinstance(val, SymInt):
                node.meta["val"] = fix(val)

    def _relation_problems(self, guards, violated):
        """Guards relating dims (or constraining one non-linearly) that no replacement explains: a named
        Dim cannot promise them, so each is a violation (no fix is suggested; torch has none either).
        The names of the Dims they involve are added to `violated`."""
        env, problems = self.env, []
        for guard, where in guards:
            g = env.simplify(guard)
            if not isinstance(g, sympy.core.relational.Relational) or g.free_symbols & env.unbacked:
                continue
            # only a named Dim promises its whole range: Dim.AUTO and Dim.DYNAMIC take the relation
            named = sorted((s for s in g.free_symbols if self.kind.get(s, ("auto",))[0] == "dim"), key=str)
            if not named:
                continue
            where_lines = "\n".join("      " + line.strip() for line in where.strip().splitlines())
            violated.update(self.kind[s][1] for s in named)
            dims = ", ".join(f"{self.kind[s][1]} = {env.var_to_source[s]}" for s in named)
            problems.append(f"  - Not all values of {dims} in the specified ranges satisfy the generated guard "
                            f"{self._source_expr(g)}, from:\n{where_lines}")
        return list(dict.fromkeys(problems))

    def _divisibility_fixes(self, guards, ranges):
        """torch's fix for a named Dim the program needs divisible by k (`Eq(2*((s77//2)), s77)`, from a
        reshape to s // 2 rows): a new root `_a = Dim('_a', min=..., max=...)` and `a = k*_a`."""
        fixes = []
        for guard, _ in guards:
            g = self.env.simplify(guard)
            if not isinstance(g, sympy.Eq) or len(g.free_symbols) != 1:
                continue
            (sym,) = g.free_symbols
            if self.kind.get(sym, ("auto",))[0] != "dim":
                continue
            for atom in g.atoms(sympy.floor):
                k = sympy.together(atom.args[0]).as_numer_denom()[1]
                diff = k * atom - sym
                if k.is_Integer and k > 1 and sympy.expand(g.lhs - g.rhs - diff) in (0, -2 * diff):
                    r, name = ranges[sym], self.kind[sym][1]
                    hi = "oo" if r.upper is int_oo else int(r.upper) // int(k)
                    fixes += [f"  _{name} = Dim('_{name}', min={-(-max(int(r.lower), 2) // int(k))}, max={hi})",
                              f"  {name} = {k}*_{name}"]
                    break
        return fixes

    def _source_expr(self, expr):
        return str(expr.xreplace({s: sympy.Symbol(self.env.var_to_source[s]) for s in expr.free_symbols}))


def _linear_range(expr, ranges):
    """The range of a sum of positive multiples of symbols plus a constant, over the symbols' ranges."""
    lo, hi = 0, 0
    for term in sympy.Add.make_args(expr):
        coeff, rest = term.as_coeff_Mul()
        if rest == 1:
            lo, hi = lo + int(coeff), (hi if hi is int_oo else hi + int(coeff))
            continue
        r = ranges.get(rest)
        if r is None or coeff <= 0 or isinstance(r.lower, type(int_oo_value())):
            return ValueRange(0, int_oo)
        lo = lo + int(coeff) * r.lower
        hi = int_oo if hi is int_oo or r.upper is int_oo else hi + int(coeff) * r.upper
    return ValueRange(lo, hi)


def implied_bounds(guard, sym):
    """(lo, hi) on sym implied by a one-symbol linear inequality (None where unbounded), or by an inequality
    on the floor of a linear form (`(s77//2) >= 2`: s77 >= 4; `(s77//2) < 2`: s77 <= 3), as torch narrows a
    range from such a guard (an equality `(s77//2) == 1` it keeps as a guard, narrowing nothing)."""
    diff = sympy.expand(guard.lhs - guard.rhs)
    if diff.atoms(sympy.floor):
        return _floor_bounds(diff, guard.rel_op, sym)
    poly = sympy.Poly(diff, sym)
    if poly.degree() != 1:
        return None, None
    a, b = [sympy.Rational(c) for c in poly.all_coeffs()]     # a*s + b  (op)  0
    op = guard.rel_op
    if a < 0:
        a, b = -a, -b
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    bound = sympy.Rational(-b, a)
    if op == ">":
        return int(sympy.floor(bound)) + 1, None
    if op == ">=":
        return int(sympy.ceiling(bound)), None
    if op == "<":
        return None, int(sympy.ceiling(bound)) - 1
    return None, int(sympy.floor(bound))


def _floor_bounds(diff, op, sym):
    """implied_bounds of `+-floor(y) + n  op  0` (y linear in sym; n an integer); ValueError otherwise."""
    (f, *more) = diff.atoms(sympy.floor)
    m = diff.coeff(f)
    n = sympy.expand(diff - m * f)
    # only a floor standing alone (torch does not narrow from 2*((s77//4)) > 3)
    if more or not (m in (1, -1) and n.is_Integer) or f.args[0].atoms(sympy.floor):
        raise ValueError(f"not a bound on the floor of a linear form: {diff}")
    if op not in (">", ">=", "<", "<="):
        raise ValueError(f"not a bound on the floor of a linear form: {diff} {op} 0")
    if m < 0:
        m, n, op = -m, -n, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    c = sympy.Rational(-n, m)                  # floor(y) op c; floor(y) is an integer, so:
    y = f.args[0]
    at_least = {">": sympy.floor(c) + 1, ">=": sympy.ceiling(c)}.get(op)
    at_most = {"<": sympy.ceiling(c) - 1, "<=": sympy.floor(c)}.get(op)
    lo = hi = None
    if at_least is not None:                   # floor(y) >= t  <=>  y >= t
        lo, hi = _merge(implied_bounds(sympy.Ge(y, at_least), sym), (lo, hi))
    if at_most is not None:                    # floor(y) <= t  <=>  y < t + 1
        lo, hi = _merge(implied_bounds(sympy.Lt(y, at_most + 1), sym), (lo, hi))
    return lo, hi


def _merge(a, b):
    """The tighter of two (lo, hi) pairs (None: unbounded)."""
    lo = max((v for v in (a[0], b[0]) if v is not None), default=None)
    hi = min((v for v in (a[1], b[1]) if v is not None), default=None)
    return lo, hi


class SymNodes:
    """Graph nodes for symbolic values: sym_size.int of an input, then operator nodes for expressions."""

    def __init__(self, graph, env, sources, placeholder_of, derived_sources=None):
        self.graph, self.env, self.sources, self.placeholder_of = graph, env, sources, placeholder_of
        self.derived_sources = {} if derived_sources is None else derived_sources
        self.cache = {}
        # id(SymInt/SymFloat) -> [the value, where it came from]: torch's tracer gives each symbolic value
        # object the node of its first origin -- a size of a tensor (node, dim), or `operator(operands)` done
        # in user code -- and reads it from there; values with none are built from their expression
        self.objects = {}

    def node(self, symint):
        """The node computing a SymInt's (or SymBool's) value, as torch's export leaves it: one node per
        expression (the first made); a size read off an intermediate tensor is computed from the input sizes
        when every symbol in it is one (else it stays a sym_size.int of that tensor, as for a derived dim's
        root); arithmetic done in user code stays the operator calls it made."""
        expr = self.env.simplify(symint.expr)
        # a float and an int of one expression (torch's ToFloat(s0) and s0) are different values
        key = ("float", expr) if isinstance(symint, SymFloat) else expr
        node = self.cache.get(key)
        if node is not None:
            return node
        entry = self.objects.get(id(symint))
        if entry is None or entry[0] is not symint or self._computable(expr, entry[1]):
            return self._build(expr)
        node = self._origin_node(entry)
        self.cache[key] = node
        return node

    def _computable(self, expr, origin):
        """True when a size of an intermediate tensor is better computed from input sizes (all its symbols
        are read from inputs or known nodes), as torch's export rewrites such sym_size calls."""
        if isinstance(origin, Node) or isinstance(origin[0], str):
            return False
        owner = origin[0]
        if isinstance(owner, Node) and owner.op == "placeholder":
            return False
        return all(s in self.sources or s in self.cache for s in expr.free_symbols)

    def track_sizes(self, owner, sizes):
        """The symbolic sizes of a new tensor (of node `owner`) that have no origin yet come from it."""
        objects = self.objects
        for d, size in enumerate(sizes):
            if type(size) is not int and id(size) not in objects and is_symbolic(size):
                objects[id(size)] = [size, (owner, d)]

    def track_value(self, value, node):
        """A symbolic value a node computes (an op returning a SymInt) comes from that node."""
        self.objects[id(value)] = [value, node]

    def record_result(self, value, name, operands):
        """`value` is operator `name` of `operands` (arithmetic in user code): its first origin unless it has one."""
        self.objects.setdefault(id(value), [value, (name, operands)])

    def _origin_node(self, entry):
        """The node of a tracked value, made on first use: sym_size.int of its tensor, or its operator call."""
        origin = entry[1]
        if isinstance(origin, Node):
            return origin
        if isinstance(origin[0], str):
            name, operands = origin
            node = self.graph.call_function(_OPERATORS[name], tuple(self._operand(x) for x in operands),
                                            meta={"val": entry[0]})
        else:
            owner, d = origin
            node = self.graph.call_function(aten.sym_size.int, (owner, d), meta={"val": entry[0]},
                                            name="sym_size_int")
        entry[1] = node
        return node

    def _operand(self, x):
        return self.node(x) if is_symbolic(x) else x

    def _build(self, expr):
        node = self.cache.get(expr)
        if node is not None:
            return node
        if expr.is_Integer:
            return int(expr)
        if expr.is_Number:
            return float(expr)
        if isinstance(expr, sympy.core.relational.Relational):
            fn = _RELATIONS[expr.rel_op]
            node = self.graph.call_function(fn, (self._build(expr.lhs), self._build(expr.rhs)),
                                            meta={"val": SymBool(expr, self.env, False)})
            self.cache[expr] = node
            return node
        val = self._value(expr)
        if expr.is_Symbol and expr not in self.sources and expr in self.derived_sources:
            # a root seen only in derived sizes (x: 2*_a): (size - offset) // coeff, as torch computes it
            owner, d, form = self.derived_sources[expr]
            coeff, offset = sympy.Poly(form, expr).all_coeffs()
            size = self._build_size(owner, d, form)
            if offset:
                size = self.graph.call_function(operator.sub, (size, int(offset)), meta={"val": None})
            node = self.graph.call_function(operator.floordiv, (size, int(coeff)), meta={}) if coeff != 1 else size
        elif expr.is_Symbol:
            if expr not in self.sources:
                raise UserError(f"symbol {expr} ({self.env.var_to_source.get(expr)}) is not the size of any input "
                                "dim, so the program cannot compute it")
            owner, d = self.sources[expr]
            owner = owner if isinstance(owner, Node) else self.placeholder_of(owner)
            node = self.graph.call_function(aten.sym_size.int, (owner, d), meta={"val": val}, name="sym_size_int")
        elif expr.is_Add:
            node = self._chain(operator.add, expr.args)
        elif expr.is_Mul:
            # a product with negative powers (x / y in floats) is one division of two products
            num, den = expr.as_numer_denom() if not expr.is_integer else (expr, sympy.Integer(1))
            if den == 1:
                node = self._chain(operator.mul, expr.args)
            else:
                node = self.graph.call_function(operator.truediv, (self._build(num), self._build(den)), meta={})
        elif expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
            node = self.graph.call_function(operator.pow, (self._build(expr.base), int(expr.exp)), meta={})
        elif expr.is_Pow and expr.exp == -1:
            node = self.graph.call_function(operator.truediv, (1.0, self._build(expr.base)), meta={})
        elif isinstance(expr, sympy.floor) and not expr.args[0].has(sympy.Float):
            # floor(a/b), e.g. conv/pool sizes floor(s2/2 - 1/2): (s2 - 1) // 2
            num, den = sympy.together(expr.args[0]).as_numer_denom()
            node = self.graph.call_function(operator.floordiv, (self._build(num), self._build(den)), meta={})
        elif isinstance(expr, (sympy.floor, sympy.ceiling)):    # of a float: math.floor / math.ceil, as torch
            fn = math.floor if isinstance(expr, sympy.floor) else math.ceil
            node = self.graph.call_function(fn, (self._build(expr.args[0]),), meta={})
        elif isinstance(expr, (sympy.Max, sympy.Min)) and len(expr.args) == 2:
            fn = sym_max if isinstance(expr, sympy.Max) else sym_min
            a, b = self.env.call_args.get(expr, expr.args)
            node = self.graph.call_function(fn, (self._build(a), self._build(b)), meta={})
        elif isinstance(expr, sympy.Mod):
            node = self.graph.call_function(operator.mod, (self._build(expr.args[0]), self._build(expr.args[1])),
                                            meta={})
        else:
            raise UserError(f"cannot express the symbolic value {expr} as graph operations")
        node.meta["val"] = val
        self.cache[expr] = node
        return node

    def _build_size(self, owner, d, form):
        """The sym_size.int node of an input dim whose size is `form`."""
        node = self.cache.get(form)
        if node is None:
            owner = owner if isinstance(owner, Node) else self.placeholder_of(owner)
            node = self.graph.call_function(aten.sym_size.int, (owner, d), meta={"val": self._value(form)},
                                            name="sym_size_int")
            self.cache[form] = node
        return node

    def _chain(self, fn, args):
        """fn applied left to right over the terms (symbols before numbers, so `s0 * 2` not `2 * s0`);
        a negative term of a sum is subtracted (`s0 - 1`, as torch records it, not `s0 + -1`)."""
        subtract = fn is operator.add       # negative terms go last, as subtractions
        terms = sorted(args, key=lambda e: (subtract and e.could_extract_minus_sign(), e.is_number, str(e)))
        node = self._build(terms[0])
        for t in terms[1:]:
            op = fn
            if subtract and t.could_extract_minus_sign():
                op, t = operator.sub, -t
            node = self.graph.call_function(op, (node, self._build(t)), meta={"val": None})
        return node

    def _value(self, expr):
        """The SymInt or SymFloat an expression's node computes (floats: a data-dependent float or a Float in it)."""
        if expr.has(sympy.Float) or expr.free_symbols & self.env.float_symbols or \
                sympy.fraction(sympy.together(expr))[1] != 1:      # s/4: a true division's float
            return SymFloat(expr, self.env, None)
        hint = sympy.sympify(expr.xreplace(self.env.var_to_hint))
        return SymInt(expr, self.env, int(hint) if hint.is_Integer else 0)


_OPERATORS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "floordiv": operator.floordiv,
              "mod": operator.mod, "truediv": operator.truediv, "neg": operator.neg, "sym_max": sym_max,
              "sym_min": sym_min, "floor": math.floor, "ceil": math.ceil, "trunc": math.trunc, "sym_float": sym_float}
_RELATIONS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
              "!=": operator.ne}


def hoist_input_size_reads(graph):
    """Move each read of an input's symbolic size (`sym_size.int(placeholder, d)` whose value is a symbol) to
    just after the placeholders, in placeholder then dim order.  torch binds every input symbol there (its
    runtime-assert pass reads each one right after the inputs and has later reads use it), so its programs
    read an input's size before any op, not where an op first needs it."""
    position = {n: i for i, n in enumerate(graph.nodes) if n.op == "placeholder"}
    reads = [n for n in graph.nodes if n.op == "call_function" and n.target is aten.sym_size.int
             and n.args[0] in position and isinstance(n.meta.get("val"), SymInt) and n.meta["val"].expr.is_Symbol]
    anchor = next((n for n in graph.nodes if n.op != "placeholder" and n not in reads), None)
    if anchor is None:
        return
    for read in sorted(reads, key=lambda n: (position[n.args[0]], n.args[1])):
        anchor.prepend(read)


class RuntimeShapeChecks:
    """Checks a call's input sizes against the program's symbols, ranges and relations (before any kernel)."""

    def __init__(self, env, ranges, dims):
        # dims: [(input index, input name, dim, sympy expr)]
        self.env, self.ranges, self.dims = env, ranges, dims
        self.relations = _relation_guards(env) if env is not None else []

    def check(self, flat):
        """Raise AssertionError for the first violated size guard (see `violations`)."""
        found = self.violations(flat)
        if found:
            raise AssertionError(found[0][0])

    def violations(self, flat, skip=()):
        """Every violated size guard of a call, in order: (torch's "Guard failed: ..." line, guard, expected,
        got, flat input index or None).  Inputs whose index is in `skip` (wrong type or rank) are not read."""
        binds, out = {}, []
        plain = {expr for _, _, _, expr in self.dims if expr.is_Symbol}
        for index, name, d, expr in self.dims:
            if index in skip:
                continue
            value = int(flat[index].shape[d])
            src = f"{name}.size()[{d}]"
            declared = expr
            if declared in self.ranges and not declared.is_Symbol and not declared.free_symbols & plain:
                # a derived dim (`2*d`) whose root no input dim has: torch checks its own range entry only
                # (y.size()[0] >= 4), as its loader does, not that the size is of the form 2*d
                out += self._range_violations(src, value, self.ranges[declared], (index, d))
                continue
            expr = sympy.sympify(expr.xreplace(binds)) if binds else expr
            free = expr.free_symbols
            if not free:
                if value != int(expr):
                    # torch's line names the earlier input this dim must agree with (y.size()[0] == 2 * x.size()[0])
                    tied = bool(declared.free_symbols)
                    guard = f"{src} == {self._source_text(declared)}" if tied else f"{src} == {expr}"
                    first = f"Guard failed: {guard}" + ("" if tied else f" (got {value})")
                    out.append((first, guard, f"{expr}", value, (index, d)))
                continue
            if len(free) != 1:
                continue
            (sym,) = free
            solved = sympy.solve(sympy.Eq(expr, value), sym)
            if len(solved) != 1 or not solved[0].is_Integer:
                out.append((f"Guard failed: {src} == {expr} has no integer solution for {value} "
                            f"(e.g. {src} must be of the form {expr})", f"{src} == {expr}", f"of the form {expr}",
                            value, (index, d)))
                continue
            v = int(solved[0])
            binds[sym] = sympy.Integer(v)     # even out of range: later dims of the same symbol must agree
            r = self.ranges.get(sym)
            if r is not None:
                if v < r.lower:
                    bound = _scaled(expr, sym, r.lower)
                    out.append((f"Guard failed: {src} >= {bound} (got {value})", f"{src} >= {bound}", f">= {bound}",
                                value, (index, d)))
                    continue
                if r.upper is not int_oo and v > r.upper:
                    bound = _scaled(expr, sym, r.upper)
                    out.append((f"Guard failed: {src} <= {bound} (got {value})", f"{src} <= {bound}", f"<= {bound}",
                                value, (index, d)))
                    continue
        for guard in self.relations:
            if guard.free_symbols <= binds.keys() and guard.xreplace(binds) is sympy.false:
                text = _python_text(guard.xreplace({s: sympy.Symbol(self.env.var_to_source[s])
                                                    for s in guard.free_symbols}))
                syms = sorted(guard.free_symbols, key=str)
                got = ", ".join(f"{self.env.var_to_source[s]} = {binds[s]}" for s in syms)
                out.append((f"Guard failed: {text}", str(text), "true", got, None))
        return out

    @staticmethod
    def _range_violations(src, value, r, where):
        """The violation of a size's range entry, as a list (empty when value is in range)."""
        if value < r.lower:
            return [(f"Guard failed: {src} >= {r.lower} (got {value})", f"{src} >= {r.lower}", f">= {r.lower}",
                     value, where)]
        if r.upper is not int_oo and value > r.upper:
            return [(f"Guard failed: {src} <= {r.upper} (got {value})", f"{src} <= {r.upper}", f"<= {r.upper}",
                     value, where)]
        return []

    def _source_text(self, expr):
        """expr over input sizes as torch prints a guard: `2 * x.size()[0]`."""
        text = str(expr.xreplace({s: sympy.Symbol(self.env.var_to_source[s]) for s in expr.free_symbols}))
        return text.replace("*", " * ")


def _python_text(rel):
    """A guard as the Python condition torch's failure message shows (`x.size()[0] // 2 != 1`, not
    `Ne((x.size()[0]//2), 1)`)."""
    from sympy.printing.str import StrPrinter
    from sympy.printing.precedence import PRECEDENCE

    class _Printer(StrPrinter):
        printmethod = "_python_text"        # not FloorDiv's own _sympystr: `a // b` here

        def _print_Relational(self, expr):
            return f"{self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)}"

        def _binary(self, a, op, b):
            prec = PRECEDENCE["Mul"]
            # left-associative: `2*a % b` is `(2*a) % b`; the right side needs parentheses at equal precedence
            return f"{self.parenthesize(a, prec, strict=True)} {op} {self.parenthesize(b, prec)}"

        def _print_Mod(self, expr):
            return self._binary(expr.args[0], "%", expr.args[1])

        def _print_FloorDiv(self, expr):
            return self._binary(*expr._parts()[:1], "//", expr._parts()[1])

    return _Printer().doprint(rel) if isinstance(rel, sympy.core.relational.Relational) else str(rel)


def _relation_guards(env):
    """The trace's guards that ranges and equalities do not already express: relations between dims,
    non-linear conditions and excluded values (only Dim.AUTO/DYNAMIC dims can have them; named Dims were
    refused at export)."""
    out = []
    for guard, _ in env.guards:
        g = env.simplify(guard)
        if not isinstance(g, sympy.core.relational.Relational) or g.free_symbols & env.unbacked:
            continue
        # a one-symbol `!=` (`s77 - 1 != 1`) excludes a value inside the range: no range says it
        if len(g.free_symbols) > 1 or isinstance(g, sympy.Ne) or not (g.lhs - g.rhs).is_polynomial(*g.free_symbols):
            out.append(g)
    return list(dict.fromkeys(out))     # a guard recorded twice is checked (and reported) once


def _scaled(expr, sym, v):
    return int(expr.xreplace({sym: v}))
