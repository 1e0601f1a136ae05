"""The verifier: checks an ExportedProgram's IR invariants and names what is broken.

Each rule is one method; a violation raises `SpecViolationError` naming the
node and the rule.  Dialects: TRAINING (export()'s output) and ATEN.
"""
import itertools
import math
import operator

from .._symbolic_marker import is_symbolic
from .._sym_functions import sym_float, sym_max, sym_min
from .._tensor import Tensor
from ..fx.graph import Node, map_arg
from ..ops import lookup
from ..ops._targets import MATH_FUNCTIONS, target_kind
from ..ops.core import decomposes_by_default
from .graph_signature import ConstantArgument, InputKind

__all__ = ["SpecViolationError", "Verifier", "TrainingIRVerifier", "verifier_for"]


class SpecViolationError(Exception):
    """An exported program breaks an IR invariant."""


class Verifier:
    """Structural rules shared by every dialect."""

    dialect = "ATEN"

    def check(self, ep):
        """Run every rule on ep; raise SpecViolationError on the first violation.

        The rules are the check_* methods, run one after another in the
        order of `check_in_order`; that order decides which violation is
        reported when a program breaks several rules.  A valid program (the
        common case) is checked by one fused walk over the nodes that applies
        the same rules node by node; when that walk meets anything wrong, the
        rules run again in order, so the error is the one the order meets
        first.  A subclass of a verifier gets the ordered rules only (its
        overrides are not known to the walk).
        """
        if type(self) not in _FUSED:
            self.check_in_order(ep)
            return
        try:
            _check_fused(self, ep)
            return
        except Exception as e:       # any failure of the walk is re-decided by the ordered rules
            walk_error = e
        self.check_in_order(ep)
        # the walk applies the same rules, so the ordered run raises; should it not, the walk's error stands
        raise walk_error

    def check_in_order(self, ep):
        """Run every rule on ep, one rule after another over the whole program (see `check`)."""
        self.check_graph_structure(ep.graph)
        self.check_range_constraints(ep)
        self.check_placeholders(ep)
        self.check_outputs(ep)
        self.check_lifted_state(ep)
        self.check_meta(ep.graph)
        self.check_dialect(ep.graph, ep.preserved_ops)
        self.check_subgraphs(ep.graph_module, ep.preserved_ops)

    def check_subgraphs(self, gm, preserved):
        """get_attr nodes name existing submodules; each subgraph (cond branch, map body) obeys the graph
        rules, recursively."""
        for n in gm.graph.nodes:
            if n.op == "get_attr":
                _check_attribute_name(gm, n)
            if n.op == "get_attr" and not hasattr(gm, n.target.split(".")[0]):
                raise SpecViolationError(f"node '{n.name}' reads attribute '{n.target}', which the program does "
                                         "not have (rule: get_attr targets exist)")
            if n.op == "call_function" and target_kind(n.target) == "higher_order":
                _check_higher_order_args(n)
                _check_loop(gm, n)
        self._check_subgraph_modules(gm, preserved)

    def _check_subgraph_modules(self, gm, preserved):
        """The graph rules, recursively, on each subgraph gm reads with get_attr."""
        for sub in gm.subgraph_modules():
            self.check_graph_structure(sub.graph)
            self.check_meta(sub.graph)
            self.check_dialect(sub.graph, preserved)
            self.check_subgraphs(sub, preserved)

    def check_graph_structure(self, graph):
        """Names unique identifiers; nodes in topological order; one output node, last."""
        seen = set()
        allowed = _AllowedTargets()
        # Whether a call's arguments bind depends only on its target, its number of positional arguments and
        # its keyword names: each such shape of call is checked once per graph (the error, when there is one,
        # comes from the full check on the first node with that shape).  The graph's nodes keep their targets
        # alive, so a target's id names it for the whole walk.
        binds = set()
        for n in graph.nodes:
            if not isinstance(n.name, str) or not n.name.isidentifier():
                raise SpecViolationError(f"node name {n.name!r} is not a Python identifier (rule: names)")
            if n.name in seen:
                raise SpecViolationError(f"node name '{n.name}' is used twice (rule: unique names)")
            for inp in n._inputs:      # all_input_nodes without the list it builds
                if inp not in seen or inp.graph is not graph:
                    raise SpecViolationError(
                        f"node '{n.name}' reads '{inp.name}' before it is defined (rule: topological order)")
            seen.add(n)
            seen.add(n.name)
            if n.op == "call_function":
                if not allowed(n.target):
                    raise SpecViolationError(f"node '{n.name}' calls {n.target!r}, which is not a registered op, "
                                             "operator.getitem or a symbolic-int operator (rule: call targets)")
                shape = (id(n.target), len(n._args), tuple(n._kwargs))
                if shape not in binds:
                    _check_call_arguments(n)
                    binds.add(shape)
        if not graph.nodes or graph.nodes[-1].op != "output":
            raise SpecViolationError("the graph does not end with an output node (rule: output)")

    def check_range_constraints(self, ep):
        """Each symbol's range is [lower, upper] with lower <= upper."""
        for sym, vr in (getattr(ep, "range_constraints", None) or {}).items():
            lower, upper = getattr(vr, "lower", None), getattr(vr, "upper", None)
            try:
                empty = bool(lower > upper)
            except TypeError:
                empty = True
            if empty:
                raise SpecViolationError(f"symbol {sym} has the range [{lower}, {upper}], which holds no value "
                                         "(rule: ranges are not empty)")

    def check_placeholders(self, ep):
        """Placeholders match input_specs in number and order, lifted state before user inputs."""
        placeholders = [n for n in ep.graph.nodes if n.op == "placeholder"]
        specs = ep.graph_signature.input_specs
        if len(placeholders) != len(specs):
            raise SpecViolationError(f"the graph has {len(placeholders)} placeholders but the signature lists "
                                     f"{len(specs)} inputs (rule: placeholders match input_specs)")
        user_seen = False
        for node, spec in zip(placeholders, specs):
            if getattr(spec.arg, "name", node.name) != node.name:
                raise SpecViolationError(f"placeholder '{node.name}' is listed as '{spec.arg.name}' in the "
                                         "signature (rule: placeholders match input_specs)")
            if spec.kind == InputKind.USER_INPUT:
                user_seen = True
            elif user_seen:
                raise SpecViolationError(f"lifted input '{node.name}' comes after a user input "
                                         "(rule: lifted state before user inputs)")


    def check_outputs(self, ep):
        """The output node returns exactly what output_specs list, in order."""
        _check_output_values(ep.graph.nodes[-1], ep.graph_signature.output_specs)

    def check_lifted_state(self, ep):
        """Lifted parameters, buffers and constants exist, with the placeholder's shape and dtype."""
        # one walk over the nodes collects both what the specs are checked against and the get_attr nodes
        # checked after them
        placeholders, get_attrs = {}, []
        for n in ep.graph.nodes:
            if n.op == "placeholder":
                placeholders[n.name] = n
            elif n.op == "get_attr":
                get_attrs.append(n)
        for spec in ep.graph_signature.input_specs:
            if spec.kind not in (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR):
                continue
            if not isinstance(spec.target, str) or "" in spec.target.split("."):
                raise SpecViolationError(f"placeholder '{spec.arg.name}' lifts {spec.kind.name} {spec.target!r}, "
                                         "which is not a dotted path of non-empty names (rule: lifted state "
                                         "targets)")
            persistent = spec.kind == InputKind.PARAMETER or (spec.kind == InputKind.BUFFER and spec.persistent)
            store = ep.state_dict if persistent else ep.constants
            if spec.target not in store:
                where = "state_dict" if persistent else "constants"
                raise SpecViolationError(f"placeholder '{spec.arg.name}' lifts {spec.kind.name} '{spec.target}', "
                                         f"which is missing from the program's {where} (rule: lifted state exists)")
            value, val = store[spec.target], placeholders[spec.arg.name].meta.get("val")
            if val is not None and (value.shape != val.shape or value.dtype is not val.dtype):
                raise SpecViolationError(
                    f"placeholder '{spec.arg.name}' is {val.dtype.name}{list(val.shape)} but {spec.kind.name} "
                    f"'{spec.target}' is {value.dtype.name}{list(value.shape)} (rule: lifted state matches)")
        params = set(ep.graph_signature.parameters) if get_attrs else ()
        for n in get_attrs:
            if n.target in params:
                raise SpecViolationError(f"node '{n.name}' reads parameter '{n.target}' with get_attr; lifted "
                                         "parameters must be placeholders (rule: no get_attr of parameters)")

    def check_meta(self, graph):
        """Re-running each op's meta function on its inputs' values reproduces the node's value."""
        for n in graph.nodes:
            if n.op != "call_function" or target_kind(n.target) != "op" or n.target.meta is None:
                continue
            _check_node_meta(n, n.target.meta)

    def check_dialect(self, graph, preserved):
        """ATEN: no op that mutates; no op the default table decomposes unless the caller kept it."""
        for n in graph.nodes:
            if n.op != "call_function" or target_kind(n.target) != "op":
                continue
            self._check_node_dialect(n, preserved)

    def _check_node_dialect(self, n, preserved):
        """check_dialect's rule for one op node (it depends on the node's target only)."""
        if n.target.is_mutating:
            raise SpecViolationError(f"node '{n.name}' calls {n.target}, which mutates an input; the ATEN "
                                     "dialect is functional (rule: no mutating ops)")
        # torch keeps an op its default table leaves alone (masked_select, max.default, ...); one the table
        # decomposes may only remain when the caller kept it out of the table.
        op = n.target
        if decomposes_by_default(op) and op not in preserved:
            raise SpecViolationError(f"node '{n.name}' calls {op}, an ATen op with a default decomposition "
                                     "that was not applied (rule: ops the default decomposition table "
                                     "keeps, or ops kept on purpose)")


