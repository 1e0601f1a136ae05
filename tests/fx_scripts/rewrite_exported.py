"""Rewrite an exported program's graph with torch.fx: replace an op, fuse two ops, insert a node, delete dead
code; each edit is checked by running ep.module() (or the recompiled module) against the expected values.
Prints only semantic facts, so torch and minexport print the same."""
import operator

import torch

aten = torch.ops.aten


class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 3)
        with torch.no_grad():
            self.lin.weight.copy_(torch.arange(12.0).reshape(3, 4) / 10 - 0.5)
            self.lin.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))

    def forward(self, x, y):
        h = self.lin(x).relu()
        return h * y + 1.0


def ops(graph):
    return [str(n.target) for n in graph.nodes if n.op == "call_function"]


def show(label, t):
    print(label, [round(v, 4) for v in t.flatten().tolist()])


x = torch.arange(8.0).reshape(2, 4) / 8 - 0.25
y = torch.arange(6.0).reshape(2, 3) / 6
model = M()
ep = torch.export.export(model, (x, y))
print("ops", ops(ep.graph))
show("eager", model(x, y))

# 1. replace an op: relu -> sigmoid, edited on ep.graph; ep.module() sees it
for node in ep.graph.nodes:
    if node.op == "call_function" and node.target == aten.relu.default:
        node.target = aten.sigmoid.default
ep.graph_module.recompile()
print("replaced", ops(ep.graph))
m = ep.module()
print("module is GraphModule", isinstance(m, torch.fx.GraphModule))
show("after replace", m(x, y))
show("expected", torch.sigmoid(model.lin(x)) * y + 1.0)

# 2. fuse mul + add(scalar) into one addcmul on the module's own graph
m = ep.module()
g = m.graph
mul = next(n for n in g.nodes if n.op == "call_function" and n.target == aten.mul.Tensor)
add = next(iter(mul.users))
print("fusing", str(mul.target), str(add.target), add.args[1])
with g.inserting_before(add):
    ones = g.call_function(aten.full_like.default, (mul.args[0], add.args[1]))
    fused = g.call_function(aten.addcmul.default, (ones, mul.args[0], mul.args[1]))
add.replace_all_uses_with(fused)
g.erase_node(add)
g.erase_node(mul)
g.lint()
m.recompile()
print("fused", ops(g))
show("after fuse", m(x, y))

# 3. insert a node: negate the input before everything else
m = ep.module()
g = m.graph
xnode = next(n for n in g.nodes if n.op == "placeholder" and n.name == "x")
with g.inserting_after(xnode):
    neg = g.call_function(aten.neg.default, (xnode,))
xnode.replace_all_uses_with(neg, delete_user_cb=lambda user: user is not neg)
print("neg reads", [a.name for a in neg.all_input_nodes], "users of x", [u is neg for u in xnode.users])
m.recompile()
print("order", [n.op for n in g.nodes if n.op != "get_attr"][:3], next(iter(xnode.users)).next.name)
show("after insert", m(x, y))
show("expected", torch.sigmoid(model.lin(-x)) * y + 1.0)

# 4. dead code: an unused node goes, an in-place op and the inputs stay
m = ep.module()
g = m.graph
out = g.output_node()
with g.inserting_before(out):
    dead = g.call_function(aten.cos.default, (xnode_ := next(n for n in g.nodes if n.op == "placeholder"),))
    dead2 = g.call_function(aten.mul.Tensor, (dead, 2.0))
    kept = g.call_function(aten.add_.Tensor, (g.call_function(aten.clone.default, (xnode_,)), 1.0))
before = len(g.nodes)
print("dce changed", g.eliminate_dead_code(), "removed", before - len(g.nodes))
print("kept add_", any(n.target == aten.add_.Tensor for n in g.nodes), "cos gone",
      not any(n.target == aten.cos.default for n in g.nodes))
print("dce again", g.eliminate_dead_code())
try:
    g.erase_node(next(n for n in g.nodes if n.op == "placeholder"))
except RuntimeError as e:
    print("erase refused", "still had" in str(e))
m.recompile()
show("after dce", m(x, y))

# 5. getitem, find_nodes, node_copy and graph_copy
print("find linear", [n.name for n in g.find_nodes(op="call_function", target=aten.linear.default)])
g2 = torch.fx.Graph()
env = {}
outv = g2.graph_copy(g, env)
g2.output(outv)
print("copied", len(g2.nodes) == len(g.nodes), [n.op for n in g2.nodes][:4])
print("getitem", operator.getitem.__name__)
