"""draft_export: get a runnable program, and a report of everything export would refuse.

`export()` stops at the first problem.  `draft_export()` follows the example
inputs instead (each op also runs on the real values), and lists each problem
with the user's source line: here a branch on a value read with `.item()`
(decided by the example value and kept as a runtime assert) and a custom op
without a fake implementation (its output shapes come from the real kernel).
The report's text is torch's; the program runs like any exported one.
"""
import minexport as torch
from minexport.export import draft_export, export


@torch.library.custom_op("example::top_half", mutates_args=())
def top_half(x: torch.Tensor) -> torch.Tensor:
    return x[: x.shape[0] // 2].clone()


class Model(torch.nn.Module):
    def forward(self, x, scale):
        s = scale.item()
        if s > 2:
            x = x * s
        return top_half(x) + 1


if __name__ == "__main__":
    args = (torch.arange(6.0), torch.tensor(3))
    try:
        export(Model(), args)
    except Exception as e:
        print("export refuses it:", type(e).__name__, str(e).splitlines()[0])
    ep = draft_export(Model(), args)
    report = ep._report
    print("successful:", report.successful())
    print("failures:", [str(f.failure_type) for f in report.failures])
    print(str(report).replace("\033[93m", "").replace("\033[0m", ""))
    print(ep.graph)
    m = ep.module()
    print("same as eager:", m(*args).tolist() == Model()(*args).tolist())
    try:
        m(torch.arange(6.0), torch.tensor(1))
    except Exception as e:
        print("a scale of 1 breaks the recorded assumption:", str(e).splitlines()[0])
