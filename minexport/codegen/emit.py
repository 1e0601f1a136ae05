"""The emit table: for each op a rule writing the NumPy source that computes one node.

A rule is `rule(g, node, a)`: `g` is the function being written (it renders
arguments, dtypes and helper names, see `program._Writer`), `a` the node's
arguments bound to its schema's names (defaults filled in).  It returns an
expression (assigned to the node's variable) or an `Lines` of statements that
assign `{out}` themselves.  Pointwise rules take `{don}`: ", out=<donor>" when
the writer found a dead input whose memory the result may reuse, else "".

Dtypes follow torch, not NumPy: an arithmetic rule casts its tensor
arguments to the node's result dtype first (`g.cast`), so NumPy's own
promotion never decides, and Python scalars stay Python scalars (NumPy 2
treats them as weak, as torch does).
"""
from ..ops._common import check_scalar_range
from ..ops._targets import target_kind

__all__ = ["RULES", "Lines", "rule_for", "FRESH"]


class Lines(list):
    """Statements that assign the node's variable `{out}` themselves."""


RULES = {}
FRESH = set()     # ops whose result is a new writable array the writer may later donate


def _rule(*names, fresh=False):
    def deco(fn):
        for n in names:
            RULES[n] = fn
            if fresh:
                FRESH.add(n)
        return fn
    return deco


def rule_for(target):
    """The rule for a call target, or None."""
    kind = target_kind(target)
    if kind == "op":
        return RULES.get(f"{target.namespace}.{target.op_name}.{target.overload_name}")
    if kind == "operator":
        return RULES.get(f"operator.{target.__name__}")
    if kind == "higher_order":
        return RULES.get(f"higher_order.{target.__name__ if hasattr(target, '__name__') else target}")
    return None


# -- pointwise ---------------------------------------------------------------------------------
_UNARY = {
    "abs": "xp.abs({x}{don})", "neg": "xp.negative({x}{don})", "exp": "xp.exp({x}{don})",
    "exp2": "xp.exp2({x}{don})", "expm1": "xp.expm1({x}{don})", "log": "xp.log({x}{don})",
    "log2": "xp.log2({x}{don})", "log10": "xp.log10({x}{don})", "log1p": "xp.log1p({x}{don})",
    "sqrt": "xp.sqrt({x}{don})", "rsqrt": "xp.divide(1, xp.sqrt({x}){don})", "reciprocal": "xp.divide(1, {x}{don})",
    "sin": "xp.sin({x}{don})", "cos": "xp.cos({x}{don})", "tan": "xp.tan({x}{don})", "asin": "xp.arcsin({x}{don})",
    "acos": "xp.arccos({x}{don})", "atan": "xp.arctan({x}{don})", "sinh": "xp.sinh({x}{don})",
    "cosh": "xp.cosh({x}{don})", "tanh": "xp.tanh({x}{don})", "asinh": "xp.arcsinh({x}{don})",
    "acosh": "xp.arccosh({x}{don})", "atanh": "xp.arctanh({x}{don})", "floor": "xp.floor({x}{don})",
    "ceil": "xp.ceil({x}{don})", "trunc": "xp.trunc({x}{don})", "round": "xp.round({x})",
    "sign": "xp.sign({x}{don})", "logical_not": "xp.logical_not({x})",
    "bitwise_not": "xp.invert({x}{don})", "isnan": "xp.isnan({x})", "isinf": "xp.isinf({x})",
    "erf": "_erf({x})", "sigmoid": "_sigmoid({x})",
}
_HELPER_OF = {"erf": "_erf", "sigmoid": "_sigmoid"}
_BINARY = {"add": "xp.add", "sub": "xp.subtract", "mul": "xp.multiply", "div": "xp.true_divide",
           "maximum": "xp.maximum", "minimum": "xp.minimum", "remainder": "xp.remainder", "fmod": "xp.fmod",
           "atan2": "xp.arctan2", "pow": "xp.power", "bitwise_and": "xp.bitwise_and",
           "bitwise_or": "xp.bitwise_or", "bitwise_xor": "xp.bitwise_xor", "logical_and": "xp.logical_and",
           "logical_or": "xp.logical_or", "logical_xor": "xp.logical_xor"}
