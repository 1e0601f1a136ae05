"""Standalone code generation: an exported program as one Python module that needs only NumPy (or CuPy).

    from minexport.codegen import write_module
    path = write_module(ep, "model_numpy.py")          # + model_numpy.bin for large weights
    import model_numpy; outs = model_numpy.forward(x)  # tuple of arrays

The program is decomposed to core ATen ops first (`run_decompositions()`);
each node then becomes one line through the emit table (`emit.py`), control
flow becomes Python control flow over sub-functions (`program.py`), the inputs
are checked by a generated `_check_inputs` (`guards.py`), the weights are held
inline or memory-mapped from a sibling file (`weights.py`), and the prelude
helpers a program uses are copied in from `prelude.py`.  spec/codegen.md has
the layout of the generated file.
"""
import inspect
import json
import os

from . import prelude as _prelude
from .guards import CHECK_ARRAY, check_lines
from .program import CodegenError, ModuleText, _Writer
from .weights import state_arrays, weight_lines

__all__ = ["generate", "write_module", "CodegenError", "DEFAULT_INLINE_MAX_BYTES"]

DEFAULT_INLINE_MAX_BYTES = 64 * 1024
_DEVICES = ("cpu", "cuda")


def _decomposed(ep):
    from ..ops._targets import target_kind
    needs = any(n.op == "call_function" and target_kind(n.target) == "op" and "core" not in n.target.tags
                for gm in _graph_modules(ep.graph_module) for n in gm.graph.nodes)
    return ep.run_decompositions() if needs and ep.dialect != "ATEN" else ep


def _graph_modules(gm):
    yield gm
    for _, sub in gm.named_children():
        if hasattr(sub, "graph"):
            yield from _graph_modules(sub)


def _io(ep):
    from ..export.graph_signature import ConstantArgument, InputKind, OutputKind
    sig = ep.graph_signature
    placeholders = {n.name: n for n in ep.graph.nodes if n.op == "placeholder"}
    users = [s for s in sig.input_specs if s.kind == InputKind.USER_INPUT]
    inputs = [(s.arg.name, placeholders[s.arg.name].meta["val"]) for s in users
              if not isinstance(s.arg, ConstantArgument)]
    constants = [i for i, s in enumerate(users) if isinstance(s.arg, ConstantArgument)]
    state_of = {s.target: s.arg.name for s in sig.input_specs if s.kind in (InputKind.BUFFER, InputKind.PARAMETER)}
    mutations = []       # (output index, "state" | "input", placeholder name)
    for i, s in enumerate(sig.output_specs):
        if s.kind in (OutputKind.BUFFER_MUTATION, OutputKind.PARAMETER_MUTATION):
            mutations.append((i, "state", state_of[s.target]))
        elif s.kind == OutputKind.USER_INPUT_MUTATION:
            mutations.append((i, "input", s.target))
        elif s.kind not in (OutputKind.USER_OUTPUT, OutputKind.LOSS_OUTPUT):
            raise CodegenError(f"output {i} is a {s.kind.name}, which generated code does not write back")
    return inputs, constants, mutations


def _relations(ep):
    env = getattr(ep, "shape_env", None)
    if env is None:
        return []
    from ..export._symbolic import _relation_guards
    return _relation_guards(env)


