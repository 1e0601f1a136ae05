"""nn breadth (issue 12): pooling, padding, resampling, folds, shuffles, embedding bags and instance norm,
as functions and as layers, against torch with the same inputs; and a few exported graphs against the
ops torch.export records."""
import warnings

import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
import minexport.nn.functional as F
from minexport.export import export

torch = pytest.importorskip("torch")
TF = torch.nn.functional

_rng = np.random.default_rng(7)


def _arr(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


X3, X4, X5 = _arr(2, 3, 8), _arr(2, 3, 8, 7), _arr(1, 2, 4, 6, 6)
GRID = (_rng.random((2, 4, 5, 2)) * 2.4 - 1.2).astype(np.float32)
W = _arr(10, 3)
BAG = np.array([1, 2, 4, 5, 4, 3, 2, 9])


def _to(lib, v):
    if isinstance(v, np.ndarray):
        return torch.from_numpy(v.copy()) if lib == "torch" else me.from_numpy(v.copy())
    if isinstance(v, list):
        return [_to(lib, x) for x in v]
    return v


def _leaves(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _same(ours, theirs, where):
    ours, theirs = _leaves(ours), _leaves(theirs)
    assert len(ours) == len(theirs), where
    for a, b in zip(ours, theirs):
        assert tuple(a.shape) == tuple(b.shape), f"{where}: {tuple(a.shape)} != {tuple(b.shape)}"
        assert a.dtype.name == str(b.dtype).replace("torch.", ""), where
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5, equal_nan=True,
                                   err_msg=where)


def _unpool_inputs(pool, x, k):
    vals, idx = pool(torch.from_numpy(x), k, return_indices=True)
    return vals.numpy(), idx.numpy()


# (function name, args, kwargs): each call runs in torch.nn.functional and minexport.nn.functional
FUNCTIONAL_CASES = [
    *[("interpolate", (x,), dict(scale_factor=s, mode=m, recompute_scale_factor=r))
      for m in ("nearest", "nearest-exact", "area") for x in (X3, X4, X5) for s, r in ((2, None), (1.7, True))],
    *[("interpolate", (x,), dict(size=5, mode=m)) for m in ("nearest", "nearest-exact", "area") for x in (X3, X4, X5)],
    *[("interpolate", (x,), dict(scale_factor=s, mode=m, align_corners=ac, recompute_scale_factor=r))
      for m, x in (("linear", X3), ("bilinear", X4), ("bicubic", X4), ("trilinear", X5))
      for ac in (None, True) for s, r in ((2, None), (0.6, None), (1.3, True))],
    *[("interpolate", (x,), dict(size=5, mode=m, align_corners=True))
      for m, x in (("linear", X3), ("bilinear", X4), ("bicubic", X4), ("trilinear", X5))],
    ("interpolate", (X4,), dict(scale_factor=(1.5, 2), mode="bilinear")),
    ("upsample", (X4,), dict(scale_factor=2)),
    ("upsample_nearest", (X4,), dict(scale_factor=2)),
    ("upsample_bilinear", (X4,), dict(size=(5, 9))),
    *[("pad", (x, p), dict(mode=m)) for m in ("constant", "reflect", "replicate", "circular")
      for x, p in ((X3, (2, 1)), (X4, (2, 1, 1, 3)), (X5, (1, 1, 2, 0, 1, 2)))],
    ("avg_pool1d", (X3, 3, 2, 1), {}), ("avg_pool3d", (X5, 2), {}), ("avg_pool3d", (X5, 3, 2, 1, True, False), {}),
    ("max_pool1d", (X3, 3, 2, 1), {}), ("max_pool1d", (X3, 2), dict(return_indices=True)),
    ("max_pool3d", (X5, 2), {}), ("max_pool3d", (X5, 3, 2, 1), dict(return_indices=True, ceil_mode=True)),
    ("adaptive_avg_pool1d", (X3, 3), {}), ("adaptive_avg_pool3d", (X5, (2, None, 4)), {}),
    ("adaptive_max_pool1d", (X3, 3, True), {}), ("adaptive_max_pool2d", (X4, (3, None), True), {}),
    ("adaptive_max_pool3d", (X5, 3), {}),
    ("lp_pool1d", (X3, 2, 3), {}), ("lp_pool2d", (X4, 3.0, 2, 1), {}), ("lp_pool3d", (X5, 2, 2), {}),
    ("max_unpool1d", (*_unpool_inputs(TF.max_pool1d, X3, 2), 2), {}),
    ("max_unpool2d", (*_unpool_inputs(TF.max_pool2d, X4[..., :6], 2), 2), {}),
    ("max_unpool2d", (*_unpool_inputs(TF.max_pool2d, X4, 2), 2), dict(output_size=(8, 7))),
    ("max_unpool3d", (*_unpool_inputs(TF.max_pool3d, X5, 2), 2), {}),
    ("pixel_shuffle", (_arr(1, 8, 3, 3), 2), {}), ("pixel_unshuffle", (X5[0], 2), {}),
    ("channel_shuffle", (_arr(1, 6, 2, 2), 3), {}), ("native_channel_shuffle", (_arr(1, 6, 2, 2), 3), {}),
    ("unfold", (X4, 3), {}), ("unfold", (X4, (2, 3)), dict(dilation=2, padding=1, stride=(2, 1))),
    ("fold", (_arr(2, 12, 12), (4, 5), 2), {}),
    *[("grid_sample", (X4, GRID), dict(mode=m, padding_mode=p, align_corners=ac))
      for m in ("bilinear", "nearest", "bicubic") for p in ("zeros", "border", "reflection") for ac in (None, True)],
    ("affine_grid", (_arr(2, 2, 3), [2, 3, 4, 5]), {}),
    ("affine_grid", (_arr(2, 2, 3), [2, 3, 4, 5]), dict(align_corners=True)),
    ("affine_grid", (_arr(2, 3, 4), [2, 3, 2, 4, 5]), {}),
    ("one_hot", (np.array([1, 2, 0]), 5), {}), ("one_hot", (np.array([[1, 2], [0, 3]]),), {}),
    *[("embedding_bag", (BAG, W, np.array([0, 2, 2, 5])), dict(mode=m)) for m in ("sum", "mean", "max")],
    *[("embedding_bag", (BAG.reshape(2, 4), W), dict(mode=m, padding_idx=4)) for m in ("sum", "mean", "max")],
    *[("embedding_bag", (BAG, W, np.array([0, 2, 2, 5, 8])), dict(mode=m, include_last_offset=True, padding_idx=-1))
      for m in ("sum", "mean", "max")],
    ("embedding_bag", (BAG, W, np.array([0, 2, 2, 5])), dict(mode="sum", per_sample_weights=_arr(8))),
    ("instance_norm", (X4,), {}),
    ("instance_norm", (X3,), dict(weight=_arr(3), bias=_arr(3))),
    ("instance_norm", (X4,), dict(running_mean=_arr(3), running_var=np.abs(_arr(3)) + 0.5, use_input_stats=False)),
    ("local_response_norm", (X4, 2), {}), ("local_response_norm", (X3, 3), {}),
    ("local_response_norm", (X5, 3, 1e-2, 0.5, 2.0), {}),
]


@pytest.mark.parametrize("case", range(len(FUNCTIONAL_CASES)),
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(FUNCTIONAL_CASES)])
def test_functional_matches_torch(case):
    name, args, kwargs = FUNCTIONAL_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(TF, name)(*_to("torch", list(args)), **{k: _to("torch", v) for k, v in kwargs.items()})
    ours = getattr(F, name)(*_to("me", list(args)), **{k: _to("me", v) for k, v in kwargs.items()})
    _same(ours, theirs, f"F.{name}{kwargs}")


