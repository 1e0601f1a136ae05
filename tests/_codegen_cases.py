"""Shared by test_codegen.py and bench: export a conformance-style case file, write its module, compare.

A case file defines `model`, `example_args`, and optionally `dynamic_shapes` and
`extra_inputs` (more argument tuples to run); it is torch-written and runs under
`minexport.compat.as_torch()`.
"""
import importlib.util
import itertools

import numpy as np

import minexport
from case_files import case_module
from minexport.codegen import write_module
from minexport.compat import as_torch
from minexport.utils import _pytree as pytree

_ids = itertools.count()


def load_case(path):
    """(ep, [(args, kwargs)]) of a case file, exported by minexport."""
    with as_torch() as torch:
        mod = case_module(path)
        args, kwargs = tuple(mod.example_args), dict(getattr(mod, "example_kwargs", {}))
        ep = torch.export.export(mod.model, args, kwargs, dynamic_shapes=getattr(mod, "dynamic_shapes", None))
    return ep, [(args, kwargs)] + [(tuple(a), kwargs) for a in getattr(mod, "extra_inputs", [])]


def import_path(path):
    """Import a generated module from its path."""
    spec = importlib.util.spec_from_file_location(f"_cg_mod_{next(_ids)}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def clone_args(args):
    return pytree.tree_map(lambda t: t.clone() if isinstance(t, minexport.Tensor) else t, args)


def compare(ep, gen, inputs, rtol=1e-4, atol=1e-5, values=True):
    """Run ep.module() and the generated module on copies of inputs (args, kwargs); assert equal outputs
    and equal in-place updates of the inputs."""
    ref_args, gen_args = clone_args(inputs), clone_args(inputs)
    want = pytree.tree_leaves(ep.module()(*ref_args[0], **ref_args[1]))
    flat = [x for i, x in enumerate(pytree.tree_leaves(gen_args)) if i not in set(gen.CONSTANT_INPUTS)]
    arrays = [x.numpy() if isinstance(x, minexport.Tensor) else x for x in flat]
    got = gen.forward(*arrays)
    want = [w for w in want if isinstance(w, minexport.Tensor) or isinstance(w, (int, float))]
    assert len(got) == len(want), f"{len(got)} outputs, ep.module() gives {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        if isinstance(w, minexport.Tensor):
            w = w.numpy()
            assert g.dtype == w.dtype, f"output {i}: dtype {g.dtype} vs {w.dtype}"
            assert g.shape == w.shape, f"output {i}: shape {g.shape} vs {w.shape}"
            if values:          # (not for ops whose values are unspecified: empty, random)
                np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"output {i}")
        else:
            assert g == w, f"output {i}: {g} vs {w}"
    for i, (a, b) in enumerate(zip(pytree.tree_leaves(ref_args), pytree.tree_leaves(gen_args))):
        if isinstance(a, minexport.Tensor):
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=rtol, atol=atol, err_msg=f"mutated input {i}")


def generate_case(path, out_dir, **kw):
    ep, inputs = load_case(path)
    p = write_module(ep, str(out_dir / "gen.py"), **kw)
    return ep, inputs, import_path(p)
