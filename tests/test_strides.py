"""Strides, storage offsets and contiguity: minexport's equal torch's, for real tensors (the kernels) and
fake ones (the meta functions), and export records what torch records because of layout.

Each row of the table applies the same function to the same input in torch and in minexport; the inputs
come in several layouts (contiguous, transposed, sliced with a step, offset, permuted, expanded,
channels-last).  A fake input carries torch's strides and offset of that input.
"""
import numpy as np
import pytest

import minexport as me
from minexport._tensor import make_fake
from minexport._trace_state import Tracer, tracing

torch = pytest.importorskip("torch")

_BASE = np.random.default_rng(7).standard_normal(400).astype(np.float32)


def _dense(L, *shape):
    n = int(np.prod(shape))
    return L.from_numpy(_BASE[:n].copy().reshape(shape))


# input layouts: a (2, 3, 4) tensor (a 4-d one for "cl") built by the same calls in both libraries
INPUTS = {
    "contig": lambda L: _dense(L, 2, 3, 4),
    "transposed": lambda L: _dense(L, 2, 4, 3).transpose(1, 2),
    "stepped": lambda L: _dense(L, 2, 3, 8)[:, :, ::2],
    "offset": lambda L: _dense(L, 3, 3, 4)[1:],
    "permuted": lambda L: _dense(L, 4, 2, 3).permute(1, 2, 0),
    "expanded": lambda L: _dense(L, 1, 3, 4).expand(2, 3, 4),
    "unit": lambda L: _dense(L, 2, 1, 4).transpose(0, 1),
    "cl": lambda L: _dense(L, 2, 3, 4, 5).permute(0, 2, 3, 1).permute(0, 3, 1, 2),
}

# (name, function of (library, x)): views, then layout-sensitive ops that make new tensors
VIEWS = {
    "view": lambda L, x: x.view(6, 4) if x.ndim == 3 else x.view(6, 20),
    "view_flat": lambda L, x: x.view(-1),
    "view_split_last": lambda L, x: x.view(*x.shape[:-1], 2, -1),
    "view_merge_first": lambda L, x: x.view(-1, *x.shape[2:]),
    "reshape": lambda L, x: x.reshape(6, -1),
    "reshape_flat": lambda L, x: x.reshape(-1),
    "reshape_unit": lambda L, x: x.reshape(1, *x.shape),
    "flatten": lambda L, x: x.flatten(1),
    "unflatten": lambda L, x: x.unflatten(-1, (2, -1)),
    "permute": lambda L, x: x.permute(2, 0, 1, *range(3, x.ndim)),
    "transpose": lambda L, x: x.transpose(0, 2),
    "mT": lambda L, x: x.mT,
    "t": lambda L, x: x[0].t(),
    "unsqueeze0": lambda L, x: x.unsqueeze(0),
    "unsqueeze1": lambda L, x: x.unsqueeze(1),
    "unsqueeze_last": lambda L, x: x.unsqueeze(-1),
    "squeeze": lambda L, x: x[:, :1].squeeze(),
    "squeeze_dim": lambda L, x: x[:, :1].squeeze(1),
    "expand": lambda L, x: x[:, :1].expand(-1, 5, *x.shape[2:]),
    "expand_new": lambda L, x: x.expand(1, 3, *x.shape),
    "slice": lambda L, x: x[:, 1:],
    "slice_step": lambda L, x: x[..., 1::2],
    "select": lambda L, x: x[1],
    "select_mid": lambda L, x: x[:, 2],
    "narrow": lambda L, x: x.narrow(2, 1, 2),
    "split": lambda L, x: x.split(2, dim=2),
    "chunk": lambda L, x: x.chunk(2, dim=1),
    "unbind": lambda L, x: x.unbind(1),
    "detach": lambda L, x: x.detach(),
    "diagonal": lambda L, x: x.diagonal(),
    "diagonal_off": lambda L, x: x.diagonal(1, 1, 2),
    "diagonal_neg": lambda L, x: x.diagonal(-1, -1, 0),
    "as_strided": lambda L, x: x.as_strided((2, 2), (1, 2)),
    "as_strided_off": lambda L, x: x.as_strided((3,), (2,), 1),
    "view_as": lambda L, x: x.view_as(L.zeros(*x.shape).unsqueeze(0)),
    "expand_as": lambda L, x: x[:1].expand_as(x),
    "reshape_as": lambda L, x: x.reshape_as(L.zeros(x.numel())),
    "contiguous": lambda L, x: x.contiguous(),
    "movedim": lambda L, x: x.movedim(0, 2),
    "movedim_list": lambda L, x: L.movedim(x, [0, 1], [2, 0]),
    "unfold": lambda L, x: x.unfold(2, 2, 1),
    "unfold_step": lambda L, x: x.unfold(1, 2, 2),
}

