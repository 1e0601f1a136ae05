"""Dynamic shapes: a batch dimension that varies, a guard that narrows a range, and the suggested fix.

Shows `Dim` in dynamic_shapes, the symbolic program (`"f32[s77, 8]"`, range
constraints), the exported module accepting other batch sizes and refusing
one outside the range, and a constraint violation with its "Suggested fixes".
"""
import minexport as torch
from minexport.export import ConstraintViolationError, Dim, export


class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.lin(x).softmax(-1)


class NeedsBigBatch(torch.nn.Module):
    def forward(self, x):
        if x.shape[0] > 4:
            return x + 1
        return x - 1


if __name__ == "__main__":
    batch = Dim("batch", max=64)
    ep = export(Classifier(), (torch.randn(5, 8),), dynamic_shapes={"x": {0: batch}})
    print(ep)
    m = ep.module()
    print("batch 2 ->", tuple(m(torch.randn(2, 8)).shape), "; batch 33 ->", tuple(m(torch.randn(33, 8)).shape))
    try:
        m(torch.randn(65, 8))
    except AssertionError as e:
        print("batch 65 refused:", e)
    try:
        export(NeedsBigBatch(), (torch.randn(6, 3),), dynamic_shapes={"x": {0: Dim("b", min=2, max=100)}})
    except ConstraintViolationError as e:
        print("\n" + str(e))
