"""nn: Module bookkeeping, state_dict rules, and every layer against torch with the same weights."""
import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
import minexport.nn.functional as F


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.register_buffer("steps", me.zeros(1))
        self.register_buffer("cache", me.ones(2), persistent=False)
        self.extra = nn.Parameter(me.ones(3))

    def forward(self, x):
        self.steps.add_(1)
        return self.lin(x) * 2


def test_registration_and_walks():
    m = nn.Sequential(Block(), nn.ReLU(), Block())
    assert [n for n, _ in m.named_parameters()] == ["0.extra", "0.lin.weight", "0.lin.bias", "2.extra",
                                                    "2.lin.weight", "2.lin.bias"]
    assert [n for n, _ in m.named_buffers()] == ["0.steps", "0.cache", "2.steps", "2.cache"]
    assert list(m.state_dict()) == ["0.extra", "0.steps", "0.lin.weight", "0.lin.bias", "2.extra", "2.steps",
                                    "2.lin.weight", "2.lin.bias"]
    assert [n for n, _ in m.named_modules()] == ["", "0", "0.lin", "1", "2", "2.lin"]
    assert [n for n, _ in m.named_children()] == ["0", "1", "2"]
    assert m.get_submodule("0.lin") is m[0].lin and m.get_parameter("2.extra") is m[2].extra


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, lin)
    assert len(list(m.parameters())) == 2


def test_train_eval_apply():
    m = nn.Sequential(nn.Dropout(), nn.Linear(2, 2))
    assert m.training and m[0].training
    m.eval()
    assert not m.training and not m[0].training
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Dropout", "Linear", "Sequential"]


def test_load_state_dict_strict_errors():
    m = Block()
    sd = dict(m.state_dict())
    sd.pop("lin.bias")
    sd["lin.weight"] = me.zeros(3, 4)
    sd["bogus"] = me.zeros(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "lin.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "bogus"' in msg
    assert "size mismatch for lin.weight" in msg
    sd = dict(m.state_dict())
    sd.pop("lin.bias")
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["lin.bias"] and result.unexpected_keys == []


def test_load_state_dict_copies_in_place():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": me.ones(2, 2), "bias": np.zeros(2, dtype=np.float32)})
    assert m.weight is w and w.tolist() == [[1, 1], [1, 1]]


def test_setattr_rules():
    m = nn.Module()
    m.p = nn.Parameter(me.zeros(1))
    with pytest.raises(TypeError, match="parameter 'p'"):
        m.p = me.zeros(1)
    m.register_buffer("b", None)
    m.b = me.ones(1)
    assert "b" in dict(m.named_buffers())

    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(me.zeros(1))

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Bad()


def test_default_init_distributions():
    me.manual_seed(0)
    lin = nn.Linear(100, 50)
    bound = 1 / 10
    assert float(lin.weight.abs().max()) <= bound and float(lin.weight.abs().max()) > 0.9 * bound
    assert float(lin.bias.abs().max()) <= bound
    emb = nn.Embedding(1000, 20)
    assert abs(float(emb.weight.mean())) < 0.05 and abs(float(emb.weight.std()) - 1) < 0.05
    conv = nn.Conv2d(3, 8, 3)
    assert float(conv.weight.abs().max()) <= 1 / np.sqrt(27)
    bn = nn.BatchNorm2d(4)
    assert bn.running_var.tolist() == [1.0] * 4 and bn.num_batches_tracked.dtype is me.int64


def test_batchnorm_updates_running_stats_in_training():
    bn = nn.BatchNorm1d(3)
    x = me.randn(8, 3) * 2 + 1
    bn(x)
    assert bn.num_batches_tracked.item() == 1
    expected = (0.9 * np.zeros(3) + 0.1 * x.numpy().mean(0))
    np.testing.assert_allclose(bn.running_mean.numpy(), expected, rtol=1e-5)


# ------------------------------------------------------------ vs torch ----
def _layers(torch):
    return [
        ("linear", lambda m: m.Linear(5, 3), (2, 5)),
        ("linear_nobias_3d", lambda m: m.Linear(5, 3, bias=False), (2, 4, 5)),
        ("conv1d", lambda m: m.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 11)),
        ("conv2d", lambda m: m.Conv2d(4, 6, 3, padding=1, groups=2), (2, 4, 7, 7)),
        ("conv2d_same", lambda m: m.Conv2d(3, 2, (3, 2), padding="same", dilation=2), (1, 3, 6, 6)),
        ("relu", lambda m: m.ReLU(), (3, 4)),
        ("gelu", lambda m: m.GELU(), (3, 4)),
        ("gelu_tanh", lambda m: m.GELU(approximate="tanh"), (3, 4)),
        ("silu", lambda m: m.SiLU(), (3, 4)),
        ("sigmoid", lambda m: m.Sigmoid(), (3, 4)),
        ("tanh", lambda m: m.Tanh(), (3, 4)),
        ("leaky_relu", lambda m: m.LeakyReLU(0.2), (3, 4)),
        ("softmax", lambda m: m.Softmax(dim=1), (3, 4)),
        ("log_softmax", lambda m: m.LogSoftmax(dim=-1), (3, 4)),
        ("maxpool", lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 9, 8)),
        ("avgpool", lambda m: m.AvgPool2d(2), (2, 3, 8, 8)),
        ("adaptive", lambda m: m.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
        ("bn1d_eval", lambda m: m.BatchNorm1d(4).eval(), (5, 4)),
        ("bn2d_train", lambda m: m.BatchNorm2d(3), (4, 3, 5, 5)),
        ("layernorm", lambda m: m.LayerNorm([3, 4]), (2, 3, 4)),
        ("groupnorm", lambda m: m.GroupNorm(2, 4), (2, 4, 3, 3)),
        ("dropout_eval", lambda m: m.Dropout(0.3).eval(), (3, 4)),
        ("identity", lambda m: m.Identity(), (3, 4)),
        ("flatten", lambda m: m.Flatten(), (2, 3, 4)),
        ("sequential", lambda m: m.Sequential(m.Linear(4, 8), m.ReLU(), m.Linear(8, 2)), (3, 4)),
        ("mha", lambda m: m.MultiheadAttention(8, 2).eval(), (5, 2, 8)),
        ("mha_batch_first", lambda m: m.MultiheadAttention(8, 4, batch_first=True).eval(), (2, 5, 8)),
        ("encoder", lambda m: m.TransformerEncoderLayer(8, 2, 16).eval(), (5, 2, 8)),
        ("encoder_pre_gelu", lambda m: m.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True,
                                                                 batch_first=True).eval(), (2, 5, 8)),
    ]


