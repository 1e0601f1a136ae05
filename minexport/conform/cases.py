"""Reading conformance cases: folders holding case.json, model.pt2 and the .npy arrays."""
import dataclasses
import fnmatch
import importlib.util
import json
import pathlib

import numpy as np

__all__ = ["Case", "find_cases", "read_known", "register_needs"]

_REQUIRED = ("ops", "torch", "dialect", "rtol", "atol", "expect", "about")


class Case:
    """One vector: its folder, its id ("<group>/<case>") and the fields of its case.json."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.id = f"{self.path.parent.name}/{self.path.name}"
        try:
            self.meta = json.loads((self.path / "case.json").read_text())
        except (OSError, ValueError) as e:
            raise ValueError(f"{self.path}: unreadable case.json ({e})") from None
        missing = [k for k in _REQUIRED if k not in self.meta]
        if missing:
            raise ValueError(f"{self.path}/case.json lacks {missing}")
        if self.meta["expect"] not in ("run", "error"):
            raise ValueError(f"{self.path}/case.json: expect is {self.meta['expect']!r}, not 'run' or 'error'")

    @property
    def archive(self):
        """The path of the case's model.pt2 (as a string)."""
        return str(self.path / "model.pt2")

    def _arrays(self, stem):
        out, i = [], 0
        while (self.path / f"{stem}_{i}.npy").exists():
            out.append(np.load(self.path / f"{stem}_{i}.npy", allow_pickle=False))
            i += 1
        return out

    def inputs(self):
        """The flat user inputs, in order, as fresh NumPy arrays."""
        return self._arrays("input")

    def outputs(self):
        """The expected flat user outputs (none for expect: "error")."""
        return self._arrays("output")

    def __repr__(self):
        return f"Case({self.id})"


def find_cases(paths, pattern=None):
    """The cases under `paths` (case folders or trees holding them), sorted by id, de-duplicated.

    `pattern` keeps the cases whose id contains it, or matches it as a glob (`ops/add*`).
    """
    found = {}
    for p in paths:
        root = pathlib.Path(p)
        if not root.exists():
            raise FileNotFoundError(f"no such conformance path: {p}")
        folders = [root] if (root / "case.json").exists() else [c.parent for c in root.rglob("case.json")]
        for folder in folders:
            found[folder.resolve()] = folder
    cases = sorted((Case(f) for f in found.values()), key=lambda c: c.id)
    if pattern:
        cases = [c for c in cases if pattern in c.id or fnmatch.fnmatchcase(c.id, pattern)]
    return cases


def read_known(path):
    """{case id: reason} from a known-failures file: one `<group>/<case>  <reason>` a line, `#` comments."""
    known = {}
    for line in pathlib.Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        case_id, _, reason = line.partition(" ")
        known[case_id] = reason.strip()
    return known


_FIXTURES = {}       # fixture path -> its module, imported once (its register() remembers what it made)
_PYTREE_TYPES = {}   # (register_dataclass, serialized type name) -> the dataclass made for it


def register_needs(archive_path, library, register_dataclass):
    """Before loading a vector's archive, register what its case.json says the archive needs
    (spec/conformance.md): `fixture`, a file in the case's group folder whose `register(library)` defines
    its custom ops, and `pytree_types`, {serialized type name: [field names]} of the dataclasses its
    inputs and outputs hold.  `library` is a torch.library-like module (torch.library, minexport.library);
    `register_dataclass(cls, serialized_type_name=...)` is that library's.  A file without a case.json
    beside it needs nothing."""
    case = pathlib.Path(archive_path).parent
    try:
        meta = json.loads((case / "case.json").read_text())
    except OSError:
        return
    if "fixture" in meta:
        path = (case.parent / meta["fixture"]).resolve()
        module = _FIXTURES.get(path)
        if module is None:
            spec = importlib.util.spec_from_file_location(f"_conformance_fixture_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _FIXTURES[path] = module
        module.register(library)
    for type_name, fields in meta.get("pytree_types", {}).items():
        if (register_dataclass, type_name) not in _PYTREE_TYPES:     # each library registers it once
            cls = dataclasses.make_dataclass(type_name.replace(".", "_"), fields)
            register_dataclass(cls, serialized_type_name=type_name)
            _PYTREE_TYPES[register_dataclass, type_name] = cls
