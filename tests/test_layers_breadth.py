"""Layers real models use, each against torch: parameter names and shapes, outputs with copied weights,
and the ops export records (before and after run_decompositions) for a few."""
from collections import Counter

import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
import minexport.nn.functional as F
from minexport.export import export

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional


def to_me(x):
    """A torch tensor (or a tuple of them) as minexport tensors."""
    if isinstance(x, torch.Tensor):
        return me.from_numpy(x.detach().numpy().copy())
    if isinstance(x, (list, tuple)):
        return type(x)(to_me(y) for y in x)
    return x


def assert_close(ours, theirs, tol=(1e-4, 1e-5), where=""):
    """Same structure, shapes, dtypes and values (None where torch gives None)."""
    if theirs is None:
        assert ours is None, where
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, me.Tensor), f"{where}: got {type(ours).__name__}"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{where}: {tuple(ours.shape)} != {tuple(theirs.shape)}"
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", ""), where
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=tol[0], atol=tol[1], err_msg=where)
    else:
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(a, b, tol, f"{where}[{i}]")


def twin(name, *args, **kwargs):
    """The same layer built by torch and by minexport, with torch's weights copied into ours."""
    theirs = getattr(tnn, name)(*args, **kwargs)
    ours = getattr(nn, name)(*args, **kwargs)
    t_params = [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    m_params = [(n, tuple(p.shape)) for n, p in ours.named_parameters()]
    assert m_params == t_params
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: to_me(v) for k, v in theirs.state_dict().items()})
    return ours, theirs


def check_layer(name, ctor_args, inputs, ctor_kwargs=None, call_kwargs=None, tol=(1e-4, 1e-5), train=False):
    """Build both, copy weights, run both on the same inputs, compare."""
    ours, theirs = twin(name, *ctor_args, **(ctor_kwargs or {}))
    if not train:
        ours.eval()
        theirs.eval()
    call_kwargs = call_kwargs or {}
    expected = theirs(*inputs, **call_kwargs)
    got = ours(*to_me(tuple(inputs)), **{k: to_me(v) for k, v in call_kwargs.items()})
    assert_close(got, expected, tol, name)
    return ours, theirs


def op_multisets(ours, theirs, inputs):
    """Counter of call targets exported by torch and by minexport, before and after run_decompositions."""
    def count(ep):
        return Counter(str(n.target) for n in ep.graph.nodes if n.op == "call_function")
    t_ep = torch.export.export(theirs, tuple(inputs))
    m_ep = export(ours, to_me(tuple(inputs)))
    return (count(m_ep), count(t_ep)), (count(m_ep.run_decompositions()), count(t_ep.run_decompositions()))


def check_export(ours, theirs, inputs, decomposed=True):
    """The exported (and, unless told not to, the decomposed) programs call the same op multisets as torch's."""
    (m, t), (md, td) = op_multisets(ours, theirs, inputs)
    assert m == t
    if decomposed:
        assert md == td