def _run(mod, name, x):
    if name.startswith("mha"):
        return mod(x, x, x)
    return mod(x)


def _compare(torch, ours, theirs):
    if isinstance(theirs, (tuple, list)):
        for a, b in zip(ours, theirs):
            _compare(torch, a, b)
        return
    if theirs is None:
        assert ours is None
        return
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("index", range(29))
def test_layer_matches_torch(index):
    torch = pytest.importorskip("torch")
    name, make, shape = _layers(torch)[index]
    torch.manual_seed(index)
    tmod = make(torch.nn)
    mmod = make(nn)
    if not tmod.training:
        mmod.eval()
    mmod.load_state_dict(tmod.state_dict())
    x = np.random.default_rng(index).standard_normal(shape).astype(np.float32)
    expected = _run(tmod, name, torch.from_numpy(x))
    got = _run(mmod, name, me.from_numpy(x.copy()))
    _compare(torch, got, expected)
    for (k, a), b in zip(mmod.state_dict().items(), tmod.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def test_mha_masks_match_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm, mm = torch.nn.MultiheadAttention(8, 2).eval(), nn.MultiheadAttention(8, 2).eval()
    mm.load_state_dict(tm.state_dict())
    rng = np.random.default_rng(0)
    q = rng.standard_normal((4, 2, 8)).astype(np.float32)
    k = rng.standard_normal((6, 2, 8)).astype(np.float32)
    attn_mask = np.triu(np.ones((4, 6), dtype=bool), 3)
    kpm = np.zeros((2, 6), dtype=bool)
    kpm[1, -1] = True
    for need_weights in (True, False):
        e = tm(torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(k), key_padding_mask=torch.from_numpy(kpm),
               attn_mask=torch.from_numpy(attn_mask), need_weights=need_weights)
        g = mm(me.from_numpy(q), me.from_numpy(k), me.from_numpy(k), key_padding_mask=me.from_numpy(kpm),
               attn_mask=me.from_numpy(attn_mask), need_weights=need_weights)
        _compare(torch, g, e)


def test_functional_matches_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    x = np.random.default_rng(5).standard_normal((2, 3, 6, 6)).astype(np.float32)
    tx, mx = torch.from_numpy(x), me.from_numpy(x)
    pairs = [
        (lambda f, t: f.pad(t, (1, 2, 0, 1)), None),
        (lambda f, t: f.pad(t[0], (1, 2), mode="reflect"), None),
        (lambda f, t: f.pad(t, (1, 2, 2, 0), mode="replicate"), None),
        (lambda f, t: f.max_pool2d(t, 2, return_indices=True), None),
        (lambda f, t: f.avg_pool2d(t, 3, 2, 1, count_include_pad=False), None),
        (lambda f, t: f.relu6(t * 4), None),
        (lambda f, t: f.hardtanh(t, -0.5, 0.5), None),
        (lambda f, t: f.normalize(t, dim=1), None),
        (lambda f, t: f.scaled_dot_product_attention(t, t, t, is_causal=True), None),
        (lambda f, t: f.softmax(t, dim=-1), None),
    ]
    for fn, _ in pairs:
        _compare(torch, fn(F, mx), fn(tF, tx))


def test_dropout_training_statistics():
    me.manual_seed(0)
    x = me.ones(200, 200)
    y = F.dropout(x, 0.25, training=True)
    kept = float((y != 0).float().mean())
    assert abs(kept - 0.75) < 0.02
    assert np.allclose(np.unique(y.numpy()), [0.0, 1 / 0.75])
    assert F.dropout(x, 0.5, training=False).tolist() == x.tolist()