class TrainingIRVerifier(Verifier):
    """Rules for export()'s TRAINING dialect: mutation and non-core ops are allowed."""

    dialect = "TRAINING"

    def check_dialect(self, graph, preserved):
        """Any registered op is allowed."""

    def _check_node_dialect(self, n, preserved):
        """Any registered op is allowed."""


def _is_allowed_target(target):
    """A Python operator, a higher-order op, or an op that is the registry's own record of its name."""
    kind = target_kind(target)
    if kind != "op":
        return kind in ("operator", "higher_order")
    try:
        return lookup(target.name()) is target
    except KeyError:
        return False


class _AllowedTargets:
    """`_is_allowed_target`, asked once per distinct target of a graph (a graph calls a few ops many times)."""

    def __init__(self):
        self.known = {}     # id(target) -> (target, allowed); the target is kept so its id stays its own

    def __call__(self, target):
        hit = self.known.get(id(target))
        if hit is None:
            hit = self.known[id(target)] = (target, _is_allowed_target(target))
        return hit[1]


def verifier_for(dialect):
    """The verifier instance for a dialect name."""
    return {"TRAINING": TrainingIRVerifier, "ATEN": Verifier}[dialect]()


# -- the fused walk --------------------------------------------------------------------------------
# The verifier classes whose rules _check_fused knows (a subclass may override any rule).
_FUSED = frozenset({Verifier, TrainingIRVerifier})
# Tuples, not sets, of enum members: `in` on a tuple compares by identity first, an enum member's hash
# is a Python-level call; and a module constant spares the enum's slow class-attribute lookup.
_LIFTED = (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR)
_USER_INPUT, _PARAMETER, _BUFFER = InputKind.USER_INPUT, InputKind.PARAMETER, InputKind.BUFFER
_NO_NAME = object()      # an input spec's argument without a name
_TENSOR_SHAPE, _TENSOR_DTYPE = Tensor.shape, Tensor.dtype