def test_instance_norm_updates_running_stats_as_torch():
    rm, rv = _arr(3), np.abs(_arr(3)) + 0.5
    t_rm, t_rv, m_rm, m_rv = (_to(lib, a) for lib in ("torch", "me") for a in (rm, rv))
    TF.instance_norm(torch.from_numpy(X4.copy()), t_rm, t_rv, momentum=0.3)
    F.instance_norm(me.from_numpy(X4.copy()), m_rm, m_rv, momentum=0.3)
    _same([m_rm, m_rv], [t_rm, t_rv], "running stats")


def test_functional_errors_match_torch():
    for call in (lambda f, x: f.interpolate(x, size=4, scale_factor=2),
                 lambda f, x: f.interpolate(x, scale_factor=2, align_corners=True),
                 lambda f, x: f.interpolate(x, scale_factor=2, mode="bilinear"),
                 lambda f, x: f.grid_sample(x, x, mode="cubic")):
        with pytest.raises(Exception) as theirs:
            call(TF, torch.from_numpy(X3.copy()))
        with pytest.raises(Exception) as ours:
            call(F, me.from_numpy(X3.copy()))
        assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)


# (module name, constructor args, constructor kwargs, input)
MODULE_CASES = [
    ("MaxPool1d", (3,), {}, X3), ("MaxPool3d", (2, 1, 1), {}, X5), ("AvgPool1d", (3,), {}, X3),
    ("AvgPool3d", (2,), {}, X5), ("AdaptiveAvgPool1d", (3,), {}, X3), ("AdaptiveAvgPool3d", ((2, None, 3),), {}, X5),
    ("AdaptiveMaxPool1d", (2,), {}, X3), ("AdaptiveMaxPool2d", (3, True), {}, X4), ("AdaptiveMaxPool3d", (2,), {}, X5),
    ("LPPool1d", (2, 3), {}, X3), ("LPPool2d", (2.0, 3, 1), {}, X4), ("LPPool3d", (2, 2), {}, X5),
    ("ReflectionPad1d", (2,), {}, X3), ("ReflectionPad2d", ((1, 2, 3, 4),), {}, X4), ("ReflectionPad3d", (1,), {}, X5),
    ("ReplicationPad1d", (1,), {}, X3), ("ReplicationPad2d", (2,), {}, X4), ("ReplicationPad3d", (1,), {}, X5),
    ("ZeroPad1d", (1,), {}, X3), ("ZeroPad2d", (2,), {}, X4), ("ZeroPad3d", (1,), {}, X5),
    ("ConstantPad1d", (1, 2.0), {}, X3), ("ConstantPad2d", (2, 1), {}, X4), ("ConstantPad3d", (1, 0.5), {}, X5),
    ("CircularPad1d", (1,), {}, X3), ("CircularPad2d", (1,), {}, X4), ("CircularPad3d", (1,), {}, X5),
    ("Upsample", (), dict(scale_factor=2), X4), ("Upsample", (), dict(size=(3, 4), mode="bilinear",
                                                                     align_corners=True), X4),
    ("Upsample", (), dict(scale_factor=1.5, mode="trilinear"), X5),
    ("UpsamplingNearest2d", (), dict(scale_factor=2), X4), ("UpsamplingBilinear2d", (), dict(size=4), X4),
    ("PixelShuffle", (2,), {}, _arr(1, 8, 3, 3)), ("PixelUnshuffle", (2,), {}, X5[0]),
    ("Fold", ((4, 5), 2), {}, _arr(2, 12, 12)), ("Unfold", (3,), dict(padding=1), X4),
    ("InstanceNorm1d", (3,), {}, X3), ("InstanceNorm2d", (3,), dict(affine=True), X4),
    ("InstanceNorm3d", (2,), dict(track_running_stats=True), X5), ("InstanceNorm2d", (3,), dict(affine=True), X4[0]),
    ("LocalResponseNorm", (2,), {}, X4), ("ChannelShuffle", (3,), {}, _arr(1, 6, 2, 2)),
]