COPIES = {
    "clone": lambda L, x: x.clone(),
    "clone_contig": lambda L, x: x.clone(memory_format=L.contiguous_format),
    "clone_preserve": lambda L, x: x.clone(memory_format=L.preserve_format),
    "empty_like": lambda L, x: L.empty_like(x),
    "zeros_like": lambda L, x: L.zeros_like(x),
    "ones_like": lambda L, x: L.ones_like(x),
    "full_like": lambda L, x: L.full_like(x, 2.0),
    "rand_like": lambda L, x: L.rand_like(x),
    "to_double": lambda L, x: x.to(L.float64),
    "to_int": lambda L, x: x.to(L.int32),
    "add_scalar": lambda L, x: x + 1,
    "exp": lambda L, x: x.exp(),
    "relu": lambda L, x: x.relu(),
    "add_contig": lambda L, x: x + _dense(L, *x.shape),
    "add_rev": lambda L, x: _dense(L, *x.shape) + x,
    "mul_broadcast": lambda L, x: x * _dense(L, x.shape[-1]),
    "mul_broadcast_mid": lambda L, x: x * _dense(L, x.shape[0], 1, *x.shape[2:]),
    "self_add": lambda L, x: x + x,
    "where": lambda L, x: L.where(x > 0, x, 0.0),
    "clamp": lambda L, x: x.clamp(-1, 1),
}

CL_ONLY = {
    "conv2d": lambda L, x: L.nn.functional.conv2d(x, _dense(L, 4, 3, 3, 3)),
    "conv2d_cl_weight": lambda L, x: L.nn.functional.conv2d(
        x, _dense(L, 4, 3, 3, 3).contiguous(memory_format=L.channels_last), padding=1),
    "add_cl": lambda L, x: x + x,
    "mul_cl_contig": lambda L, x: x * _dense(L, *x.shape),
    "contiguous_cl": lambda L, x: x.contiguous(memory_format=L.channels_last),
    "clone_cl": lambda L, x: x.clone(memory_format=L.channels_last),
    "empty_like_cl": lambda L, x: L.empty_like(x, memory_format=L.channels_last),
}

def _layout(t):
    fmts = ["contiguous_format"] + (["channels_last"] if t.ndim == 4 else [])
    return (tuple(t.shape), tuple(t.stride()), t.storage_offset(),
            tuple(t.is_contiguous(memory_format=getattr(torch, f) if isinstance(t, torch.Tensor) else f)
                  for f in fmts))


def _layouts(out):
    if isinstance(out, (list, tuple)):
        return [_layout(t) for t in out]
    return _layout(out)


def _run(L, fn, x):
    try:
        return _layouts(fn(L, x)), None
    except (RuntimeError, IndexError, ValueError) as e:
        return None, e


class _MetaOnly(Tracer):
    """Runs every op's meta function: fake tensors in, fake tensors out."""

    def __call__(self, op, args, kwargs):
        return op.meta(*args, **kwargs)


def _fake_of(t):
    return make_fake(tuple(t.shape), me.float32, strides=t.stride(), storage_offset=t.storage_offset())


def _cases(table, inputs):
    return [(i, n) for i in inputs for n in table]


def _check(table, input_name, name):
    fn = table[name]
    tx = INPUTS[input_name](torch)
    if input_name != "cl" and name in ("view", "permute") and tx.ndim != 3:
        pytest.skip("3-d row")
    expected, terr = _run(torch, fn, tx)
    mx = INPUTS[input_name](me)
    assert _layout(mx) == _layout(tx), "the inputs themselves"
    got, err = _run(me, fn, mx)
    with tracing(_MetaOnly()):
        fake, ferr = _run(me, fn, _fake_of(tx))
    if terr is not None:
        assert err is not None and ferr is not None, f"torch raised {terr!r}; real {got}, fake {fake}"
        if "view size is not compatible" in str(terr):
            assert "view size is not compatible" in str(err) and "view size is not compatible" in str(ferr)
        return
    assert err is None and ferr is None, f"real raised {err!r}, fake raised {ferr!r}"
    assert got == expected, "real"
    assert fake == expected, "fake"