class _Recheck(SpecViolationError):
    """The fused walk met a violation of the named rule; `Verifier.check` runs the rules in order, which
    report it (or an earlier one) with its own message.  Seen by a caller only if the two disagree."""

    def __init__(self, rule):
        super().__init__(f"the verifier's fused walk finds a violation of the rule '{rule}' that the ordered "
                         "rules do not report (a verifier bug)")


def _check_fused(verifier, ep):
    """Every rule of `Verifier.check_in_order`, in one walk over the nodes (see `Verifier.check`).

    Raises on a violation, not necessarily the one the ordered rules meet
    first.  Each node gets what each rule asks of that node; what a rule
    decides from a call target alone (allowed or not, dialect, the meta
    function to run) is decided once per distinct target of the walk.
    """
    # A program may make its GraphModule on first read (exported_program._PlainRoot); the walk reads the graph
    # alone, and the module only at a get_attr or higher-order node (`gm()`).
    graph = getattr(ep, "_pending_graph", None)
    if graph is None:
        graph = ep.graph_module.graph

    def gm():
        return ep.graph_module

    specs = ep.graph_signature.input_specs
    n_specs = len(specs)
    state_dict, constants, preserved = ep.state_dict, ep.constants, ep.preserved_ops
    verifier.check_range_constraints(ep)
    seen = set()          # nodes and names so far (check_graph_structure's)
    seen_add = seen.add
    # id(target) -> [target, meta function or None, higher-order?, call shapes known to bind (shared across
    # runs, see _BINDS)]: the list holds the target, so its id names it for the whole walk
    targets = {}
    plain = set()         # classes whose shape and dtype are Tensor's own (see _plain_tensor_class)
    n_placeholders, user_seen, get_attrs = 0, False, []
    n = None
    for n in graph.nodes:
        # check_graph_structure: names, topological order
        name = n.name
        if (name.__class__ is not str and not isinstance(name, str)) or not name.isidentifier() or name in seen:
            raise _Recheck("names")
        for inp in n._inputs:
            if inp not in seen or inp.graph is not graph:
                raise _Recheck("topological order")
        seen_add(n)
        seen_add(name)
        op = n.op
        if op == "call_function":
            target = n.target
            facts = targets.get(id(target))
            if facts is None:
                facts = targets[id(target)] = _target_facts(verifier, n, preserved)
            # check_graph_structure's binding check, once per shape of call (its key without the target)
            shape = (len(n._args), tuple(n._kwargs)) if n._kwargs else len(n._args)
            binds = facts[3]
            if shape not in binds:
                _check_call_arguments(n)
                binds.add(shape)
            if facts[1] is not None:
                _check_node_meta(n, facts[1])
            elif facts[2]:           # check_subgraphs: a higher-order op's arguments and loop subgraphs
                _check_higher_order_args(n)
                _check_loop(gm(), n)
        elif op == "placeholder":
            # check_placeholders: the next input spec names this node; lifted state before user inputs
            if n_placeholders == n_specs:
                raise _Recheck("placeholders match input_specs")
            spec = specs[n_placeholders]
            n_placeholders += 1
            arg_name = getattr(spec.arg, "name", _NO_NAME)
            if arg_name is not _NO_NAME and arg_name != name:
                raise _Recheck("placeholders match input_specs")
            # the kind's tests as check_placeholders and check_lifted_state make them (an enum member is
            # equal only to itself, so a parameter, the common kind, is known by identity)
            kind = spec.kind
            if kind is _PARAMETER:
                if user_seen:
                    raise _Recheck("lifted state before user inputs")
                store = state_dict
            else:
                if kind == _USER_INPUT:
                    user_seen = True
                elif user_seen:
                    raise _Recheck("lifted state before user inputs")
                store = None if kind not in _LIFTED else state_dict if kind == _PARAMETER or \
                    (kind == _BUFFER and spec.persistent) else constants
            if store is not None:
                # check_lifted_state on this spec: it finds the placeholder by the spec's name, which with
                # names unique and equal to the specs' (checked above) is this node
                if arg_name is _NO_NAME:
                    raise _Recheck("lifted state targets")
                target = spec.target
                if not isinstance(target, str) or "" in target.split("."):
                    raise _Recheck("lifted state targets")
                if target not in store:
                    raise _Recheck("lifted state exists")
                value, val = store[target], n.meta.get("val")
                if val is None:
                    pass
                elif (type(value) in plain or _plain_tensor_class(type(value), plain)) and \
                        (type(val) in plain or _plain_tensor_class(type(val), plain)):
                    # `value.shape != val.shape or value.dtype is not val.dtype` with Tensor.shape and
                    # Tensor.dtype inlined (Tensor.shape wraps a real tensor's sizes in a new Size, which as
                    # a tuple equals them)
                    d, e = value._data, val._data
                    if (d.shape if d is not None else value._fake_shape) != \
                            (e.shape if e is not None else val._fake_shape) or value._dtype is not val._dtype:
                        raise _Recheck("lifted state matches")
                elif value.shape != val.shape or value.dtype is not val.dtype:
                    raise _Recheck("lifted state matches")
        elif op == "get_attr":
            # check_subgraphs on get_attr nodes; check_lifted_state's get_attr rule after the walk
            get_attrs.append(n)
            _check_attribute_name(gm(), n)
            if not hasattr(gm(), n.target.split(".")[0]):
                raise _Recheck("get_attr targets exist")
    # n is the walk's last node, which is graph.nodes[-1] (both skip erased nodes) when the graph has nodes
    if not graph.nodes or n is None or n.op != "output":
        raise _Recheck("output")
    if n_placeholders != n_specs:
        raise _Recheck("placeholders match input_specs")
    _check_output_values(n, ep.graph_signature.output_specs)
    if get_attrs:
        params = set(ep.graph_signature.parameters)
        if any(n.target in params for n in get_attrs):
            raise _Recheck("no get_attr of parameters")
        verifier._check_subgraph_modules(gm(), preserved)
    # else: subgraph_modules() looks only at get_attr nodes, so there is no subgraph to check


