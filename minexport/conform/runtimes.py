"""Built-in runtimes for the conformance runner: minexport's interpreter, before and after decomposition.

Each is a callable `run(archive_path, inputs) -> outputs` over NumPy arrays, the
interface any third-party runtime implements (spec/conformance.md).
"""
import numpy as np

__all__ = ["interpreter", "decomposed", "run_program", "user_inputs"]

# how a stored array becomes a program input, by the kind of the input's signature argument
_SCALAR_ARGS = {"SymIntArgument": int, "SymFloatArgument": float, "SymBoolArgument": bool}


def user_inputs(ep, inputs):
    """The flat call arguments: tensors from the arrays, 0-d arrays as Python scalars for SymInt inputs."""
    from ..export.graph_signature import ConstantArgument, InputKind
    from .. import from_numpy
    specs = [s for s in ep.graph_signature.input_specs if s.kind == InputKind.USER_INPUT]
    given = iter(inputs)
    flat = []
    for spec in specs:
        if isinstance(spec.arg, ConstantArgument):
            flat.append(spec.arg.value)
            continue
        try:
            array = next(given)
        except StopIteration:
            raise ValueError(f"the program takes {len(specs)} user inputs; {len(inputs)} were given") from None
        scalar = _SCALAR_ARGS.get(type(spec.arg).__name__)
        flat.append(scalar(np.asarray(array).item()) if scalar else from_numpy(np.array(array, copy=True)))
    return flat


def _as_array(value):
    """One flat output as a NumPy array (tensors copied out, Python scalars as 0-d arrays)."""
    from .. import Tensor
    if isinstance(value, Tensor):
        return np.array(value.numpy(force=True), copy=True)
    if value is None:
        raise TypeError("the program returned None where the vector expects an array")
    return np.asarray(value)


def run_program(ep, inputs):
    """Run an ExportedProgram on flat NumPy inputs; the flat outputs as NumPy arrays."""
    from ..utils import _pytree as pytree
    flat = user_inputs(ep, inputs)
    args, kwargs = pytree.tree_unflatten(flat, ep.call_spec.in_spec)
    out = ep.module()(*args, **kwargs)
    return [_as_array(o) for o in pytree.tree_leaves(out)]


def _load(archive_path):
    """The archive's program, after registering the custom ops and pytree types its case.json names."""
    from .. import library
    from ..export import load, register_dataclass
    from .cases import register_needs
    register_needs(archive_path, library, register_dataclass)
    return load(archive_path)


def interpreter(archive_path, inputs):
    """minexport's default runtime: load the archive and run `.module()` as stored."""
    return run_program(_load(archive_path), inputs)


def decomposed(archive_path, inputs):
    """Load the archive, `run_decompositions()` to core ATen, then run `.module()`."""
    return run_program(_load(archive_path).run_decompositions(), inputs)
