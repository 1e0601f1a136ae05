"""dropout_: the in-place dropout torch records for F.dropout(..., inplace=True) / nn.Dropout(inplace=True).

It writes dropout's result into self; run_decompositions() replaces it by
dropout's decomposition (native_dropout when training, self unchanged when not).
"""
from ._inplace import register_inplace
from ._registry import aten


def _dropout_functional(self, p, train):
    # what torch's functionalization leaves: dropout's value when training, self otherwise
    return aten.dropout.default(self, p, train) if train and p > 0 else self


register_inplace(aten.dropout.default, "dropout_(Tensor(a!) self, float p, bool train) -> Tensor(a!)",
                 variants=("function",), decomposition=None)
aten.dropout_.default.functional = _dropout_functional
