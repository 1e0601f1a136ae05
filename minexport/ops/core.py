"""The core ATen op set: what run_decompositions() may leave in a graph (torch 2.13's `core` tag).

`default_decompositions()` maps every other op that has a decomposition to it.
"""
from ._registry import all_ops

# Overloads torch 2.13 tags `core` (among those minexport registers).
CORE = frozenset("""
_adaptive_avg_pool2d.default _log_softmax.default _native_batch_norm_legit.default
_native_batch_norm_legit.no_stats _native_batch_norm_legit_no_training.default _softmax.default _to_copy.default
abs.default add.Scalar add.Tensor addmm.default alias.default amax.default amin.default any.default any.dim
any.dims arange.start_step argmax.default argmin.default avg_pool2d.default bitwise_and.Scalar
bitwise_and.Tensor bitwise_not.default bitwise_or.Scalar bitwise_or.Tensor bmm.default cat.default ceil.default
clamp.Tensor clamp.default clone.default constant_pad_nd.default convolution.default copy.default cos.default
cumsum.default div.Scalar div.Scalar_mode div.Tensor div.Tensor_mode embedding.default empty.memory_format
eq.Scalar eq.Tensor erf.default exp.default expand.default flip.default floor.default fmod.Scalar fmod.Tensor
full.default full_like.default gather.default ge.Scalar ge.Tensor gelu.default gt.Scalar gt.Tensor
hardtanh.default index.Tensor index_put.default index_select.default isnan.default le.Scalar le.Tensor
leaky_relu.default log.default log1p.default logical_and.default logical_not.default logical_or.default
lt.Scalar lt.Tensor max.dim max_pool2d_with_indices.default maximum.default mean.default mean.dim min.dim
minimum.default mm.default mul.Scalar mul.Tensor native_dropout.default native_group_norm.default
native_layer_norm.default ne.Scalar ne.Tensor neg.default permute.default pow.Scalar pow.Tensor_Scalar
pow.Tensor_Tensor prod.default prod.dim_int rand.default randn.default reciprocal.default relu.default
remainder.Scalar remainder.Tensor repeat.default round.default rsqrt.default scalar_tensor.default scatter.src
scatter.value scatter_reduce.two select.int select_scatter.default sigmoid.default sign.default sin.default
slice.Tensor slice_scatter.default split_with_sizes.default sqrt.default squeeze.dim squeeze.dims sub.Scalar
sub.Tensor sum.dim_IntList tanh.default unsqueeze.default var.correction var.dim view.default where.self
sym_size.int _assert_scalar.default _local_scalar_dense.default nonzero.default
""".split())


def is_core(op):
    """True for an op that may remain in the core ATen IR."""
    return f"{op.op_name}.{op.overload_name}" in CORE


def default_decompositions():
    """{OpOverload: decomposition function} for every non-core op minexport can decompose (a fresh dict)."""
    return {op: op.decomposition for op in all_ops() if op.decomposition is not None and not is_core(op)}
