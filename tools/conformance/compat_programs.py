"""The programs of the compatibility corpus, written once against a torch-like namespace.

`programs(lib)` builds them with `lib` = torch or minexport (both have nn, nn.functional, cond,
export.Dim, from_numpy), so the same source is exported by every writer: torch 2.13, torch 2.14.1, older
torch releases, and minexport.  Weights and inputs come from NumPy with fixed seeds, so every writer's
archive holds the same numbers.  No custom ops: every writer must be able to write them.
"""
import numpy as np


def _array(shape, seed, scale=1.0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _init(lib, module, seed):
    """Give module's floating-point state fixed values (variances positive) and return it in eval mode."""
    state = {}
    for i, (name, t) in enumerate(module.state_dict().items()):
        shape = tuple(t.shape)
        if not t.dtype.is_floating_point:
            state[name] = t
        elif "var" in name:
            state[name] = lib.from_numpy(np.abs(_array(shape, seed + i)) + 0.5)
        else:
            state[name] = lib.from_numpy(_array(shape, seed + i, 0.5))
    module.load_state_dict(state)
    return module.eval()


def programs(lib):
    """{name: (module, args, dynamic_shapes, about)} for the torch-like namespace `lib`."""
    nn, F = lib.nn, lib.nn.functional
    t = lib.from_numpy

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(6, 8), nn.Linear(8, 3)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x))).log_softmax(-1)

    class Conv(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4)

        def forward(self, x):
            return F.max_pool2d(F.relu(self.bn(self.conv(x))), 2).flatten(1)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv, self.out = nn.Linear(8, 24), nn.Linear(8, 8)

        def forward(self, x):
            b, n, _ = x.shape
            q, k, v = self.qkv(x).reshape(b, n, 3, 2, 4).permute(2, 0, 3, 1, 4).unbind(0)
            a = F.scaled_dot_product_attention(q, k, v)
            return self.out(a.transpose(1, 2).reshape(b, n, 8))

    class DynamicBatch(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(5, 3)

        def forward(self, x):
            return self.fc(x).sigmoid() * x.shape[0]

    class Cond(nn.Module):
        def forward(self, x):
            return lib.cond(x.sum() > 0, lambda x: x.sin() * 2, lambda x: x.cos() - 1, (x,))

    class Mutation(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("acc", lib.zeros(4))

        def forward(self, x, y):
            self.acc.add_(x.sum(0))
            y.mul_(0.5)
            return x + self.acc + y

    class Constants(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("shift", lib.ones(3), persistent=False)
            self.offset = lib.arange(3.0)

        def forward(self, x):
            return x * self.offset + self.shift + lib.tensor([0.5, -0.5, 1.5])

    class EmbedNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.norm = nn.Embedding(10, 6), nn.LayerNorm(6)

        def forward(self, idx):
            return self.norm(self.emb(idx)).mean(1)

    class Reductions(nn.Module):
        def forward(self, x):
            y = x.permute(1, 0, 2).reshape(4, -1)
            return y.sum(1), y.amax(0), (y > 0).sum(), y.argmax(1), lib.cumsum(y, 0)[-1]

    Dim = lib.export.Dim
    return {
        "mlp": (_init(lib, MLP(), 1), (t(_array((3, 6), 11)),), None, "Linear-ReLU-Linear-log_softmax"),
        "conv": (_init(lib, Conv(), 2), (t(_array((2, 2, 6, 6), 12)),), None,
                 "conv2d, batch norm (eval), relu, max pool"),
        "attention": (_init(lib, Attention(), 3), (t(_array((2, 5, 8), 13)),), None,
                      "a 2-head self-attention block with scaled_dot_product_attention"),
        "dynamic_batch": (_init(lib, DynamicBatch(), 4), (t(_array((4, 5), 14)),),
                          {"x": {0: Dim("batch", min=2, max=64)}}, "a dynamic batch dim (size used as a value)"),
        "cond": (Cond(), (t(_array((3,), 15)),), None, "torch.cond on a data-dependent predicate"),
        "mutation": (Mutation(), (t(_array((2, 4), 16)), t(_array((4,), 17))), None,
                     "a buffer and a user input mutated in place"),
        "constants": (Constants(), (t(_array((2, 3), 18)),), None,
                      "a tensor attribute, a non-persistent buffer and a tensor literal"),
        "embed_norm": (_init(lib, EmbedNorm(), 5), (t(np.array([[1, 4, 9], [0, 2, 2]], dtype=np.int64)),), None,
                       "embedding of int64 indices, layer norm, mean"),
        "reductions": (Reductions(), (t(_array((3, 4, 2), 19)),), None,
                       "views, sum/amax/argmax, a bool count and cumsum: several outputs of several dtypes"),
    }