_COMPARE = {"eq": "xp.equal", "ne": "xp.not_equal", "lt": "xp.less", "le": "xp.less_equal", "gt": "xp.greater",
            "ge": "xp.greater_equal"}


_PREDICATES = {"isnan", "isinf", "logical_not"}     # bool results: the input is read in its own dtype


def _unary(template, helper, cast):
    def rule(g, node, a):
        if helper:
            g.helper(helper)
        x = g.cast(a["self"], node) if cast else g.v(a["self"])
        return template.format(x=x, don=g.donate(node, a["self"]))
    return rule


for _name, _tpl in _UNARY.items():
    _rule(f"aten.{_name}.default", fresh=_name not in _HELPER_OF)(
        _unary(_tpl, _HELPER_OF.get(_name), _name not in _PREDICATES))


# relu keeps a -0.0 as torch (and minexport's kernel) does: clip with bounds 0 and inf returns a zero of either
# sign as it came, where maximum(x, 0) gives +0.0.  Integers stay on maximum (an infinite bound would make
# the result float).
@_rule("aten.relu.default", fresh=True)
def _relu(g, node, a):
    x, don = g.cast(a["self"], node), g.donate(node, a["self"])
    return f"xp.clip({x}, 0, xp.inf{don})" if g.is_float(node) else f"xp.maximum({x}, 0{don})"


def _binary(fn, scalar_self=False):
    def rule(g, node, a):
        if fn == "xp.power" and not g.is_float(node):       # integer powers: torch's negative-exponent rule
            x, y = (a["self"], a["exponent"]) if "exponent" in a else (a["self"], a["other"])
            return f"{g.helper('_int_pow')}({g.cast(x, node)}, {g.cast(y, node)})"
        x = a["self"]
        y = a.get("other", a.get("exponent"))
        if scalar_self:
            x, y = a["self"], a["exponent"]
        ys = g.cast(y, node)
        alpha = a.get("alpha", 1)
        if alpha != 1:
            ys = f"{ys} * {g.v(alpha)}"
        return f"{fn}({g.cast(x, node)}, {ys}{g.donate(node, x, y)})"
    return rule


for _name, _fn in _BINARY.items():
    for _ov in ("Tensor", "Scalar", "default"):
        _rule(f"aten.{_name}.{_ov}", fresh=True)(_binary(_fn))
_rule("aten.pow.Tensor_Tensor", "aten.pow.Tensor_Scalar", fresh=True)(_binary("xp.power"))
_rule("aten.pow.Scalar", fresh=True)(_binary("xp.power", scalar_self=True))


def _compare(fn):
    def rule(g, node, a):
        return f"{fn}({g.v(a['self'])}, {g.v(a['other'])})"
    return rule


for _name, _fn in _COMPARE.items():
    for _ov in ("Tensor", "Scalar"):
        _rule(f"aten.{_name}.{_ov}", fresh=True)(_compare(_fn))


@_rule("aten.div.Tensor_mode", "aten.div.Scalar_mode", fresh=True)
def _div_mode(g, node, a):
    x, y, mode = g.cast(a["self"], node), g.cast(a["other"], node), a["rounding_mode"]
    if mode is None:
        return f"xp.true_divide({x}, {y})"
    if mode == "floor":
        return f"xp.floor_divide({x}, {y})"
    if g.is_float(node):
        return f"xp.trunc(xp.true_divide({x}, {y}))"
    return f"(xp.trunc(xp.true_divide({x}, {y}))).astype({g.dt(node)})"


def _range_refusal(node, bounds):
    """Lines raising torch's error when a constant Scalar bound (what, value) lies beyond the node's dtype,
    so that the generated program fails when it runs, as torch's kernel does (see check_scalar_range); else
    None."""
    for what, value in bounds:
        if type(value) in (int, float):
            try:
                check_scalar_range(value, node.meta["val"].dtype, what)
            except RuntimeError as e:
                return Lines([f"raise RuntimeError({str(e)!r})"])
    return None