# ------------------------------------------------------------ convolution --
CONV_CASES = [
    ("Conv3d", (4, 6, 3), {}, (2, 4, 5, 6, 5)),
    ("Conv3d", (4, 6, (2, 3, 1)), {"stride": (2, 1, 1), "padding": 1, "dilation": (1, 2, 1), "groups": 2},
     (2, 4, 5, 6, 5)),
    ("Conv3d", (4, 6, 2), {"padding": "same", "bias": False}, (4, 5, 6, 5)),
    ("Conv1d", (3, 4, 3), {"padding": 2, "padding_mode": "reflect"}, (2, 3, 9)),
    ("Conv2d", (3, 4, 3), {"padding": (1, 2), "padding_mode": "replicate"}, (2, 3, 7, 6)),
    ("Conv2d", (3, 4, 3), {"padding": 1, "padding_mode": "circular"}, (2, 3, 7, 6)),
    ("Conv2d", (3, 4, (2, 3)), {"padding": "same", "padding_mode": "reflect", "dilation": 2}, (2, 3, 7, 6)),
    ("Conv3d", (3, 4, 3), {"padding": 1, "padding_mode": "circular"}, (2, 3, 4, 5, 4)),
    ("Conv2d", (3, 4, 3), {"padding": "valid"}, (2, 3, 7, 6)),
    ("ConvTranspose1d", (4, 6, 3), {"stride": 2, "output_padding": 1, "groups": 2}, (2, 4, 5)),
    ("ConvTranspose2d", (4, 6, 3), {}, (2, 4, 5, 5)),
    ("ConvTranspose2d", (4, 6, (3, 2)), {"stride": (2, 3), "padding": (1, 0), "dilation": (2, 1),
                                         "output_padding": (1, 2), "bias": False}, (4, 5, 5)),
    ("ConvTranspose3d", (4, 2, 3), {"stride": 2, "padding": 1}, (2, 4, 3, 4, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", CONV_CASES, ids=[c[0] + str(i) for i, c in enumerate(CONV_CASES)])
def test_conv_layers_match_torch(name, args, kwargs, shape):
    x = torch.randn(*shape)
    ours, theirs = check_layer(name, args, (x,), kwargs)
    assert repr(ours) == repr(theirs)
    # aten.pad's non-constant modes decompose differently from torch's (index-based) ones: that is the
    # pad op's registration, not these layers'; the exported programs still record the same ops
    check_export(ours, theirs, (x,), decomposed=kwargs.get("padding_mode", "zeros") == "zeros")


def test_conv_transpose_output_size():
    x = torch.randn(1, 4, 5, 5)
    ours, theirs = twin("ConvTranspose2d", 4, 2, 3, stride=2)
    assert_close(ours(to_me(x), output_size=[12, 11]), theirs(x, output_size=[12, 11]))
    with pytest.raises(ValueError, match="requested an output size"):
        ours(to_me(x), output_size=[20, 20])


def test_conv_init_and_refusals():
    m = nn.ConvTranspose2d(4, 6, 3, groups=2)
    bound = 1 / np.sqrt(3 * 3 * 3)     # fan_in of a transposed weight: (out / groups) * k * k
    assert abs(m.bias.numpy()).max() <= bound
    with pytest.raises(ValueError, match="zeros"):
        nn.ConvTranspose1d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(2, 2, 3, padding_mode="mirror")


def test_conv_subclass_overrides_conv_forward():
    class Scaled(nn.Conv2d):
        def _conv_forward(self, input, weight, bias):
            return super()._conv_forward(input, weight * 2, bias)
    m = Scaled(2, 3, 3)
    x = me.randn(1, 2, 5, 5)
    expected = F.conv2d(x, m.weight * 2, m.bias)
    np.testing.assert_allclose(m(x).numpy(), expected.numpy(), rtol=1e-6)


def test_functional_conv_transpose_matches_torch():
    x, w, b = torch.randn(2, 4, 5, 6), torch.randn(4, 3, 3, 3), torch.randn(6)
    got = F.conv_transpose2d(to_me(x), to_me(w), to_me(b), stride=2, padding=1, output_padding=1, groups=2)
    assert_close(got, TF.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2))
    x3, w3 = torch.randn(1, 2, 4, 4, 4), torch.randn(3, 2, 2, 2, 2)
    assert_close(F.conv3d(to_me(x3), to_me(w3), padding="same"), TF.conv3d(x3, w3, padding="same"))


# -------------------------------------------------------------- recurrent --
RNN_CASES = [
    ("LSTM", (3, 4), {}, (3, 2, 3)),
    ("LSTM", (3, 4, 2), {"bidirectional": True, "batch_first": True}, (2, 3, 3)),
    ("LSTM", (3, 5), {"proj_size": 2, "bidirectional": True, "num_layers": 2}, (4, 2, 3)),
    ("LSTM", (3, 4), {"bias": False}, (5, 3)),
    ("GRU", (3, 4), {}, (5, 2, 3)),
    ("GRU", (3, 4, 2), {"bidirectional": True}, (3, 2, 3)),
    ("GRU", (3, 4), {"batch_first": True}, (4, 3)),
    ("RNN", (3, 4), {}, (5, 2, 3)),
    ("RNN", (3, 4, 2), {"nonlinearity": "relu", "bias": False, "bidirectional": True}, (5, 3)),
    ("RNNCell", (3, 4), {}, (2, 3)),
    ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}, (3,)),
    ("GRUCell", (3, 4), {}, (2, 3)),
    ("LSTMCell", (3, 4), {}, (2, 3)),
    ("LSTMCell", (3, 4), {"bias": False}, (3,)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", RNN_CASES, ids=[c[0] + str(i) for i, c in enumerate(RNN_CASES)])
def test_recurrent_layers_match_torch(name, args, kwargs, shape):
    x = torch.randn(*shape)
    ours, theirs = check_layer(name, args, (x,), kwargs)
    assert repr(ours) == repr(theirs)
    # Two decompositions that are not these layers' differ from torch's, so for those cases only the
    # exported programs are compared: batch_first makes the input projection a linear over a transposed
    # input (torch: expand + bmm, minexport: a copy + mm), and an unbatched input is squeezed back with
    # squeeze.dim, which torch rewrites as squeeze.dims and minexport keeps.
    batched = len(shape) == (2 if name.endswith("Cell") else 3)
    check_export(ours, theirs, (x,), decomposed=batched and not kwargs.get("batch_first"))


def test_recurrent_layers_with_given_state():
    x, h, c = torch.randn(5, 2, 3), torch.randn(2, 2, 4), torch.randn(2, 2, 4)
    ours, theirs = twin("LSTM", 3, 4, num_layers=2)
    assert_close(ours(to_me(x), (to_me(h), to_me(c))), theirs(x, (h, c)))
    ours, theirs = twin("GRU", 3, 4, num_layers=2)
    assert_close(ours(to_me(x), to_me(h)), theirs(x, h))
    ours, theirs = twin("GRUCell", 3, 4)
    assert_close(ours(to_me(x[0]), to_me(h[0])), theirs(x[0], h[0]))
    ours, theirs = twin("LSTMCell", 3, 4)
    assert_close(ours(to_me(x[0]), (to_me(h[0]), to_me(c[0]))), theirs(x[0], (h[0], c[0])))
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        nn.GRU(3, 4)(me.randn(5, 2, 3), me.randn(2, 2, 4))
    with pytest.raises(RuntimeError, match="input_size"):
        nn.RNN(3, 4)(me.randn(5, 2, 2))


def test_recurrent_init_and_arguments():
    m = nn.LSTM(3, 16, num_layers=2, bidirectional=True)
    assert all(abs(p.numpy()).max() <= 0.25 for p in m.parameters())
    assert m.all_weights[1][0] is m.weight_ih_l0_reverse
    m.flatten_parameters()
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(TypeError, match="packed"):
        nn.LSTM(3, 4)([me.randn(2, 3)])


def test_recurrent_dropout_between_layers_in_training():
    m = nn.GRU(3, 4, num_layers=3, dropout=0.5)
    x = me.randn(6, 2, 3)
    m.train()
    me.manual_seed(0)
    a = m(x)[0]
    me.manual_seed(1)
    b = m(x)[0]
    assert not np.allclose(a.numpy(), b.numpy())     # the masks differ between calls
    m.eval()
    np.testing.assert_allclose(m(x)[0].numpy(), m(x)[0].numpy())
    ops = Counter(str(n.target) for n in export(m.train(), (x,)).run_decompositions().graph.nodes)
    assert ops["aten.native_dropout.default"] == 2


# ------------------------------------------------------------------ losses --
def _logits(*s):
    return torch.randn(*s)


def _probs(*s):
    return torch.rand(*s) * 0.96 + 0.02


def _signs(*s):
    return torch.randint(0, 2, s).float() * 2 - 1


def _classes(*s, n=5):
    return torch.randint(0, n, s)


_W5 = torch.rand(5) + 0.5
_IGNORING = torch.tensor([1, 3, 3, 0])

# (module, constructor kwargs, inputs, whether the decomposed op multisets match torch's)
LOSS_CASES = [
    ("CrossEntropyLoss", {}, (_logits(4, 5), _classes(4)), True),
    ("CrossEntropyLoss", {"weight": _W5}, (_logits(4, 5), _classes(4)), True),
    ("CrossEntropyLoss", {"label_smoothing": 0.1}, (_logits(4, 5), _classes(4)), True),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "weight": _W5, "reduction": "sum"}, (_logits(4, 5), _classes(4)),
     True),
    ("CrossEntropyLoss", {"ignore_index": 3, "reduction": "none"}, (_logits(4, 5), _IGNORING), True),
    ("CrossEntropyLoss", {"ignore_index": 3, "label_smoothing": 0.2, "weight": _W5}, (_logits(4, 5), _IGNORING), False),
    ("CrossEntropyLoss", {"label_smoothing": 0.1}, (_logits(4, 5), torch.softmax(_logits(4, 5), 1)), True),
    ("CrossEntropyLoss", {"weight": _W5}, (_logits(4, 5), torch.softmax(_logits(4, 5), 1)), True),
    ("CrossEntropyLoss", {}, (_logits(2, 5, 3, 3), _classes(2, 3, 3)), True),
    ("NLLLoss", {}, (torch.log_softmax(_logits(4, 5), 1), _classes(4)), True),
    ("NLLLoss", {"weight": _W5}, (torch.log_softmax(_logits(4, 5), 1), _classes(4)), True),
    ("NLLLoss", {"weight": _W5, "reduction": "none"}, (_logits(4, 5), _classes(4)), True),
    ("NLLLoss", {}, (_logits(5), _classes()), True),
    ("NLLLoss", {"reduction": "none"}, (_logits(2, 5, 3, 2, 2), _classes(2, 3, 2, 2)), True),
    ("MSELoss", {}, (_logits(3, 4), _logits(3, 4)), True),
    ("MSELoss", {"reduction": "sum"}, (_logits(3, 4), _logits(3, 4)), True),
    ("L1Loss", {"reduction": "none"}, (_logits(3, 4), _logits(3, 4)), True),
    ("SmoothL1Loss", {"beta": 0.5}, (_logits(3, 4), _logits(3, 4)), True),
    ("HuberLoss", {"delta": 0.7}, (_logits(3, 4), _logits(3, 4)), True),
    ("KLDivLoss", {"reduction": "batchmean"}, (torch.log_softmax(_logits(3, 4), 1), torch.softmax(_logits(3, 4), 1)),
     True),
    ("KLDivLoss", {"log_target": True, "reduction": "sum"}, (_logits(3, 4), _logits(3, 4)), True),
    ("BCELoss", {}, (_probs(3, 4), _probs(3, 4)), True),
    ("BCELoss", {"weight": torch.rand(4)}, (_probs(3, 4), _probs(3, 4)), True),
    ("BCEWithLogitsLoss", {}, (_logits(3, 4), _probs(3, 4)), True),
    ("BCEWithLogitsLoss", {"pos_weight": torch.rand(4) + 1, "reduction": "none"}, (_logits(3, 4), _probs(3, 4)), True),
    ("BCEWithLogitsLoss", {"weight": torch.rand(4), "pos_weight": torch.rand(4)}, (_logits(3, 4), _probs(3, 4)), True),
    ("PoissonNLLLoss", {}, (_logits(3, 4), _probs(3, 4) * 3), True),
    ("PoissonNLLLoss", {"log_input": False, "full": True}, (_probs(3, 4), _probs(3, 4) * 3), False),
    ("GaussianNLLLoss", {"full": True}, (_logits(3, 4), _logits(3, 4), _probs(3, 4)), None),
    ("GaussianNLLLoss", {"reduction": "none"}, (_logits(3, 4), _logits(3, 4), _probs(3)), None),
    ("HingeEmbeddingLoss", {"margin": 0.5}, (_logits(3, 4), _signs(3, 4)), False),
    ("MarginRankingLoss", {"margin": 0.2}, (_logits(5), _logits(5), _signs(5)), True),
    ("SoftMarginLoss", {}, (_logits(3, 4), _signs(3, 4)), True),
    ("MultiLabelSoftMarginLoss", {}, (_logits(3, 4), torch.randint(0, 2, (3, 4)).float()), False),
    ("MultiLabelSoftMarginLoss", {"weight": torch.rand(4), "reduction": "none"},
     (_logits(3, 4), torch.randint(0, 2, (3, 4)).float()), False),
    ("CosineEmbeddingLoss", {"margin": 0.2}, (_logits(3, 4), _logits(3, 4), _signs(3).long()), False),
    ("TripletMarginLoss", {}, (_logits(3, 4), _logits(3, 4), _logits(3, 4)), False),
    ("TripletMarginLoss", {"p": 1.0, "swap": True, "reduction": "none"}, (_logits(3, 4), _logits(3, 4), _logits(3, 4)),
     False),
    ("MultiMarginLoss", {}, (_logits(4, 5), _classes(4)), True),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": _W5, "reduction": "sum"}, (_logits(4, 5), _classes(4)),
     True),
]


