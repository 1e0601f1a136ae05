"""Sample rows for the layer ops: 3-D and transposed convolution, recurrent ops, losses, basics."""
from op_samples import SAMPLES, Sample, T, L, samples  # noqa: F401

_CONV_TOL = (1e-4, 1e-5)


# ------------------------------------------------------------ convolution --
@samples("aten.conv3d.default", tol=_CONV_TOL)
def _conv3d():
    return [Sample(T(2, 3, 5, 6, 4), T(4, 3, 3, 2, 2), T(4)),
            Sample(T(1, 4, 7, 6, 5), T(6, 2, 3, 3, 2), None, [2, 1, 2], [1, 0, 1], [1, 2, 1], 2),
            Sample(T(3, 4, 4, 4), T(2, 3, 1, 1, 1))]


@samples("aten.conv3d.padding", tol=_CONV_TOL)
def _conv3d_padding():
    return [Sample(T(2, 3, 5, 6, 4), T(4, 3, 2, 3, 2), T(4), [1, 1, 1], "same"),
            Sample(T(2, 3, 5, 6, 4), T(4, 3, 2, 2, 2), None, [2, 1, 1], "valid", [1, 2, 1])]


@samples("aten.conv_transpose1d.default", tol=_CONV_TOL)
def _conv_transpose1d():
    return [Sample(T(2, 4, 7), T(4, 3, 3), T(3)),
            Sample(T(2, 4, 7), T(4, 3, 3), T(6), [2], [1], [1], 2, [1]),
            Sample(T(4, 6), T(4, 2, 4), None, [3], [2], [2], 1, [2]),
            Sample(T(2, 4, 7), T(4, 3, 3), None, [1], [0], [1])]       # output_padding >= stride: refused


@samples("aten.conv_transpose2d.input", tol=_CONV_TOL)
def _conv_transpose2d():
    return [Sample(T(2, 4, 5, 6), T(4, 3, 3, 2), T(3)),
            Sample(T(1, 6, 5, 4), T(6, 2, 3, 3), T(6), [2, 3], [1, 2], [1, 2], 3, [1, 2]),
            Sample(T(4, 5, 5), T(4, 2, 2, 2), None, [2, 2], [0, 0], [0, 0], 1, [2, 1]),
            Sample(T(2, 5, 5, 6), T(4, 3, 3, 2), None)]                 # channel mismatch: refused


@samples("aten.conv_transpose3d.input", tol=_CONV_TOL)
def _conv_transpose3d():
    return [Sample(T(2, 4, 3, 4, 3), T(4, 2, 2, 3, 2), T(2)),
            Sample(T(1, 4, 3, 3, 4), T(4, 1, 3, 2, 2), None, [2, 1, 2], [1, 0, 1], [1, 0, 1], 2, [1, 2, 1])]


_forward_convolution = SAMPLES["aten.convolution.default"]


@samples("aten.convolution.default", tol=_CONV_TOL)
def _convolution():
    """The forward rows of op_samples, and transposed and 3-D ones."""
    return _forward_convolution() + [
        Sample(T(2, 4, 5, 6), T(4, 3, 3, 2), T(3), [2, 1], [1, 0], [1, 1], True, [1, 0], 1),
        Sample(T(2, 6, 5), T(6, 2, 3), None, [3], [2], [2], True, [2], 3),
        Sample(T(2, 4, 3, 4, 3), T(4, 2, 2, 3, 2), T(4), [1, 2, 1], [0, 1, 0], [2, 1, 1], True, [0, 1, 0], 2),
        Sample(T(2, 3, 5, 4, 4), T(4, 3, 3, 2, 2), T(4), [1, 2, 1], [1, 0, 1], [1, 1, 2], False, [0, 0, 0], 1)]