@_rule("aten.clamp.default", "aten.clamp.Tensor", fresh=True)
def _clamp(g, node, a):
    lo, hi = a["min"], a["max"]
    refusal = _range_refusal(node, (("clamp's min", lo), ("clamp's max", hi)))
    if refusal is not None:
        return refusal
    x = g.cast(a["self"], node)
    if lo is not None and hi is not None:
        return f"xp.clip({x}, {g.cast(lo, node)}, {g.cast(hi, node)}{g.donate(node, a['self'])})"
    fn, bound = ("xp.maximum", lo) if lo is not None else ("xp.minimum", hi)
    return f"{fn}({x}, {g.cast(bound, node)}{g.donate(node, a['self'])})"


@_rule("aten.where.self", fresh=True)
def _where(g, node, a):
    return f"xp.where({g.v(a['condition'])}, {g.cast(a['self'], node)}, {g.cast(a['other'], node)})"


@_rule("aten.leaky_relu.default", fresh=True)
def _leaky_relu(g, node, a):
    x = g.v(a["self"])
    return f"xp.where({x} > 0, {x}, {x} * {g.v(a['negative_slope'])})"


@_rule("aten.hardtanh.default", fresh=True)
def _hardtanh(g, node, a):
    refusal = _range_refusal(node, (("hardtanh's min_val", a["min_val"]), ("hardtanh's max_val", a["max_val"])))
    if refusal is not None:
        return refusal
    return f"xp.clip({g.v(a['self'])}, {g.v(a['min_val'])}, {g.v(a['max_val'])})"


@_rule("aten.gelu.default")
def _gelu(g, node, a):
    return f"{g.helper('_gelu')}({g.v(a['self'])}, {a['approximate']!r})"


# -- matmul ----------------------------------------------------------------------------------
@_rule("aten.mm.default", "aten.bmm.default", fresh=True)
def _mm(g, node, a):
    return f"{g.cast(a['self'], node)} @ {g.cast(a['mat2'], node)}"


@_rule("aten.addmm.default", fresh=True)
def _addmm(g, node, a):
    beta, alpha = a["beta"], a["alpha"]
    prod = f"{g.cast(a['mat1'], node)} @ {g.cast(a['mat2'], node)}"
    if alpha != 1:
        prod += f" * {g.v(alpha)}"
    bias = g.cast(a["self"], node) + ("" if beta == 1 else f" * {g.v(beta)}")
    return Lines([f"{{out}} = {prod}", f"{{out}} += {bias}"])


# -- reductions ------------------------------------------------------------------------------
def _axes(dim):
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        return "None"
    if isinstance(dim, (list, tuple)):
        return repr(tuple(dim))
    return repr(dim)


def _reduce(fn, with_dtype):
    def rule(g, node, a):
        dtype = f", dtype={g.dt(node)}" if with_dtype else ""
        axes = _axes(a.get("dim"))
        keep = a.get("keepdim", False)
        x = g.v(a["self"])
        return f"xp.asarray({fn}({x}, axis={axes}, keepdims={keep}{dtype}))"
    return rule


for _n, _fn, _dt in (("sum.dim_IntList", "xp.sum", True), ("sum.default", "xp.sum", True),
                     ("mean.dim", "xp.mean", True), ("mean.default", "xp.mean", True),
                     ("amax.default", "xp.amax", False), ("amin.default", "xp.amin", False),
                     ("prod.default", "xp.prod", True), ("prod.dim_int", "xp.prod", True),
                     ("max.default", "xp.max", False),
                     ("min.default", "xp.min", False), ("any.default", "xp.any", False),
                     ("all.default", "xp.all", False), ("any.dims", "xp.any", False),
                     ("any.dim", "xp.any", False), ("all.dim", "xp.all", False)):
    _rule(f"aten.{_n}")(_reduce(_fn, _dt))