@pytest.mark.parametrize("name,kwargs,inputs,decomposed", LOSS_CASES,
                         ids=[c[0] + str(i) for i, c in enumerate(LOSS_CASES)])
def test_losses_match_torch(name, kwargs, inputs, decomposed):
    theirs = getattr(tnn, name)(**kwargs)
    ours = getattr(nn, name)(**{k: to_me(v) for k, v in kwargs.items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert {k: v for k, v in vars(ours).items() if not k.startswith("_") and k != "training"} == \
        {k: v for k, v in vars(theirs).items() if not k.startswith("_") and k != "training"}
    assert_close(ours(*to_me(inputs)), theirs(*inputs), where=name)
    if decomposed is None:
        return              # torch cannot export it (a data-dependent check on var)
    # The exported programs record the same ops as torch's. The decomposed ones do too, except where
    # torch decomposes through ops minexport does not register (linalg_vector_norm, empty_permuted,
    # log_sigmoid, xlogy's special cases) or through ones whose own decomposition differs.
    (m, t), (md, td) = op_multisets(ours, theirs, inputs)
    if name != "MultiLabelSoftMarginLoss":        # torch records log_sigmoid, not registered here
        assert m == t
    if decomposed:
        assert md == td


def test_loss_reductions_and_refusals():
    x, y = me.randn(3, 4), me.randn(3, 4)
    assert nn.MSELoss(reduce=False).reduction == "none"
    assert nn.L1Loss(size_average=False).reduction == "sum"
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(x, y, reduction="avg")
    with pytest.raises(ValueError, match="same as input size"):
        F.binary_cross_entropy_with_logits(x, me.rand(3, 5))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, me.tensor([0, 1, 7]))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(x, y, -me.rand(3, 4))
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(x, me.randn(4))
    w = me.rand(3, 4)
    np.testing.assert_allclose(F.mse_loss(x, y, weight=w).numpy(),
                               TF.mse_loss(torch.tensor(x.numpy()), torch.tensor(y.numpy()),
                                           weight=torch.tensor(w.numpy())).numpy(), rtol=1e-5)


# ------------------------------------------------------------------ basics --
BASIC_CASES = [
    ("Bilinear", (3, 4, 5), {}, (torch.randn(2, 3), torch.randn(2, 4))),
    ("Bilinear", (3, 4, 5), {"bias": False}, (torch.randn(6, 2, 3), torch.randn(6, 2, 4))),
    ("RMSNorm", (4,), {}, (torch.randn(2, 4),)),
    ("RMSNorm", ((3, 4),), {"eps": 1e-3}, (torch.randn(2, 3, 4),)),
    ("RMSNorm", (4,), {"elementwise_affine": False}, (torch.randn(2, 4),)),
    ("Identity", (3,), {"unused": 1}, (torch.randn(2, 4),)),
    ("Flatten", (), {}, (torch.randn(2, 3, 4),)),
    ("Flatten", (0, 1), {}, (torch.randn(2, 3, 4),)),
    ("Unflatten", (1, (2, 3)), {}, (torch.randn(4, 6),)),
    ("Embedding", (10, 4), {"padding_idx": -2, "scale_grad_by_freq": True}, (torch.tensor([[1, 8], [0, 3]]),)),
    ("Linear", (4, 3), {"bias": False}, (torch.randn(2, 4),)),
]


@pytest.mark.parametrize("name,args,kwargs,inputs", BASIC_CASES, ids=[c[0] + str(i) for i, c in enumerate(BASIC_CASES)])
def test_basic_layers_match_torch(name, args, kwargs, inputs):
    ours, theirs = check_layer(name, args, inputs, kwargs)
    assert repr(ours) == repr(theirs)
    check_export(ours, theirs, inputs)


def test_basic_layer_init():
    m = nn.Bilinear(16, 4, 5)
    assert abs(m.weight.numpy()).max() <= 0.25 and abs(m.bias.numpy()).max() <= 0.25
    np.testing.assert_array_equal(nn.RMSNorm(3).weight.numpy(), np.ones(3, np.float32))
    e = nn.Embedding(5, 3, padding_idx=1)
    np.testing.assert_array_equal(e.weight.numpy()[1], np.zeros(3, np.float32))


def test_embedding_from_pretrained():
    w = torch.randn(6, 3)
    theirs = tnn.Embedding.from_pretrained(w, padding_idx=2)
    ours = nn.Embedding.from_pretrained(to_me(w), padding_idx=2)
    assert not ours.weight.requires_grad and ours.weight.requires_grad == theirs.weight.requires_grad
    idx = torch.tensor([0, 2, 5])
    assert_close(ours(to_me(idx)), theirs(idx))
    assert nn.Embedding.from_pretrained(to_me(w), freeze=False).weight.requires_grad
    assert repr(ours) == repr(theirs)


def test_functional_bilinear_and_rms_norm():
    a, b, w = torch.randn(3, 2), torch.randn(3, 5), torch.randn(4, 2, 5)
    assert_close(F.bilinear(to_me(a), to_me(b), to_me(w)), TF.bilinear(a, b, w))
    x = torch.randn(2, 3, dtype=torch.float64)
    assert_close(F.rms_norm(to_me(x), 3), TF.rms_norm(x, [3]))


# ------------------------------------------------------------- transformer --
def _bool_kpm(b, s):
    m = torch.zeros(b, s, dtype=torch.bool)
    m[:, -1] = True
    return m


MHA_CASES = [
    ((8, 2), {}, (torch.randn(4, 2, 8),) * 3, {}),
    ((8, 2), {"kdim": 5, "vdim": 3}, (torch.randn(4, 2, 8), torch.randn(6, 2, 5), torch.randn(6, 2, 3)), {}),
    ((8, 2), {"add_bias_kv": True, "add_zero_attn": True},
     (torch.randn(4, 2, 8), torch.randn(6, 2, 8), torch.randn(6, 2, 8)),
     {"key_padding_mask": _bool_kpm(2, 6), "attn_mask": torch.randn(4, 6)}),
    ((8, 2), {"batch_first": True, "bias": False}, (torch.randn(2, 4, 8),) * 3,
     {"need_weights": True, "average_attn_weights": False, "attn_mask": torch.rand(4, 4) > 0.7}),
    ((8, 4), {"add_zero_attn": True}, (torch.randn(4, 8),) * 3, {"need_weights": False}),
    ((8, 2), {}, (torch.randn(4, 2, 8),) * 3,
     {"need_weights": False, "attn_mask": torch.randn(4, 4), "key_padding_mask": torch.randn(2, 4)}),
]


@pytest.mark.parametrize("args,kwargs,inputs,call", MHA_CASES, ids=[f"mha{i}" for i in range(len(MHA_CASES))])
def test_multihead_attention_matches_torch(args, kwargs, inputs, call):
    check_layer("MultiheadAttention", args, inputs, kwargs, call)


def test_multihead_attention_init():
    m = nn.MultiheadAttention(8, 2, kdim=4, add_bias_kv=True)
    assert m.in_proj_weight is None and tuple(m.k_proj_weight.shape) == (8, 4)
    assert tuple(m.bias_k.shape) == (1, 1, 8) and abs(m.bias_k.numpy()).max() > 0
    np.testing.assert_array_equal(m.in_proj_bias.numpy(), np.zeros(24, np.float32))


class _Gelu2(tnn.Module):
    def forward(self, x):
        return TF.gelu(x) * 2


def _our_gelu2(x):
    return F.gelu(x) * 2


ENCODER_CASES = [
    ({}, (torch.randn(5, 2, 8),), {}),
    ({"norm_first": True, "activation": "gelu"}, (torch.randn(5, 2, 8),),
     {"src_mask": tnn.Transformer.generate_square_subsequent_mask(5)}),
    ({"batch_first": True, "bias": False}, (torch.randn(2, 5, 8),), {"src_key_padding_mask": _bool_kpm(2, 5)}),
    ({}, (torch.randn(5, 8),), {"src_mask": torch.rand(5, 5) > 0.8}),
]


# The exported programs of the transformer layers, and their decompositions (scaled_dot_product_attention's:
# q and k^T each scaled by sqrt(scale), bool and causal masks made additive, fully masked rows guarded), record
# the same ops as torch's.
@pytest.mark.parametrize("kwargs,inputs,call", ENCODER_CASES, ids=[f"enc{i}" for i in range(len(ENCODER_CASES))])
def test_transformer_encoder_layer_matches_torch(kwargs, inputs, call):
    ours, theirs = check_layer("TransformerEncoderLayer", (8, 2, 16, 0.0), inputs, kwargs, call)
    if not call:
        check_export(ours, theirs, inputs)


DECODER_CASES = [
    ({}, (torch.randn(5, 2, 8), torch.randn(3, 2, 8)), {}),
    ({"norm_first": True, "activation": "gelu", "batch_first": True}, (torch.randn(2, 5, 8), torch.randn(2, 3, 8)),
     {"tgt_mask": tnn.Transformer.generate_square_subsequent_mask(5), "memory_key_padding_mask": _bool_kpm(2, 3),
      "tgt_is_causal": True}),
]


@pytest.mark.parametrize("kwargs,inputs,call", DECODER_CASES, ids=[f"dec{i}" for i in range(len(DECODER_CASES))])
def test_transformer_decoder_layer_matches_torch(kwargs, inputs, call):
    ours, theirs = check_layer("TransformerDecoderLayer", (8, 2, 16, 0.0), inputs, kwargs, call)
    if not call:
        check_export(ours, theirs, inputs)


def test_callable_activation_and_stacks_match_torch():
    theirs = tnn.TransformerEncoder(tnn.TransformerEncoderLayer(8, 2, 16, 0.0, activation=_Gelu2()), 2,
                                    norm=tnn.LayerNorm(8), enable_nested_tensor=False).eval()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation=_our_gelu2), 2,
                                 norm=nn.LayerNorm(8)).eval()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    ours.load_state_dict({k: to_me(v) for k, v in theirs.state_dict().items()})
    x = torch.randn(5, 2, 8)
    mask = tnn.Transformer.generate_square_subsequent_mask(5)
    assert_close(ours(to_me(x), mask=to_me(mask)), theirs(x, mask=mask))
    assert_close(ours(to_me(x)), theirs(x))
    np.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(4).numpy(),
                                  tnn.Transformer.generate_square_subsequent_mask(4).numpy())