def _copy_state(ours, theirs):
    for name, value in theirs.state_dict().items():
        ours.state_dict()[name].copy_(me.from_numpy(value.detach().numpy().copy()))


@pytest.mark.parametrize("case", range(len(MODULE_CASES)), ids=[c[0] for c in MODULE_CASES])
def test_module_matches_torch(case):
    name, args, kwargs, x = MODULE_CASES[case]
    theirs, ours = getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_state(ours, theirs)
    for train in (True, False):
        ours.train(train)
        theirs.train(train)
        _same(ours(me.from_numpy(x.copy())), theirs(torch.from_numpy(x.copy())), f"{name} train={train}")
    _same(list(ours.state_dict().values()), list(theirs.state_dict().values()), f"{name} state after calls")


def test_embedding_bag_module_matches_torch():
    for kwargs in ({}, dict(mode="sum", padding_idx=0), dict(mode="max", include_last_offset=True)):
        theirs, ours = torch.nn.EmbeddingBag(10, 3, **kwargs), nn.EmbeddingBag(10, 3, **kwargs)
        assert repr(ours) == repr(theirs)
        if "padding_idx" in kwargs:
            assert np.all(ours.weight.numpy()[0] == 0)
        _copy_state(ours, theirs)
        offsets = np.array([0, 2, 5, 8]) if kwargs.get("include_last_offset") else np.array([0, 2, 5])
        _same(ours(me.from_numpy(BAG), me.from_numpy(offsets)),
              theirs(torch.from_numpy(BAG), torch.from_numpy(offsets)), f"EmbeddingBag{kwargs}")


class _Bag(torch.nn.Module):
    def __init__(self, lib, **kwargs):
        super().__init__()
        self.bag = lib.EmbeddingBag(10, 3, **kwargs)

    def forward(self, x):
        return self.bag(x)