@pytest.mark.parametrize("input_name,name", _cases(VIEWS, INPUTS))
def test_view_layouts_match_torch(input_name, name):
    _check(VIEWS, input_name, name)


@pytest.mark.parametrize("input_name,name", _cases(COPIES, INPUTS))
def test_new_tensor_layouts_match_torch(input_name, name):
    _check(COPIES, input_name, name)


@pytest.mark.parametrize("input_name,name", _cases(CL_ONLY, ["cl", "contig4"]))
def test_channels_last_layouts_match_torch(input_name, name):
    _check(CL_ONLY, input_name, name)


INPUTS["contig4"] = lambda L: _dense(L, 2, 3, 4, 5)


_QUERIES = {
    "BHLE": lambda x: x.view(2, 3, 5, 4),
    "BLHE": lambda x: x.view(2, 5, 3, 4).transpose(1, 2),
    "LBHE": lambda x: x.view(5, 2, 3, 4).permute(1, 2, 0, 3),
    "BHEL": lambda x: x.view(2, 3, 4, 5).transpose(2, 3),
    "stepped": lambda x: x.view(2, 3, 5, 8)[..., ::2],
    "split": lambda x: x.view(2, 5, 24)[..., 4:16].reshape(2, 5, 3, 4).transpose(1, 2),
}


@pytest.mark.parametrize("query", list(_QUERIES))
@pytest.mark.parametrize("masked", [False, True])
def test_attention_output_layout_matches_torch(query, masked):
    def attend(L, x):
        q = _QUERIES[query](x)
        k = q.contiguous()
        mask = L.ones(5, 5, dtype=L.bool).tril() if masked else None
        return L.nn.functional.scaled_dot_product_attention(q, k, k, attn_mask=mask)

    INPUTS["heads"] = lambda L: _dense(L, 240)
    _check({"attend": attend}, "heads", "attend")


def test_eager_views_share_memory_with_their_layout():
    """A real view's array is the view torch describes: a write through it lands where torch's does."""
    for build in (lambda L, x: x.transpose(1, 2).unsqueeze(1).view(2, 1, 2, 2, 3),
                  lambda L, x: x[:, 1:].diagonal(0, 1, 2),
                  lambda L, x: x.as_strided((2, 3), (5, 2), 1),
                  lambda L, x: x.transpose(0, 2).unsqueeze(1).as_strided((2, 2), (3, 1), 4),
                  lambda L, x: x[1:].unsqueeze(0).diagonal(0, 2, 3).as_strided((3,), (2,), 2)):
        tx, mx = _dense(torch, 2, 3, 4), _dense(me, 2, 3, 4)
        tv, mv = build(torch, tx), build(me, mx)
        tv.fill_(7.0) if tv.numel() else None
        mv.fill_(7.0) if mv.numel() else None
        np.testing.assert_array_equal(mx.numpy(), tx.numpy())


def test_view_error_is_torchs():
    x = me.zeros(2, 3, 4).transpose(1, 2)
    with pytest.raises(RuntimeError, match=r"view size is not compatible with input tensor's size and stride"):
        x.view(2, 12)
    with tracing(_MetaOnly()), pytest.raises(RuntimeError, match="Use .reshape"):
        make_fake((2, 4, 3), me.float32, strides=(12, 1, 4)).view(2, 12)


def test_memory_format_queries():
    x = me.zeros(2, 3, 4, 5)
    cl = x.contiguous(memory_format=me.channels_last)
    assert cl.stride() == (60, 1, 15, 3) and cl.is_contiguous(me.channels_last) and not cl.is_contiguous()
    assert x.contiguous() is x
    with pytest.raises(RuntimeError, match="required rank 4"):
        me.zeros(2, 3).contiguous(memory_format=me.channels_last)


