"""The verifier: checks an ExportedProgram's IR invariants and names what is broken.

Each rule is one method; a violation raises `SpecViolationError` naming the
node and the rule.  Dialects: TRAINING (export()'s output) and ATEN.
"""
import operator

from .graph_signature import InputKind

__all__ = ["SpecViolationError", "Verifier", "TrainingIRVerifier", "verifier_for"]


class SpecViolationError(Exception):
    """An exported program breaks an IR invariant."""


class Verifier:
    """Structural rules shared by every dialect."""

    dialect = "ATEN"

    def check(self, ep):
        """Run every rule on ep; raise SpecViolationError on the first violation."""
        self.check_graph_structure(ep.graph)
        self.check_placeholders(ep)

    def check_graph_structure(self, graph):
        """Names unique identifiers; nodes in topological order; one output node, last."""
        seen = set()
        for n in graph.nodes:
            if not isinstance(n.name, str) or not n.name.isidentifier():
                raise SpecViolationError(f"node name {n.name!r} is not a Python identifier (rule: names)")
            if n.name in seen:
                raise SpecViolationError(f"node name '{n.name}' is used twice (rule: unique names)")
            for inp in n.all_input_nodes:
                if inp not in seen or inp.graph is not graph:
                    raise SpecViolationError(
                        f"node '{n.name}' reads '{inp.name}' before it is defined (rule: topological order)")
            seen.add(n)
            seen.add(n.name)
            if n.op == "call_function" and not _is_allowed_target(n.target):
                raise SpecViolationError(f"node '{n.name}' calls {n.target!r}, which is not a registered op, "
                                         "operator.getitem or a symbolic-int operator (rule: call targets)")
        if not graph.nodes or graph.nodes[-1].op != "output":
            raise SpecViolationError("the graph does not end with an output node (rule: output)")

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


class TrainingIRVerifier(Verifier):
    """Rules for export()'s TRAINING dialect."""

    dialect = "TRAINING"


_SYM_OPERATORS = {operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod, operator.truediv,
                  operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge, operator.neg,
                  operator.pow, operator.and_, operator.or_, operator.not_, operator.getitem}


def _is_allowed_target(target):
    if target in _SYM_OPERATORS:
        return True
    if getattr(target, "namespace", None) is not None and hasattr(target, "kernel"):
        from ..ops import lookup
        try:
            return lookup(target.name()) is target
        except KeyError:
            return False
    return getattr(target, "_is_higher_order_op", False) or getattr(target, "_is_sym_function", False)


def verifier_for(dialect):
    """The verifier instance for a dialect name."""
    return {"TRAINING": TrainingIRVerifier, "ATEN": Verifier}[dialect]()

