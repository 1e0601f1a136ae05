"""Sample rows for the OpInfo agreement fixes of issue 12.

Rows here either extend an op's existing rows with the cases torch's OpInfos
exercise (integer aranges with float bounds, negative pads, ...) or cover the
ops these fixes add (grid_sampler_3d, embedding_renorm_).
"""
import minexport as me
from op_samples import SAMPLES, Sample, T, samples


def _extend(name, rows):
    """Register `name`'s existing rows plus `rows()` (a later file adds cases, it does not replace them)."""
    before = SAMPLES[name]
    samples(name)(lambda: before() + rows())


# integer dtypes: torch truncates float bounds and step before it counts the elements
_extend("aten.arange.start_step", lambda: [
    Sample(1.0, 5.000001, 2.0, dtype=me.int64), Sample(-0.9, 2.1, 2.0, dtype=me.int64),
    Sample(0.0, -8.000001, -4.0, dtype=me.int32)])

# an empty dim list squeezes nothing
_extend("aten.squeeze.dims", lambda: [Sample(T(1, 1, 1), [])])