# ------------------------------------------------------------------ export --
class _Fn(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class _MeFn(me.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


EXPORTS = {
    "contiguous_of_transpose": lambda L, x: x.transpose(1, 2).contiguous(),
    "contiguous_noop": lambda L, x: x.contiguous() + 1,
    "reshape_of_transpose": lambda L, x: x.transpose(1, 2).reshape(2, 12),
    "reshape_viewable": lambda L, x: x.transpose(0, 1).reshape(3, 2, 2, 2),
    "flatten_of_transpose": lambda L, x: x.transpose(1, 2).flatten(1),
    "clone_of_transpose": lambda L, x: x.transpose(1, 2).clone(),
    "channels_last": lambda L, x: x.unsqueeze(0).contiguous(memory_format=L.channels_last),
    "pointwise_then_view": lambda L, x: (x.transpose(1, 2) * 2).reshape(2, 12),
    "slice_then_view": lambda L, x: x[:, :, ::2].reshape(-1),
    "view_of_transpose": lambda L, x: x.transpose(1, 2).view(2, 12),
    "to_contiguous_format": lambda L, x: x.transpose(1, 2).to(L.float64).view(2, 12),
}


def _targets(gm):
    return [str(n.target).replace("aten::", "aten.") for n in gm.graph.nodes if n.op == "call_function"]


def _torch_targets(gm):
    out = []
    for n in gm.graph.nodes:
        if n.op == "call_function":
            out.append(str(n.target))
    return out


@pytest.mark.parametrize("name", list(EXPORTS))
def test_export_records_what_torch_records(name):
    fn = EXPORTS[name]
    tx, mx = _dense(torch, 2, 3, 4), _dense(me, 2, 3, 4)
    try:
        tep = torch.export.export(_Fn(lambda x: fn(torch, x)), (tx,))
    except Exception as e:
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            me.export.export(_MeFn(lambda x: fn(me, x)), (mx,))
        assert "view" in str(e).lower()
        return
    mep = me.export.export(_MeFn(lambda x: fn(me, x)), (mx,))
    assert _targets(mep.graph_module) == _torch_targets(tep.graph_module)
    assert mep.graph_module.code.strip() == tep.graph_module.code.strip()
    tdec, mdec = tep.run_decompositions(), mep.run_decompositions()
    assert mdec.graph_module.code.strip() == tdec.graph_module.code.strip()
    for tn, mn in zip(tdec.graph.nodes, mdec.graph.nodes):
        tv, mv = tn.meta.get("val"), mn.meta.get("val")
        if isinstance(tv, torch.Tensor):
            assert tuple(mv.stride()) == tuple(tv.stride()), mn.name


def test_non_contiguous_input_exports_as_torch():
    """An example input's layout reaches its placeholder: reshape of a transposed input copies, as torch's."""
    tx = _dense(torch, 4, 3).t()
    mx = _dense(me, 4, 3).t()
    tep = torch.export.export(_Fn(lambda x: x.reshape(-1) + 1), (tx,))
    mep = me.export.export(_MeFn(lambda x: x.reshape(-1) + 1), (mx,))
    assert mep.graph_module.code.strip() == tep.graph_module.code.strip()
    assert mep.run_decompositions().graph_module.code.strip() == tep.run_decompositions().graph_module.code.strip()
    placeholder = next(n for n in mep.graph.nodes if n.op == "placeholder")
    assert placeholder.meta["val"].stride() == (1, 3)


def test_archive_keeps_graph_layouts(tmp_path):
    mx = _dense(me, 2, 3, 4)
    ep = me.export.export(_MeFn(lambda x: x.transpose(1, 2)[:, 1:] * 2), (mx,))
    path = tmp_path / "layout.pt2"
    me.export.save(ep, str(path))
    loaded = me.export.load(str(path))
    before = [(n.name, n.meta["val"].stride(), n.meta["val"].storage_offset())
              for n in ep.graph.nodes if isinstance(n.meta.get("val"), me.Tensor)]
    after = [(n.name, n.meta["val"].stride(), n.meta["val"].storage_offset())
             for n in loaded.graph.nodes if isinstance(n.meta.get("val"), me.Tensor)]
    assert after == before
    assert [s for _, s, _ in before] == [(12, 4, 1), (12, 1, 4), (12, 1, 4), (9, 1, 3)]
    assert [o for _, _, o in before] == [0, 0, 1, 0]


# ------------------------------------------------- every sampled op, meta vs kernel --
_COPIES = {"clone", "_to_copy", "empty_like", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like",
           "contiguous", "to", "empty_strided", "as_strided", "convolution", "conv2d"}


def _layout_ops():
    from op_samples import SAMPLES
    from minexport.ops._registry import aten
    out = []
    for name in sorted(SAMPLES):
        op = eval(name, {"aten": aten})
        if op.meta is not None and ({"view", "pointwise"} & set(op.tags) or op.op_name in _COPIES):
            out.append(name)
    return out


def _fake_arg(x):
    if isinstance(x, me.Tensor):
        return make_fake(x.shape, x.dtype, x.device, strides=x.stride(), storage_offset=x.storage_offset())
    if isinstance(x, list):
        return [_fake_arg(y) for y in x]
    return x


def _real_layout(o):
    if isinstance(o, me.Tensor):
        # NumPy does not move the start of an empty slice, so an empty view's offset is not compared
        return (tuple(o.shape), o.stride(), o.storage_offset() if o.numel() else None)
    if isinstance(o, (list, tuple)):
        return [_real_layout(x) for x in o]
    return None


@pytest.mark.parametrize("name", _layout_ops())
def test_meta_layout_matches_kernel(name):
    """Views, pointwise ops and copies: the meta function on fakes with the samples' layouts gives the
    strides and storage offset the kernel's array has."""
    from op_samples import SAMPLES
    from minexport.ops._registry import aten
    op = eval(name, {"aten": aten})
    for s in SAMPLES[name]():
        try:
            real = op(*s.args, **s.kwargs)
        except (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError):
            continue
        try:
            fake = op.meta(*[_fake_arg(a) for a in s.args], **{k: _fake_arg(v) for k, v in s.kwargs.items()})
        except RuntimeError as e:
            if "data-dependent" in str(e):      # sizes read from a tensor's values: no fake answer to compare
                continue
            raise
        assert _real_layout(fake) == _real_layout(real), f"{name}{s}"


@pytest.mark.parametrize("call", ["x.to(device=x.device)", "x.to('cpu')", "x.to('cpu', copy=True)",
                                  "x.to('cpu', L.float64)", "x.to(dtype=L.float64, device='cpu')",
                                  "x.to(L.float64)"])
def test_to_overload_is_torchs(call):
    """`to` records torch's overload: a device alone is to.dtype_layout (options filled from self), a device
    with a dtype to.device, a dtype alone to.dtype."""
    def fn(L, x):
        return eval(call, {"L": L, "x": x}) + 1

    tep = torch.export.export(_Fn(lambda x: fn(torch, x)), (_dense(torch, 2, 3),))
    mep = me.export.export(_MeFn(lambda x: fn(me, x)), (_dense(me, 2, 3),))
    assert mep.graph_module.code.strip() == tep.graph_module.code.strip()


def test_to_memory_format_records_what_torch_records():
    """`x.to(memory_format=...)` is torch's `to.dtype_layout` in the training graph and a `_to_copy` after
    run_decompositions (beside the `_assert_tensor_metadata` both keep)."""
    fn = lambda L, x: x.unsqueeze(0).to(memory_format=L.channels_last) * 2      # noqa: E731
    tx, mx = _dense(torch, 2, 3, 4), _dense(me, 2, 3, 4)
    tep = torch.export.export(_Fn(lambda x: fn(torch, x)), (tx,))
    mep = me.export.export(_MeFn(lambda x: fn(me, x)), (mx,))
    assert mep.graph_module.code.strip() == tep.graph_module.code.strip()
    tcopy = [n for n in tep.run_decompositions().graph.nodes if "_to_copy" in str(n.target)]
    mcopy = [n for n in mep.run_decompositions().graph.nodes if "_to_copy" in str(n.target)]
    def plain(n):      # each library's spelling of dtype/layout/device/format, by its last name
        return {k: str(v).split(".")[-1] for k, v in n.kwargs.items()}

    assert [plain(n) for n in mcopy] == [plain(n) for n in tcopy]
    assert mcopy[0].meta["val"].stride() == tuple(tcopy[0].meta["val"].stride())
