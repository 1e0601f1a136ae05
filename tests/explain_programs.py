"""Small programs whose guards tests/test_explain.py and examples/explain_guards.py explain."""
import minexport as me


class MatMul(me.nn.Module):
    def forward(self, x, w):
        return x @ w


class SliceHead(me.nn.Module):
    def forward(self, x):
        return x[:, :4]


class Broadcast(me.nn.Module):
    def forward(self, x, y):
        return x + y


class Reshape(me.nn.Module):
    def forward(self, x):
        return x.reshape(-1, 4)


class ItemCheck(me.nn.Module):
    def forward(self, x, n):
        k = n.item()
        me._check(k >= 2)
        me._check(k <= 6)
        return x[:k]


class Branch(me.nn.Module):
    def forward(self, x):
        if x.shape[0] > 4:
            return x * 2
        return x