def _padded_encoder(lib, **layer):
    """A batch-first two-layer encoder called with a bool key padding mask (and, when given, a float mask)."""
    class Padded(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True,
                                                                                **layer), 2,
                                                 **({"enable_nested_tensor": False} if lib is torch else {}))

        def forward(self, x, pad):
            return self.enc(x, src_key_padding_mask=pad)
    return Padded().eval()


@pytest.mark.parametrize("layer", [{}, {"norm_first": True, "activation": "gelu"}], ids=["post", "pre"])
def test_encoder_stack_turns_a_bool_padding_mask_into_a_float_one_once(layer):
    """torch's TransformerEncoder makes the additive mask (zeros_like + masked_fill_) once for all its layers."""
    theirs, ours = _padded_encoder(torch, **layer), _padded_encoder(me, **layer)
    ours.load_state_dict({k: to_me(v) for k, v in theirs.state_dict().items()})
    x, pad = torch.randn(2, 5, 8), _bool_kpm(2, 5)
    assert_close(ours(to_me(x), to_me(pad)), theirs(x, pad))
    (m, t), _ = op_multisets(ours, theirs, (x, pad))
    assert m == t and m["aten.masked_fill_.Scalar"] == 1


def test_transformer_matches_torch():
    kwargs = {"d_model": 8, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 1, "dim_feedforward": 16,
              "dropout": 0.0}
    ours, theirs = twin("Transformer", **kwargs)
    ours.eval()
    theirs.eval()
    src, tgt = torch.randn(6, 2, 8), torch.randn(4, 2, 8)
    tgt_mask = tnn.Transformer.generate_square_subsequent_mask(4)
    assert_close(ours(to_me(src), to_me(tgt), tgt_mask=to_me(tgt_mask)), theirs(src, tgt, tgt_mask=tgt_mask))
    check_export(ours, theirs, (src, tgt))
    m = nn.Transformer(**kwargs)
    # xavier_uniform on every matrix: bound sqrt(6 / (fan_in + fan_out))
    w = m.encoder.layers[0].linear1.weight.numpy()
    assert abs(w).max() <= np.sqrt(6 / 24) and abs(w).max() > 0.3
    with pytest.raises(RuntimeError, match="batch number"):
        m(me.randn(6, 2, 8), me.randn(4, 3, 8))