def _plain_tensor_class(cls, plain):
    """Whether cls is a Tensor class whose `shape` and `dtype` are Tensor's (then they read `_data`,
    `_fake_shape` and `_dtype` as Tensor's do); such a class is added to the set `plain`."""
    if issubclass(cls, Tensor) and cls.shape is _TENSOR_SHAPE and cls.dtype is _TENSOR_DTYPE:
        plain.add(cls)
        return True
    return False


def _target_facts(verifier, node, preserved):
    """What the fused walk keeps for node's target: [target, its meta function when check_meta runs one,
    whether it is a higher-order op, the call shapes known to bind (see _BINDS)].  Raises when the target is
    not allowed, or (for an op) when it breaks the verifier's dialect -- rules that read the target alone."""
    target = node.target
    if not _is_allowed_target(target):
        raise _Recheck("call targets")
    kind = target_kind(target)
    if kind == "op":
        verifier._check_node_dialect(node, preserved)
        return [target, target.meta, False, _binding_shapes(target._schema)]
    return [target, None, kind == "higher_order", _binding_shapes(target)]


# id(key) -> (key, the call shapes found to bind), across every verifier run.  Whether a call binds is a
# pure function of its shape (number of positional arguments, keyword names) and of the key, which is
# never changed once made: for an op the key is its parsed schema (`_check_call_arguments` reads only
# `_schema.arguments`, each argument's name, kwarg_only and has_default, all fixed at parsing; an op
# parses its schema text once and keeps that object, and a re-registered op is a new op with a new schema
# object, hence a new key); for a Python operator or a higher-order op the key is the target itself, whose
# verdict reads only the constant `_OPERATOR_ARITY` (nothing for a higher-order op).  A shape is added only
# after it was checked to bind, so the set never holds a failing shape.  The entry keeps its key alive, so
# the id names that key for as long as the entry exists.
_BINDS = {}