@_rule("aten.max.dim", "aten.min.dim")
def _max_dim(g, node, a):
    x, dim, keep = g.v(a["self"]), a["dim"], a["keepdim"]
    fn = "max" if node.target.op_name == "max" else "min"
    return f"(xp.{fn}({x}, axis={dim}, keepdims={keep}), xp.arg{fn}({x}, axis={dim}, keepdims={keep}))"


@_rule("aten.argmax.default", "aten.argmin.default")
def _argmax(g, node, a):
    fn = "xp.argmax" if "argmax" in str(node.target) else "xp.argmin"
    x, dim = g.v(a["self"]), a["dim"]
    if dim is None:
        return f"xp.asarray({fn}({x})).reshape({'(1,) * ' + x + '.ndim' if a['keepdim'] else '()'})"
    return f"xp.asarray({fn}({x}, axis={dim}, keepdims={a['keepdim']}))"


@_rule("aten.var.correction")
def _var_correction(g, node, a):
    corr = 1 if a["correction"] is None else a["correction"]
    return f"{g.helper('_var')}({g.v(a['self'])}, {_axes(a['dim'])}, {g.v(corr)}, {a['keepdim']})"


@_rule("aten.var.dim")
def _var_dim(g, node, a):
    return f"{g.helper('_var')}({g.v(a['self'])}, {_axes(a['dim'])}, {int(a['unbiased'])}, {a['keepdim']})"


@_rule("aten.linalg_vector_norm.default")
def _vector_norm(g, node, a):
    # the result dtype (the input's, or the one asked for) is the dtype the norm is taken in
    x = f"{g.v(a['self'])}.astype({g.dt(node)}, copy=False)"
    return f"xp.asarray({g.helper('_vector_norm')}({x}, {g.v(a.get('ord', 2))}, {_axes(a.get('dim'))}, " \
           f"{a.get('keepdim', False)}))"


@_rule("aten.cumsum.default")
def _cumsum(g, node, a):
    return f"xp.cumsum({g.v(a['self'])}, axis={a['dim']}, dtype={g.dt(node)})"


# -- views and shape -------------------------------------------------------------------------
@_rule("aten.view.default", "aten._unsafe_view.default", "aten.reshape.default")
def _view(g, node, a):
    return f"{g.v(a['self'])}.reshape({g.v(a['size'])})"


@_rule("aten.alias.default")
def _alias(g, node, a):
    return g.v(a["self"])


@_rule("aten.permute.default")
def _permute(g, node, a):
    return f"{g.v(a['self'])}.transpose({', '.join(g.v(d) for d in a['dims'])})"


@_rule("aten.unsqueeze.default")
def _unsqueeze(g, node, a):
    return f"xp.expand_dims({g.v(a['self'])}, {a['dim']})"


@_rule("aten.squeeze.dims")
def _squeeze_dims(g, node, a):
    return f"{g.helper('_squeeze')}({g.v(a['self'])}, {g.v(list(a['dim']))})"


@_rule("aten.squeeze.dim")
def _squeeze_dim(g, node, a):
    return f"{g.helper('_squeeze')}({g.v(a['self'])}, [{a['dim']}])"


@_rule("aten.squeeze.default")
def _squeeze_all(g, node, a):
    x = g.v(a["self"])
    return f"{g.helper('_squeeze')}({x}, list(range({x}.ndim)))"


def _index_prefix(dim):
    return ":, " * dim


@_rule("aten.slice.Tensor")
def _slice(g, node, a):
    dim = a["dim"] % node.args[0].meta["val"].dim()
    start = "" if a["start"] is None else g.v(a["start"])
    end = "" if a["end"] is None or a["end"] == 9223372036854775807 else g.v(a["end"])
    step = "" if a["step"] == 1 else f":{g.v(a['step'])}"
    return f"{g.v(a['self'])}[{_index_prefix(dim)}{start}:{end}{step}]"


@_rule("aten.select.int")
def _select(g, node, a):
    dim = a["dim"] % node.args[0].meta["val"].dim()
    return f"{g.v(a['self'])}[{_index_prefix(dim)}{g.v(a['index'])}]"


@_rule("aten.unbind.int")
def _unbind(g, node, a):
    return f"tuple(xp.moveaxis({g.v(a['self'])}, {a['dim']}, 0))"


