"""torch's alias ops (multiply for mul, arccos for acos, clip for clamp, ...).

torch records an alias under its own name (`torch.multiply(x, y)` records
aten.multiply.Tensor) and run_decompositions() rewrites it to the op it names.
Each alias here shares its target's meta and kernel, has the target's schema
under the alias's name, decomposes to the target, and has the in-place twin
torch has (multiply_ for mul_).
"""
from ._inplace import register_inplace
from ._registry import FUNCTION_AND_METHOD, aten, register

_METHOD = ("method",)

# alias -> (target op name, overloads, how the in-place twin is exposed)
ALIASES = {
    "multiply": ("mul", ("Tensor", "Scalar"), _METHOD),
    "subtract": ("sub", ("Tensor", "Scalar"), _METHOD),
    "divide": ("div", ("Tensor", "Scalar", "Tensor_mode", "Scalar_mode"), _METHOD),
    "true_divide": ("div", ("Tensor", "Scalar"), _METHOD),
    "greater": ("gt", ("Tensor", "Scalar"), _METHOD),
    "greater_equal": ("ge", ("Tensor", "Scalar"), _METHOD),
    "less": ("lt", ("Tensor", "Scalar"), _METHOD),
    "less_equal": ("le", ("Tensor", "Scalar"), _METHOD),
    "not_equal": ("ne", ("Tensor", "Scalar"), _METHOD),
    "negative": ("neg", ("default",), FUNCTION_AND_METHOD),
    "absolute": ("abs", ("default",), _METHOD),
    "clip": ("clamp", ("default", "Tensor"), FUNCTION_AND_METHOD),
    "arccos": ("acos", ("default",), FUNCTION_AND_METHOD),
    "arcsin": ("asin", ("default",), FUNCTION_AND_METHOD),
    "arctan": ("atan", ("default",), FUNCTION_AND_METHOD),
    "arccosh": ("acosh", ("default",), FUNCTION_AND_METHOD),
    "arcsinh": ("asinh", ("default",), FUNCTION_AND_METHOD),
    "arctanh": ("atanh", ("default",), FUNCTION_AND_METHOD),
    "arctan2": ("atan2", ("default",), _METHOD),
}


def _renamed(schema_text, name):
    """schema_text with its op name (before the overload and the arguments) replaced by `name`."""
    head, rest = schema_text.split("(", 1)
    overload = head.partition(".")[2]
    return f"{name}{'.' + overload if overload else ''}({rest}"


def _forward_to(target):
    def decomp(*args, **kwargs):
        return target(*args, **kwargs)
    decomp.__name__ = f"to_{target.op_name}"
    return decomp


def register_alias(name, target_name, overloads, inplace_variants):
    """Register alias `name` of op `target_name` for each overload, with its in-place twin."""
    for overload in overloads:
        target = getattr(getattr(aten, target_name), overload)
        op = register(_renamed(target._schema_text, name), meta=target.meta, kernel=target.kernel,
                      tags=("pointwise",), variants=FUNCTION_AND_METHOD, decomposition=_forward_to(target))
        op.specialize, op.donating_kernel = target.specialize, target.donating_kernel
        if target.inplace is not None:
            register_inplace(op, _renamed(target.inplace._schema_text, name + "_"), variants=inplace_variants)


for _name, (_target, _overloads, _inplace_variants) in ALIASES.items():
    register_alias(_name, _target, _overloads, _inplace_variants)
