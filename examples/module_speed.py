"""`ep.module()` compiles a plan once: a MobileNet-style stack on small feature maps runs about twice as fast
as eager mode, with torch's layouts.

When `ep.module()` builds its plan, ops whose inputs have static shapes and one
float dtype (conv1d/conv2d, eval batch norm, linear, matmul, many pointwise ops)
get a specialized kernel: their argument checks were done by the meta function
at export, so a call is the computation alone.  The plan trusts the exported
shapes and dtypes (each call checks them), not the memory layout: a
channels-last input at run time still gets the channels-last output torch gives.

    python examples/module_speed.py
"""
import statistics
import time

import numpy as np

import minexport as me
from minexport.export import export

nn = me.nn


def block(cin, expand, cout):
    """An inverted residual's body: 1x1 expand, 3x3 depthwise, 1x1 project, each with batch norm."""
    return nn.Sequential(
        nn.Conv2d(cin, expand, 1, bias=False), nn.BatchNorm2d(expand), nn.ReLU6(),
        nn.Conv2d(expand, expand, 3, padding=1, groups=expand, bias=False), nn.BatchNorm2d(expand), nn.ReLU6(),
        nn.Conv2d(expand, cout, 1, bias=False), nn.BatchNorm2d(cout))


def median_ms(fn, runs=30):
    """Median ms of `runs` calls of fn after a warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


model = nn.Sequential(block(16, 64, 16), block(16, 64, 16), block(16, 96, 24)).eval()
x = me.from_numpy(np.random.default_rng(0).standard_normal((1, 16, 8, 8), dtype=np.float32))
module = export(model, (x,)).module()

print(f"same outputs: {bool(np.allclose(module(x).numpy(), model(x).numpy(), atol=1e-5))}")
eager, planned = median_ms(lambda: model(x)), median_ms(lambda: module(x))
print(f"eager forward {eager:.2f} ms, ep.module() {planned:.2f} ms ({eager / planned:.1f}x)")

# the same program run on a channels-last input: the layout follows the input, as in torch
x_cl = x.contiguous(memory_format=me.channels_last)
out = module(x_cl)
print(f"contiguous input -> output strides {module(x).stride()}")
print(f"channels-last input -> output strides {out.stride()}, "
      f"channels-last: {out.is_contiguous(memory_format=me.channels_last)}")