@_rule("aten.flip.default")
def _flip(g, node, a):
    return f"xp.flip({g.v(a['self'])}, axis={tuple(a['dims'])!r})"


@_rule("aten.cat.default", fresh=True)
def _cat(g, node, a):
    parts = ", ".join(g.cast(t, node) for t in a["tensors"])
    return f"{g.helper('_cat')}([{parts}], {a['dim']})"


@_rule("aten.clone.default", fresh=True)
def _clone(g, node, a):
    return f"xp.array({g.v(a['self'])}, copy=True)"


@_rule("aten._to_copy.default", fresh=True)
def _to_copy(g, node, a):
    return f"xp.array({g.v(a['self'])}, dtype={g.dt(node)}, copy=True)"


@_rule("aten.copy.default", fresh=True)
def _copy(g, node, a):
    x = g.v(a["self"])
    return f"xp.array(xp.broadcast_to({g.cast(a['src'], node)}, {x}.shape), copy=True)"


# -- creation --------------------------------------------------------------------------------
@_rule("aten.full.default", fresh=True)
def _full(g, node, a):
    return f"xp.full({g.v(a['size'])}, {g.v(a['fill_value'])}, dtype={g.dt(node)})"


@_rule("aten.full_like.default", fresh=True)
def _full_like(g, node, a):
    return f"xp.full({g.v(a['self'])}.shape, {g.v(a['fill_value'])}, dtype={g.dt(node)})"


@_rule("aten.empty.memory_format", "aten.empty_strided.default", fresh=True)
def _empty(g, node, a):
    return f"xp.empty({g.v(a['size'])}, dtype={g.dt(node)})"


@_rule("aten.arange.start_step", fresh=True)
def _arange(g, node, a):
    return f"{g.helper('_arange')}({g.v(a['start'])}, {g.v(a['end'])}, {g.v(a['step'])}, {g.dt(node)})"


@_rule("aten.arange.default", fresh=True)
def _arange_end(g, node, a):
    return f"xp.arange({g.v(a['end'])}, dtype={g.dt(node)})"


@_rule("aten.scalar_tensor.default", fresh=True)
def _scalar_tensor(g, node, a):
    return f"xp.asarray({g.v(a['s'])}, dtype={g.dt(node)})"


# -- indexing --------------------------------------------------------------------------------
@_rule("aten.embedding.default")
def _embedding(g, node, a):
    return f"xp.take({g.v(a['weight'])}, {g.v(a['indices'])}, axis=0)"


@_rule("aten.gather.default")
def _gather(g, node, a):
    return f"xp.take_along_axis({g.v(a['self'])}, {g.v(a['index'])}, axis={a['dim']})"


@_rule("aten.index_put.default")
def _index_put(g, node, a):
    idx = f"tuple(slice(None) if i is None else i for i in {g.v(a['indices'])})"
    values = g.cast(a["values"], node)
    if a["accumulate"]:
        return Lines([f"{{out}} = xp.array({g.v(a['self'])}, copy=True)", f"xp.add.at({{out}}, {idx}, {values})"])
    return Lines([f"{{out}} = xp.array({g.v(a['self'])}, copy=True)", f"{{out}}[{idx}] = {values}"])


# -- neural-network ops ------------------------------------------------------------------------
@_rule("aten.convolution.default")
def _convolution(g, node, a):
    args = ", ".join(g.v(a[k]) for k in ("input", "weight", "bias", "stride", "padding", "dilation", "transposed",
                                         "output_padding", "groups"))
    return f"{g.helper('_conv_transpose' if a['transposed'] else '_conv')}({args})"


@_rule("aten._softmax.default")
def _softmax(g, node, a):
    return f"{g.helper('_softmax')}({g.cast(a['self'], node)}, {a['dim']})"


@_rule("aten._log_softmax.default")
def _log_softmax(g, node, a):
    return f"{g.helper('_log_softmax')}({g.cast(a['self'], node)}, {a['dim']})"


