"""Case files (tests/conformance_cases, tests/model_corpus) executed once per test process.

A case file may register custom ops, which cannot be defined twice in one process (as in torch), so every
test that reads a case file in-process shares its one module object.  Call it inside `as_torch()`, as the
case files are written against torch.
"""
import importlib.util
import pathlib
import sys

_MODULES = {}


def case_module(path):
    """The executed module of the case file at `path` (the same object on every call)."""
    path = pathlib.Path(path).resolve()
    module = _MODULES.get(path)
    if module is None:
        spec = importlib.util.spec_from_file_location(f"_case_{len(_MODULES)}_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        _MODULES[path] = module
    return module
