"""while_loop, scan and associative_scan: loops kept in the exported program.

`while_loop` iterates a body while a condition on tensors holds; the count
comes from an input, so the program loops at run time (one
`torch.ops.higher_order.while_loop` node whose cond and body are subgraphs;
the Linear's weights the body closes over become additional inputs).  `scan`
folds a step over a dimension, stacking each step's output
(`torch.ops.higher_order.scan`).  `associative_scan` is recorded as torch
lowers it: slices, adds and cats.  The program is decomposed, saved, loaded
and run again.
"""
import io

import minexport as torch
from minexport.control_flow import associative_scan, scan, while_loop
from minexport.export import export, load, save


class Loops(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = torch.nn.Linear(4, 4)

    def forward(self, steps, h, xs):
        _, h = while_loop(lambda i, h: i < steps, lambda i, h: (i + 1, torch.tanh(self.cell(h))),
                          (torch.zeros((), dtype=torch.int64), h))
        total, running = scan(lambda c, x: (c + x, (c + x) * 1.0), torch.zeros(4), xs)
        prefix = associative_scan(lambda a, b: a + b, xs, 0, combine_mode="generic")
        return h, total, running, prefix


def _same(a, b):
    return all(bool((x - y).abs().max() < 1e-5) for x, y in zip(a, b))


if __name__ == "__main__":
    torch.manual_seed(0)
    model = Loops()
    args = (torch.tensor(3), torch.randn(2, 4), torch.randn(5, 4))
    ep = export(model, args)
    print(ep)
    m = ep.module()
    for steps in (0, 3, 10):
        run_args = (torch.tensor(steps),) + args[1:]
        print(f"steps = {steps:2d}: matches eager:", _same(m(*run_args), model(*run_args)))
    core = ep.run_decompositions()
    buf = io.BytesIO()
    save(core, buf)
    buf.seek(0)
    loaded = load(buf)
    print("core program saved and loaded; its loop body now has:",
          [str(n.target) for n in loaded.graph_module.while_loop_body_graph_0.graph.nodes if n.op == "call_function"])
    print("loaded program matches eager:", _same(loaded.module()(*args), model(*args)))