def _binding_shapes(key):
    """The set of call shapes known to bind for `key` (see _BINDS); the fused walk adds to it."""
    hit = _BINDS.get(id(key))
    if hit is None:
        hit = _BINDS[id(key)] = (key, set())
    return hit[1]


def _check_node_meta(n, meta):
    """check_meta's rule for one op node: `meta` (the target's meta function), run on the values the
    node's inputs record, reproduces the value the node records."""
    expected = n.meta.get("val")
    # `static`: the shape of a plain Tensor whose sizes are all ints (most nodes), else None.  Such a value
    # is compared with the re-derived one by dtype and shape directly: a shape of ints holds no symbol, so
    # `==` on it is exact and says what `_structure` would.
    static = None
    if type(expected) is Tensor:
        static = expected._fake_shape if expected._data is None else expected.shape
        for size in static:
            if size.__class__ is not int:
                static = None
                break
    if static is None and _data_dependent(expected):
        return        # a size only the run knows (a mask's count): nothing to re-derive it from
    # the inputs' values in place of the nodes (a loop: a list comprehension costs a function call)
    args = []
    for a in n._args:
        t = type(a)
        args.append(a.meta.get("val") if t is Node else _values(a, t) if t in _CONTAINERS else a)
    kwargs = map_arg(n._kwargs, _val) if n._kwargs else None
    try:
        got = meta(*args) if kwargs is None else meta(*args, **kwargs)
    except Exception as e:   # a meta function refusing the inputs is itself the violation
        raise SpecViolationError(f"node '{n.name}': {n.target} refuses its inputs: {e} "
                                 "(rule: meta functions reproduce node values)") from None
    if static is not None and got.__class__ is Tensor and got._dtype is expected._dtype:
        # the common case: got is static too and equal, as _structure would find them, without building
        # both; got's sizes are compared only once known to be ints (a symbolic size's == guards)
        shape = got._fake_shape if got._data is None else got.shape
        for size in shape:
            if size.__class__ is not int:
                break
        else:
            if shape == static:
                return
    if _structure(got) != _structure(expected) and _describe(got) != _describe(expected) \
            and not _same_values(_structure(got), _structure(expected)):
        raise SpecViolationError(f"node '{n.name}': {n.target} gives {_describe(got)} but the node records "
                                 f"{_describe(expected)} (rule: meta functions reproduce node values)")


