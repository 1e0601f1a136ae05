"""Every minexport API that a message or docstring names exists.

Errors teach by naming the fix ("register it with minexport.utils._pytree...",
"use minexport.cond"); a fix that names a module or function that does not
exist misleads.  This scans every string literal in minexport/ for dotted
`minexport.<...>` names and resolves each one.
"""
import ast
import importlib
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent / "minexport"
_NAME = re.compile(r"(?<![\w.])minexport(?:\.[A-Za-z_]\w*)+")


def named_apis():
    """{dotted name: first 'file:line' naming it} over all string literals in minexport/."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for name in _NAME.findall(node.value):
                    found.setdefault(name, f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    return found


def resolves(dotted):
    """True when `dotted` is an importable module or an attribute path below one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_named_apis_exist():
    names = named_apis()
    assert len(names) > 10       # the scan finds the names messages use
    missing = [f"{name} (named at {where})" for name, where in sorted(names.items()) if not resolves(name)]
    assert not missing, "messages name minexport APIs that do not exist:\n  " + "\n  ".join(missing)


def test_the_scan_catches_a_missing_api():
    assert not resolves("minexport.no_such_module")
    assert not resolves("minexport.export.no_such_function")
    assert resolves("minexport.utils._pytree.register_pytree_node")
