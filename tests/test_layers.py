"""The import graph of `minexport/` follows the layers of DESIGN.md, with no circles.

Every import statement counts, including the ones inside functions: a
function-local import that goes up a layer is still a knot, only a hidden one.
Loads by name (`importlib.import_module`) are not seen; the one place that uses
them is the `minexport` package's `__getattr__`, which makes `minexport.nn`,
`minexport.export` ... reachable as attributes of the public namespace without
importing them up front.  Layers, from the bottom:

    base     dtypes, runtime, symbolic, utils, the Tensor record (`_tensor`),
             the tracing context, the symbolic marker, random state
    ops      the registry, schemas, kernels and meta functions (`ops/`)
    tensor   the torch-like surface built on the registry: factories,
             functions, methods, indexing, printing, cond/map, the package
    nn       modules, layers, functional
    fx       Node, Graph, GraphModule, Interpreter
    export   export(), ExportedProgram, passes, verifier
    top      serde, the CLI, `compat`, and the `minexport.export` package
             itself (torch.export's namespace: export() and save/load);
             `runtime.dask` (runs archives on Dask) though it sits in runtime/

A module may import modules of its own layer or below, and no set of modules
may import each other in a circle.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "minexport"

# (layer, package or module names), bottom first: a name covers the module and everything below it.
LAYERS = [
    ("base", ["minexport.dtypes", "minexport.runtime", "minexport.symbolic", "minexport.utils",
              "minexport._tensor", "minexport._trace_state", "minexport._symbolic_marker", "minexport._random",
              "minexport._user_errors", "minexport._sym_functions"]),
    ("ops", ["minexport.ops"]),
    ("tensor", ["minexport._factories", "minexport._functions", "minexport._tensor_methods",
                "minexport._indexing", "minexport._tensor_str", "minexport._shape_functions",
                "minexport._math_functions", "minexport.control_flow", "minexport._loops", "minexport.autograd",
                "minexport.library", "minexport._infer_schema", "minexport._fake_impl", "minexport._opcheck"]),
    ("nn", ["minexport.nn"]),
    ("fx", ["minexport.fx"]),
    ("export", ["minexport.export"]),
    ("top", ["minexport.serde", "minexport.__main__", "minexport.compat", "minexport.codegen",
             "minexport._export", "minexport.conform",
             "minexport.runtime.dask"]),     # runs programs on Dask: loads archives, uses the runner
]
# Package modules (their __init__) placed apart from what they contain.
PACKAGES = {"minexport": "tensor", "minexport.export": "top"}
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}


def layer_of(module):
    """The layer of `module` (a dotted name): PACKAGES first, then the longest matching LAYERS name."""
    if module in PACKAGES:
        return PACKAGES[module]
    best, best_len = None, -1
    for name, prefixes in LAYERS:
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = name, len(p)
    return best


def module_names():
    """{dotted module name: path} for every .py file under minexport/."""
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports_of(module, path, known):
    """The minexport modules `module` imports anywhere in its file (top level or inside functions)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in known:
                    found.add(f"{source}.{alias.name}")
                elif source in known:
                    found.add(source)
    found.discard(module)
    return found


def import_graph():
    """{module: set of imported minexport modules}."""
    known = module_names()
    return {m: imports_of(m, p, known) for m, p in known.items()}


def circles(graph):
    """Strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_every_module_has_a_layer():
    unplaced = [m for m in module_names() if layer_of(m) is None]
    assert not unplaced, f"add these modules to a layer in tests/test_layers.py: {unplaced}"


def test_imports_never_go_up_a_layer():
    upward = [f"{m} ({layer_of(m)}) imports {dep} ({layer_of(dep)})"
              for m, deps in sorted(import_graph().items()) for dep in sorted(deps)
              if RANK[layer_of(dep)] > RANK[layer_of(m)]]
    assert not upward, "imports that go up a layer:\n  " + "\n  ".join(upward)


def test_no_import_circles():
    found = circles(import_graph())
    assert not found, "modules that import each other in a circle:\n  " + "\n  ".join(map(str, found))


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
])
def test_circle_finder(graph, expected):
    assert circles(graph) == expected