def _check_higher_order_args(node):
    """A cond/map node's arguments match its kinds: subgraphs are get_attr nodes, operand lists are lists."""
    kinds = node.target.arg_kinds
    problem = None
    if kinds and kinds[-1] == "*values":        # any number of values after the fixed arguments
        kinds = kinds[:-1] + ("value",) * (len(node.args) - len(kinds) + 1)
    if len(node.args) != len(kinds) or (node.kwargs and not node.target.takes_kwargs):
        problem = f"takes {len(kinds)} positional arguments" + (", no keywords" if node.kwargs else
                                                                 f", got {len(node.args)}")
    else:
        for i, (kind, arg) in enumerate(zip(kinds, node.args)):
            if kind == "subgraph" and not (isinstance(arg, Node) and arg.op == "get_attr"):
                problem = f"argument {i} must be a get_attr of a subgraph"
            elif kind == "tensors" and not isinstance(arg, (list, tuple)):
                problem = f"argument {i} must be a list of operands"
            elif kind == "operator" and not (target_kind(arg) == "op" and _is_allowed_target(arg)):
                problem = f"argument {i} must be a registered op"
    if problem:
        raise SpecViolationError(f"node '{node.name}': {node.target.qualified_name} {problem} "
                                 "(rule: higher-order op arguments)")


def _check_loop(gm, node):
    """A while_loop / scan node's subgraphs fit its operands: one placeholder per operand, a cond graph
    returning one bool scalar (a 0-dim bool tensor or a SymBool), and carried outputs with the carried
    values' shapes and dtypes."""
    name = node.target.name()
    if name not in ("while_loop", "scan"):
        return
    if name == "while_loop":
        cond, body, carried, extra = node.args
        graphs, n_inputs, carry = (cond, body), len(carried) + len(extra), carried
    else:
        body, carry, xs, extra = node.args
        graphs, n_inputs = (body,), len(carry) + len(xs) + len(extra)
    problem = None
    for attr in graphs:
        sub = getattr(gm, attr.target, None)
        if sub is None:
            return                 # reported by the get_attr rule
        placeholders = [p for p in sub.graph.nodes if p.op == "placeholder"]
        if len(placeholders) != n_inputs:
            problem = f"subgraph '{attr.target}' takes {len(placeholders)} inputs for {n_inputs} operands"
    if problem is None and name == "while_loop":
        out = getattr(gm, cond.target).graph.nodes[-1].args[0]
        val = out.meta.get("val") if isinstance(out, Node) else None
        # a SymBool (`i < 10` over an int carried as an unbacked SymInt) is a scalar bool too
        if not (isinstance(val, Tensor) and val.dtype.name == "bool" and tuple(val.shape) == ()
                or type(val).__name__ == "SymBool"):
            problem = f"cond graph '{cond.target}' must return one 0-dim bool tensor or SymBool"
    if problem is None:
        outs = getattr(gm, body.target).graph.nodes[-1].args[0]
        for i, (o, c) in enumerate(zip(outs, carry)):
            a, b = (getattr(v, "meta", {}).get("val") for v in (o, c))
            if isinstance(a, Tensor) and isinstance(b, Tensor) and \
                    (a.dtype is not b.dtype or [str(s) for s in a.shape] != [str(s) for s in b.shape]):
                problem = f"carried value {i} changes from {b.dtype.name}{list(b.shape)} to " \
                          f"{a.dtype.name}{list(a.shape)} in '{body.target}'"
                break
    if problem:
        raise SpecViolationError(f"node '{node.name}': {node.target.qualified_name}: {problem} "
                                 "(rule: loop subgraphs fit their operands)")