@_rule("aten.avg_pool1d.default", "aten.avg_pool2d.default", "aten.avg_pool3d.default")
def _avg_pool(g, node, a):
    args = ", ".join(g.v(a[k]) for k in ("self", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"))
    return f"{g.helper('_avg_pool')}({args}, {g.v(a.get('divisor_override'))})"


@_rule("aten.elu.default", fresh=True)
def _elu(g, node, a):
    x = g.cast(a["self"], node)
    alpha, scale, input_scale = (g.v(a[k]) for k in ("alpha", "scale", "input_scale"))
    return f"xp.where({x} > 0, {x} * {scale}, xp.expm1({x} * {input_scale}) * ({alpha} * {scale})).astype({g.dt(node)})"


@_rule("aten.fill.Scalar", fresh=True)
def _fill(g, node, a):
    return f"xp.full({g.v(a['self'])}.shape, {g.v(a['value'])}, dtype={g.dt(node)})"


@_rule("aten.index_select.default")
def _index_select(g, node, a):
    x, index = g.v(a["self"]), g.v(a["index"])
    if node.args[0].meta["val"].dim() == 0:
        return f"{x}.reshape(-1)[{index}].reshape(())"
    return f"xp.take({x}, {index}.reshape(-1), axis={a['dim']})"


@_rule("aten.nonzero.default")
def _nonzero(g, node, a):
    return f"xp.argwhere({g.v(a['self'])}).astype(xp.int64)"


@_rule("aten.reflection_pad1d.default", "aten.reflection_pad2d.default", "aten.reflection_pad3d.default")
def _reflection_pad(g, node, a):
    return f"{g.helper('_pad_mode')}({g.v(a['self'])}, {g.v(a['padding'])}, 'reflect')"


@_rule("aten.replication_pad2d.default", "aten.replication_pad3d.default")
def _replication_pad(g, node, a):
    return f"{g.helper('_pad_mode')}({g.v(a['self'])}, {g.v(a['padding'])}, 'edge')"


@_rule("aten.repeat.default")
def _repeat(g, node, a):
    return f"xp.tile({g.v(a['self'])}, {g.v(a['repeats'])})"


@_rule("aten.scatter_add.default")
def _scatter_add(g, node, a):
    return f"{g.helper('_scatter_add')}({g.v(a['self'])}, {g.v(a['index'])}, {g.cast(a['src'], node)}, {a['dim']})"


@_rule("aten.diagonal.default")
def _diagonal(g, node, a):
    return f"xp.diagonal({g.v(a['self'])}, {a['offset']}, {a['dim1']}, {a['dim2']})"


# -- calls of prelude helpers ---------------------------------------------------------------------
# Ops written as one call of a prelude helper on some of their arguments, in this order: (ops) -> (helper,
# argument names).
_HELPER_CALLS = {
    ("aten.expand.default",): ("_expand", ("self", "size")),
    ("aten.split_with_sizes.default", "aten.split_with_sizes_copy.default"): ("_split", ("self", "split_sizes", "dim")),
    ("aten.index.Tensor",): ("_index", ("self", "indices")),
    ("aten.scatter.src",): ("_scatter_assign", ("self", "index", "src", "dim")),
    ("aten.scatter.value",): ("_scatter_value", ("self", "index", "value", "dim")),
    ("aten.select_scatter.default",): ("_select_scatter", ("self", "src", "dim", "index")),
    ("aten.slice_scatter.default",): ("_slice_scatter", ("self", "src", "dim", "start", "end", "step")),
    ("aten.sort.default",): ("_sort", ("self", "dim", "descending")),
    ("aten.constant_pad_nd.default",): ("_pad", ("self", "pad", "value")),
    ("aten.max_pool2d_with_indices.default", "aten.max_pool3d_with_indices.default"):
        ("_max_pool", ("self", "kernel_size", "stride", "padding", "dilation", "ceil_mode")),
    ("aten._adaptive_avg_pool2d.default", "aten._adaptive_avg_pool3d.default", "aten.adaptive_avg_pool1d.default"):
        ("_adaptive_avg_pool", ("self", "output_size")),
    ("aten.native_layer_norm.default",): ("_layer_norm", ("input", "normalized_shape", "weight", "bias", "eps")),
    ("aten.native_group_norm.default",):
        ("_group_norm", ("input", "weight", "bias", "N", "C", "HxW", "group", "eps")),
    ("aten._native_batch_norm_legit_no_training.default",):
        ("_batch_norm_eval", ("input", "weight", "bias", "running_mean", "running_var", "eps")),
    ("aten._native_batch_norm_legit.no_stats",): ("_batch_norm_batch_stats", ("input", "weight", "bias", "eps")),
    ("aten.upsample_bilinear2d.vec",):
        ("_upsample_bilinear", ("input", "output_size", "align_corners", "scale_factors")),
    ("aten.upsample_nearest1d.vec", "aten.upsample_nearest2d.vec", "aten.upsample_nearest3d.vec"):
        ("_upsample_nearest", ("input", "output_size", "scale_factors")),
}


def _helper_call(helper, names):
    def rule(g, node, a):
        return f"{g.helper(helper)}({', '.join(g.v(a[k]) for k in names)})"
    return rule


for _ops, (_helper, _names) in _HELPER_CALLS.items():
    _rule(*_ops)(_helper_call(_helper, _names))


# -- sizes, scalars and checks -----------------------------------------------------------------
@_rule("aten.sym_size.int")
def _sym_size(g, node, a):
    return f"{g.v(a['self'])}.shape[{a['dim']}]"


@_rule("aten.sym_numel.default")
def _sym_numel(g, node, a):
    return f"{g.v(a['self'])}.size"


@_rule("aten._local_scalar_dense.default")
def _item(g, node, a):
    return f"{g.v(a['self'])}.item()"


@_rule("aten._assert_scalar.default")
def _assert_scalar(g, node, a):
    return Lines([f"if not {g.v(a['self'])}:", f"    raise AssertionError({a['assert_msg']!r})"])


@_rule("aten._assert_tensor_metadata.default")
def _assert_metadata(g, node, a):
    return Lines(["pass  # metadata assert: dtypes and ranks are fixed by the input checks"])


@_rule("aten.sym_constrain_range_for_size.default", "aten.sym_constrain_range.default")
def _constrain(g, node, a):
    x, lo, hi = g.v(a["size"]), a.get("min"), a.get("max")
    lo = 0 if lo is None else lo
    cond = f"{x} >= {lo}" + ("" if hi is None else f" and {x} <= {hi}")
    return Lines([f"if not ({cond}):", f"    raise RuntimeError(f'value {{{x}}} is outside [{lo}, {hi}]')"])


_OPERATORS = {"add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "floordiv": "{0} // {1}",
              "truediv": "{0} / {1}", "mod": "{0} % {1}", "pow": "{0} ** {1}", "neg": "-{0}", "ge": "{0} >= {1}",
              "gt": "{0} > {1}", "le": "{0} <= {1}", "lt": "{0} < {1}", "eq": "{0} == {1}", "ne": "{0} != {1}",
              "and_": "{0} and {1}", "or_": "{0} or {1}", "not_": "not {0}", "getitem": "{0}[{1}]",
              "sym_max": "max({0}, {1})", "sym_min": "min({0}, {1})",      # torch.sym_max / sym_min on sizes
              "floor": "math.floor({0})", "ceil": "math.ceil({0})", "trunc": "math.trunc({0})",
              "sym_float": "float({0})"}


def _operator(template):
    def rule(g, node, a):
        return template.format(*(g.v(x) for x in node.args))
    return rule


for _name, _tpl in _OPERATORS.items():
    _rule(f"operator.{_name}")(_operator(_tpl))


def _registered(name):
    """Whether a table name is an op minexport has (the loops above cover every overload spelling)."""
    if not name.startswith("aten."):
        return True
    _, op, overload = name.split(".")
    from ..ops import aten
    try:
        getattr(getattr(aten, op), overload)
    except AttributeError:
        return False
    return True


for _name in [n for n in RULES if not _registered(n)]:
    del RULES[_name]
    FRESH.discard(_name)
