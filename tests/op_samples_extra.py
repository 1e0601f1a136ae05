"""Sample rows for einsum, the view aliases (swapaxes, swapdims, broadcast_to) and dropout_."""
import minexport as me
from op_samples import Sample, T, samples


@samples("aten.einsum.default")
def _einsum():
    return [Sample("bij,bjk->bik", [T(2, 3, 4), T(2, 4, 5)]),
            Sample("bhqd,bhkd->bhqk", [T(2, 2, 3, 4), T(2, 2, 5, 4)]),
            Sample("ii->i", [T(3, 3)]), Sample("ij->", [T(3, 4)]), Sample("ij->ji", [T(2, 3, noncontig=True)]),
            Sample("...ij,...jk", [T(2, 3, 4), T(4, 5)]), Sample("i,i", [T(3), T(3)]),
            Sample("ij,jk,kl->il", [T(2, 3), T(3, 4), T(4, 5)]), Sample("iij->ji", [T(3, 3, 2)]),
            Sample("ij,kj->ikj", [T(2, 3), T(4, 1)]), Sample("i,j->ij", [T(3), T(4)]),
            Sample("bn,anm,bm->ba", [T(2, 3), T(4, 3, 5), T(2, 5)]),
            Sample("ij,jk", [T(2, 3, dtype=me.float64), T(3, 4, dtype=me.float64)]),
            Sample("ij,jk->ik", [T(2, 3, dtype=me.int64), T(3, 4, dtype=me.int64)])]


@samples("aten.swapaxes.default", "aten.swapdims.default")
def _swapaxes():
    return [Sample(T(2, 3, 4), 0, 1), Sample(T(2, 3, 4), -1, 0), Sample(T(2, 3, 4, noncontig=True), 1, 2),
            Sample(T(3), 0, 0), Sample(T(), 0, 0)]


@samples("aten.broadcast_to.default")
def _broadcast_to():
    return [Sample(T(3, 1), [2, 3, 4]), Sample(T(3), [2, 3]), Sample(T(2, 3), [-1, 3]), Sample(T(), [2])]


# random: the training rows draw masks; the eval / p=0 rows return the input's values
@samples("aten.dropout_.default", "aten.alpha_dropout.default", "aten.alpha_dropout_.default", random=True)
def _dropout_():
    return [Sample(T(2, 3), 0.5, False), Sample(T(3, 4), 0.0, True), Sample(T(2, 3, dtype=me.float64), 0.3, False),
            Sample(T(30, 40), 0.5, True), Sample(T(3, 4, 5), 1.0, True)]


@samples("aten.feature_dropout.default", "aten.feature_dropout_.default", "aten.feature_alpha_dropout.default",
         "aten.feature_alpha_dropout_.default", random=True)
def _feature_dropout():
    return [Sample(T(2, 3, 4), 0.5, False), Sample(T(3, 4), 0.0, True), Sample(T(2, 3, 2, 2), 0.3, False),
            Sample(T(30, 40, 2), 0.5, True), Sample(T(3, 4, 5), 1.0, True)]