class _MeBag(nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.bag = nn.EmbeddingBag(10, 3, **kwargs)

    def forward(self, x):
        return self.bag(x)


def test_embedding_bag_exports_as_torch():
    """A 2-D input's bags: torch records arange + view + embedding_bag.padding_idx; core keeps _embedding_bag."""
    x = BAG.reshape(2, 4)
    for kwargs in ({}, dict(mode="max", padding_idx=2)):
        theirs_m, ours_m = _Bag(torch.nn, **kwargs), _MeBag(**kwargs)
        _copy_state(ours_m, theirs_m)
        theirs = torch.export.export(theirs_m, (torch.from_numpy(x.copy()),))
        ours = export(ours_m, (me.from_numpy(x.copy()),))
        assert _ops(ours.graph) == _ops(theirs.graph)
        expected = theirs_m(torch.from_numpy(x.copy()))
        core = ours.run_decompositions()
        core.validate()
        _same(core.module()(me.from_numpy(x.copy())), expected, f"EmbeddingBag{kwargs} core program")


def test_max_unpool_module_round_trip():
    pool_t, unpool_t = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
    pool_m, unpool_m = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    assert repr(unpool_m) == repr(unpool_t)
    vt, it = pool_t(torch.from_numpy(X4.copy()))
    vm, im = pool_m(me.from_numpy(X4.copy()))
    _same(unpool_m(vm, im, output_size=[8, 7]), unpool_t(vt, it, output_size=[8, 7]), "MaxUnpool2d")


# --------------------------------------------------------------- export --
class _Call(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class _MeCall(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


EXPORT_CASES = [
    ("interpolate_nearest", lambda f, x: f.interpolate(x, scale_factor=2), X4),
    ("interpolate_bilinear", lambda f, x: f.interpolate(x, size=(5, 9), mode="bilinear", align_corners=True), X4),
    ("interpolate_bicubic", lambda f, x: f.interpolate(x, scale_factor=1.5, mode="bicubic"), X4),
    ("interpolate_linear", lambda f, x: f.interpolate(x, scale_factor=2, mode="linear"), X3),
    ("interpolate_area", lambda f, x: f.interpolate(x, size=(3, 5), mode="area"), X4),
    ("pad_reflect", lambda f, x: f.pad(x, (2, 1, 1, 1), mode="reflect"), X4),
    ("max_pool3d", lambda f, x: f.max_pool3d(x, 2), X5),
    ("avg_pool1d", lambda f, x: f.avg_pool1d(x, 2), X3),
    ("adaptive_max_pool2d", lambda f, x: f.adaptive_max_pool2d(x, 3), X4),
    ("pixel_shuffle", lambda f, x: f.pixel_shuffle(x, 2), _arr(1, 8, 3, 3)),
    ("unfold", lambda f, x: f.unfold(x, 3, padding=1), X4),
    ("fold", lambda f, x: f.fold(x, (4, 5), 2), _arr(2, 12, 12)),
    ("instance_norm", lambda f, x: f.instance_norm(x), X4),
    ("local_response_norm", lambda f, x: f.local_response_norm(x, 2), X4),
    ("channel_shuffle", lambda f, x: f.channel_shuffle(x, 3), _arr(1, 6, 2, 2)),
    ("lp_pool2d", lambda f, x: f.lp_pool2d(x, 2, 2), X4),
    ("adaptive_max_pool2d_uneven", lambda f, x: f.adaptive_max_pool2d(x, (3, 5)), X4),
    ("adaptive_max_pool1d", lambda f, x: f.adaptive_max_pool1d(x, 3, return_indices=True), X3),
    ("interpolate_trilinear", lambda f, x: f.interpolate(x, scale_factor=1.5, mode="trilinear"), X5),
    ("interpolate_nearest_exact", lambda f, x: f.interpolate(x, scale_factor=1.5, mode="nearest-exact"), X5),
    ("max_unpool2d", lambda f, x: f.max_unpool2d(*f.max_pool2d(x, 2, return_indices=True), 2), X4[..., :6]),
    ("grid_sample", lambda f, x: f.grid_sample(x, x[:, :2].permute(0, 2, 3, 1).tanh(), align_corners=True), X4),
    ("affine_grid", lambda f, x: f.affine_grid(x, [2, 3, 4, 5], align_corners=False), _arr(2, 2, 3)),
    ("pad_circular3d", lambda f, x: f.pad(x, (1, 1, 2, 0, 1, 2), mode="circular"), X5),
    ("max_pool1d_indices", lambda f, x: f.max_pool1d(x, 2, return_indices=True), X3),
]


def _ops(graph):
    return [str(n.target).replace("<built-in function getitem>", "getitem").replace("operator.getitem", "getitem")
            for n in graph.nodes if n.op == "call_function"]


@pytest.mark.parametrize("case", range(len(EXPORT_CASES)), ids=[c[0] for c in EXPORT_CASES])
def test_export_records_torchs_ops(case):
    name, fn, x = EXPORT_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.export.export(_Call(lambda v: fn(TF, v)), (torch.from_numpy(x.copy()),))
    ours = export(_MeCall(lambda v: fn(F, v)), (me.from_numpy(x.copy()),))
    assert _ops(ours.graph) == _ops(theirs.graph)
    expected = theirs.module()(torch.from_numpy(x.copy()))
    _same(ours.module()(me.from_numpy(x.copy())), expected, f"{name} program")
    core = ours.run_decompositions()
    core.validate()
    _same(core.module()(me.from_numpy(x.copy())), expected, f"{name} core program")