def generate(ep, *, device="cpu", inline_weights_max_bytes=DEFAULT_INLINE_MAX_BYTES, weights_file="model.bin"):
    """(module source, weight bytes for `weights_file` or None) for ExportedProgram ep.

    Raises CodegenError, naming the node and op, when some node has no emit rule.
    """
    from ..utils._pytree import treespec_dumps
    if device not in _DEVICES:
        raise ValueError(f"device must be one of {_DEVICES}, got {device!r}")
    ep = _decomposed(ep)
    inputs, constants, mutations = _io(ep)
    text = ModuleText(ep.graph_module, device)
    top = _Writer(text, ep.graph, ep.graph_module)
    arrays = state_arrays(ep)
    mutated = {name for _, kind, name in mutations if kind == "state"}
    inline = sum(a.nbytes for _, a in arrays) <= inline_weights_max_bytes
    wlines, blob = weight_lines(arrays, mutated, inline, weights_file)
    user_names = [n for n, _ in inputs]
    placeholders = {n.name: n for n in ep.graph.nodes if n.op == "placeholder"}
    hoisted = top.hoistable([placeholders[name] for name, _ in arrays if name not in mutated])
    # the weights and the views of them computed once, at load, and unpacked on each call
    consts = [top.names[placeholders[name]] for name, _ in arrays] + [top.names[n] for n in hoisted]
    prepare = ["def _prepare():",
               '    """The weights and the views of them the program takes, computed once at load."""',
               *(f"    {top.names[placeholders[name]]} = STATE[{name!r}]" for name, _ in arrays)]
    prepare += ["    " + line for n in hoisted for line in top.node_lines(n)]
    prepare.append(f"    return ({', '.join(consts)}{',' if len(consts) == 1 else ''})")
    prologue = ["_check_inputs(args)"]
    if user_names:
        prologue.append(f"{', '.join(top.names[top_node] for top_node in _user_nodes(ep, user_names))}"
                        f"{',' if len(user_names) == 1 else ''} = args")
    if consts:
        prologue.append(f"{', '.join(consts)}{',' if len(consts) == 1 else ''} = _CONSTS")
    forward = top.function("forward", "Run the program on the flat user inputs; a tuple of the flat outputs.",
                           params=["*args"], prologue=prologue, skip=set(hoisted),
                           finish=lambda out: _finish(top, out, mutations))
    check = check_lines(inputs, dict(ep.range_constraints), _relations(ep), top.dtype_text)
    in_spec = json.loads(treespec_dumps(ep.call_spec.in_spec))
    out_spec = json.loads(treespec_dumps(ep.call_spec.out_spec))
    src = _header(ep, device, inline) + [
        f"IN_SPEC = {in_spec!r}", f"OUT_SPEC = {out_spec!r}",
        f"INPUT_NAMES = {user_names!r}",
        f"CONSTANT_INPUTS = {constants!r}   # flat positions of non-tensor inputs, fixed at export (not passed)",
        f"DEVICE = {device!r}", "", ""]
    src += _prelude_lines(text.helpers, device)
    src += [CHECK_ARRAY, "", "", *check, "", "",
            "def _first(v):", '    """A graph result that is a 1-tuple, unwrapped."""',
            "    return v[0] if isinstance(v, (tuple, list)) else v", "", ""]
    src += wlines + ["", "", "STATE = _load_state()", "", "", *prepare, "", "", "_CONSTS = _prepare()", "", ""]
    for fn in text.functions:
        src += fn + ["", ""]
    src += forward
    return "\n".join(src) + "\n", blob


def _user_nodes(ep, names):
    by_name = {n.name: n for n in ep.graph.nodes if n.op == "placeholder"}
    return [by_name[n] for n in names]


def _finish(writer, out, mutations):
    values = list(out.args[0]) if isinstance(out.args[0], (list, tuple)) else [out.args[0]]
    lines = []
    done = set()
    for i, kind, name in mutations:
        target = f"STATE[{name!r}]" if kind == "state" else writer.names[_by_name(writer, name)]
        lines.append(f"xp.copyto({target}, {writer.v(values[i])})   # write back {kind} {name}")
        done.add(i)
    outs = []
    for i, v in enumerate(values):
        if i in done or v is None:      # None is no pytree leaf: OUT_SPEC has no place for it
            continue
        val = v.meta.get("val") if hasattr(v, "meta") else None
        text = writer.v(v)
        outs.append(f"xp.asarray({text})" if getattr(val, "dim", None) and val.dim() == 0 else text)
    lines.append(f"return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")
    return lines


def _by_name(writer, name):
    return next(n for n in writer.nodes if n.name == name)


def _header(ep, device, inline):
    imports = ["import base64" if inline else "import os", "import math", "", "import numpy as np"]
    imports.append("import numpy as xp" if device == "cpu" else "import cupy as xp")
    ops = sum(1 for n in ep.graph.nodes if n.op == "call_function")
    return ['"""Generated by minexport.codegen: a program of %d ops as NumPy code, standalone.' % ops, "",
            "forward(*arrays) -> tuple of arrays, over the flat user inputs and outputs (IN_SPEC and",
            "OUT_SPEC are their pytree specs in torch's JSON form).  Inputs are checked first",
            "(_check_inputs); buffers the program mutates live in STATE and are updated in place.",
            '"""', *imports, "", ""]


def _prelude_lines(helpers, device):
    lines = []
    if "_erf" in helpers:
        if device == "cpu":
            from ..runtime import special
            lines += ["# ---- erf, from minexport/runtime/special.py (pure NumPy) ----",
                      inspect.getsource(special).replace("import numpy as np\n", ""),
                      "_erf = erf", "", ""]
        else:
            lines += ["from cupyx.scipy.special import erf as _erf", "", ""]
    for name in helpers:
        if name == "_erf":
            continue
        lines += [inspect.getsource(getattr(_prelude, name)).rstrip(), "", ""]
    return lines


def write_module(ep, path, *, device="cpu", inline_weights_max_bytes=DEFAULT_INLINE_MAX_BYTES):
    """Write the generated module for ep to `path` (and its weights beside it); returns path."""
    path = os.path.abspath(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    src, blob = generate(ep, device=device, inline_weights_max_bytes=inline_weights_max_bytes,
                         weights_file=stem + ".bin")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(src)
    if blob is not None:
        with open(os.path.join(os.path.dirname(path), stem + ".bin"), "wb") as f:
            f.write(blob)
    return path
