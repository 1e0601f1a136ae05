"""The verifier: one test per rule, each building a valid program, breaking exactly one thing,
and checking that the verifier names that rule."""
import numpy as np
import pytest

import minexport as me
from minexport.export import SpecViolationError, export
from minexport.ops import aten
from test_export import ME_CASES, export_case


def _program():
    model, args, kwargs = export_case(ME_CASES, "mutations")
    return export(model, args, kwargs)


def _break(mutate):
    ep = _program()
    mutate(ep)
    with pytest.raises(SpecViolationError) as e:
        ep.validate()
    return str(e.value)


def _node(ep, name):
    return next(n for n in ep.graph.nodes if n.name == name)


def test_rule_topological_order():
    def m(ep):
        nodes = ep.graph.nodes
        i, j = nodes.index(_node(ep, "linear")), nodes.index(_node(ep, "add"))
        nodes[i], nodes[j] = nodes[j], nodes[i]
    assert "rule: topological order" in _break(m)


def test_rule_unique_names():
    def m(ep):
        _node(ep, "add").name = "linear"
    assert "'linear' is used twice" in _break(m)


def test_rule_identifier_names():
    def m(ep):
        _node(ep, "add").name = "not a name"
    assert "not a Python identifier" in _break(m)


def test_rule_call_targets():
    def m(ep):
        _node(ep, "add").target = np.add
    assert "node 'add' calls" in _break(m) and "rule: call targets" in _break(m)


def test_rule_meta_reproduces_values():
    def m(ep):
        _node(ep, "linear").meta["val"] = me.zeros(9, 9)
    msg = _break(m)
    assert "node 'linear'" in msg and "rule: meta functions reproduce node values" in msg


def test_rule_placeholders_match_specs():
    def m(ep):
        ep.graph_signature.input_specs.pop()
    assert "rule: placeholders match input_specs" in _break(m)


def test_rule_lifted_state_before_user_inputs():
    def m(ep):
        specs = ep.graph_signature.input_specs
        nodes = ep.graph.nodes
        specs[0], specs[-1] = specs[-1], specs[0]
        nodes[0], nodes[4] = nodes[4], nodes[0]
    assert "rule: lifted state before user inputs" in _break(m)


def test_rule_outputs_match_specs():
    def m(ep):
        ep.graph_signature.output_specs[0].arg.name = "linear"
    assert "rule: outputs match output_specs" in _break(m)


def test_rule_lifted_state_exists():
    def m(ep):
        del ep.state_dict["lin.bias"]
    msg = _break(m)
    assert "'lin.bias'" in msg and "rule: lifted state exists" in msg


def test_rule_lifted_state_matches():
    def m(ep):
        ep.state_dict["lin.bias"] = me.zeros(7)
    assert "rule: lifted state matches" in _break(m)


def test_rule_no_get_attr_of_parameters():
    def m(ep):
        g = ep.graph
        node = g.create_node("get_attr", "lin.weight", name="lin_weight")
        g.nodes.remove(node)
        g.nodes.insert(len(g.nodes) - 1, node)
    assert "rule: no get_attr of parameters" in _break(m)


def test_rule_aten_dialect_is_functional_and_core():
    core = _program().run_decompositions()
    core.graph.nodes[-2].target = aten.add_.Tensor
    with pytest.raises(SpecViolationError, match="rule: no mutating ops"):
        core.validate()
    core = _program().run_decompositions()
    node = next(n for n in core.graph.nodes if n.target is aten.addmm.default)
    node.target = aten.linear.default
    node.args = (node.args[1], node.args[0], node.args[2])
    with pytest.raises(SpecViolationError, match="ops without a decomposition|rule: meta functions"):
        core.validate()