def _check_output_values(node, specs):
    """check_outputs on the graph's last node `node` and the signature's output specs."""
    out = node.args[0]
    if len(out) != len(specs):
        raise SpecViolationError(f"the output node returns {len(out)} values but the signature lists "
                                 f"{len(specs)} outputs (rule: outputs match output_specs)")
    for value, spec in zip(out, specs):
        if isinstance(spec.arg, ConstantArgument):
            if isinstance(value, Node) or not _same_constant(value, spec.arg.value):
                raise SpecViolationError(f"output {value!r} should be the constant {spec.arg.value!r} "
                                         "(rule: outputs match output_specs)")
        elif not isinstance(value, Node) or value.name != spec.arg.name:
            raise SpecViolationError(f"output {getattr(value, 'name', value)!r} is listed as '{spec.arg.name}' "
                                     "in the signature (rule: outputs match output_specs)")


def _data_dependent(val):
    """val has a size only the run knows (an unbacked symbol)."""
    if isinstance(val, (list, tuple)):
        return any(_data_dependent(v) for v in val)
    shape = getattr(val, "shape", ())
    if set(map(type, shape)) <= _INT:
        return False
    for size in shape:
        if is_symbolic(size) and size.expr.free_symbols & size.env.unbacked:
            return True
    return False


def _values(value, t):
    """map_arg(value, _val) for an argument of type t (a container): a list or tuple of plain values (sizes,
    dims) is copied as map_arg would rebuild it, without a call per element."""
    if t is list or t is tuple:
        for v in value:
            if type(v) is Node or type(v) in _CONTAINERS:
                break
        else:
            return t(value)
    return map_arg(value, _val)


def _val(node):
    """The value a node records."""
    return node.meta.get("val")


_INT = {int}
_CONTAINERS = (list, tuple, dict, slice)


def _structure(val):
    """What check_meta compares, as values: (dtype, sizes) of a tensor, with a symbolic size as its
    expression; nested tuples for a list; the type otherwise.

    Formatting every node's value as text (`_describe`) is most of what the
    check used to cost, so it is kept for the error message and for the rare
    mismatch of structures (whose text, the old criterion, decides).
    """
    if isinstance(val, Tensor):
        shape = val.shape
        if set(map(type, shape)) <= _INT:      # static sizes (most programs): the shape itself
            return val.dtype, shape
        return val.dtype, tuple(s.expr if is_symbolic(s) else s for s in shape)
    if isinstance(val, (list, tuple)):
        return tuple(_structure(v) for v in val)
    return type(val)


# Sizes at which two differently written size expressions are compared: small (where rounding
# differs most), around powers of two, and a large odd one.
_SAMPLE_SIZES = (2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 64, 1001)
_MAX_SAMPLED_SYMBOLS = 2


def _same_values(a, b):
    """True when structures a and b differ only in how sizes are written: `floor(s/2 + 1/2)` (torch's
    FloorDiv(s + 1, 2)) against `-floor(-s/2)`.  Integer identities like that one are beyond sympy's
    simplifier, so each differing pair is compared at every combination of _SAMPLE_SIZES for its (at
    most two) symbols: a real difference of rounding shows within those."""
    if type(a) is not tuple or type(b) is not tuple or len(a) != len(b):
        return False
    if len(a) == 2 and not isinstance(a[0], tuple) and not isinstance(b[0], tuple):
        if a[0] is not b[0] or type(a[1]) is not tuple or type(b[1]) is not tuple or len(a[1]) != len(b[1]):
            return False                            # a different dtype or rank is a real difference
        return all(_same_size(x, y) for x, y in zip(a[1], b[1]))
    return all(_same_values(x, y) for x, y in zip(a, b))


def _same_size(x, y):
    import sympy
    if x == y:
        return True
    diff = sympy.sympify(x) - sympy.sympify(y)
    symbols = sorted(diff.free_symbols, key=str)
    if not symbols or len(symbols) > _MAX_SAMPLED_SYMBOLS:
        return diff == 0
    for values in itertools.product(_SAMPLE_SIZES, repeat=len(symbols)):
        if diff.xreplace(dict(zip(symbols, values))) != 0:
            return False
    return True


def _describe(val):
    if isinstance(val, Tensor):
        return f"{val.dtype.name}{list(val.shape)}"
    if isinstance(val, (list, tuple)):
        return "(" + ", ".join(_describe(v) for v in val) + ")"
    return type(val).__name__


# -- call arguments ----------------------------------------------------------------------------
# Python operators a graph may call, by their number of positional arguments (they take no keywords).
_OPERATOR_ARITY = {operator.getitem: 2, operator.neg: 1, operator.not_: 1}
_BINARY = (operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod, operator.truediv,
           operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge, operator.pow,
           operator.and_, operator.or_, sym_max, sym_min)
_OPERATOR_ARITY.update(dict.fromkeys(_BINARY, 2))
_OPERATOR_ARITY.update(dict.fromkeys(MATH_FUNCTIONS | {sym_float}, 1))


def _check_call_arguments(node):
    """An operator gets its arity and no keywords; an op's arguments bind to its schema (each once)."""
    kind = target_kind(node.target)
    if kind == "operator":
        arity = _OPERATOR_ARITY.get(node.target)
        if arity is None or len(node.args) != arity or node.kwargs:
            name = getattr(node.target, "__name__", node.target)
            expected = "is not an operator a graph may call" if arity is None else f"takes {arity} arguments"
            raise SpecViolationError(f"node '{node.name}': operator.{name} {expected}, got {len(node.args)} "
                                     f"positional and {len(node.kwargs)} keyword arguments (rule: operator calls)")
    elif kind == "op":
        problem = _binding_problem(node.target._schema.arguments, node.args, node.kwargs)
        if problem:
            raise SpecViolationError(f"node '{node.name}': {node.target}: {problem} (rule: arguments bind to the "
                                     "schema)")


def _binding_problem(arguments, args, kwargs):
    """Why args/kwargs do not bind to the schema's arguments, or None."""
    positional = [a for a in arguments if not a.kwarg_only]
    if len(args) > len(positional):
        return f"{len(args)} positional arguments for {len(positional)}"
    names = {a.name for a in arguments}
    for key in kwargs:
        if key not in names:
            return f"no argument named '{key}'"
    for a in positional[:len(args)]:
        if a.name in kwargs:
            return f"argument '{a.name}' given twice (by position and by name)"
    bound = {a.name for a in positional[:len(args)]}
    for a in arguments:
        if a.name not in bound and not a.has_default and a.name not in kwargs:
            return f"argument '{a.name}' missing"
    return None


def _same_constant(a, b):
    """a == b, with NaN equal to NaN (a forward may return float('nan'))."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _check_attribute_name(gm, node):
    """A get_attr target is a dotted path of identifiers that are not the GraphModule's own attributes."""
    parts = node.target.split(".") if isinstance(node.target, str) else [""]
    if "" in parts:
        raise SpecViolationError(f"node '{node.name}' reads attribute {node.target!r}, which is not a dotted "
                                 "path of non-empty names (rule: attribute names)")
    # the module's methods, properties and own bookkeeping (forward, graph, code, _modules, ...)
    if hasattr(type(gm), parts[0]) or parts[0] in vars(gm):
        raise SpecViolationError(f"node '{node.name}' reads attribute '{node.target}', a name the program module "
                                 f"itself uses ('{parts[0]}'); a subgraph or constant may not take it (rule: "
                                 "attribute names)")
