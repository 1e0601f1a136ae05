"""The pool of large kernel outputs a compiled graph recycles across runs (runtime/buffers.py)."""
import threading

import numpy as np
import pytest

import minexport as me
from minexport.export import export
from minexport.runtime import buffers

BIG = (512, 128)        # 256 KiB of float32: pooled
F32 = np.dtype(np.float32)


def test_a_free_array_is_handed_out_again_and_a_held_one_never():
    pool = buffers.BufferPool()
    a = pool.take(BIG, F32)
    a_id = id(a)
    held = pool.take(BIG, F32)
    assert held is not a                    # a is still referenced here
    del a
    assert id(pool.take(BIG, F32)) == a_id  # nothing references it any more: recycled
    view = held[3:]
    del held
    again = pool.take(BIG, F32)
    assert again.base is None and not np.shares_memory(again, view)   # a view keeps its base in use


def test_a_run_forgets_what_it_did_not_hand_out():
    pool = buffers.BufferPool()
    kept = pool.take(BIG, F32)
    pool.take((256, 256), F32)
    pool.end_run()                          # both were handed out in that run: both stay
    assert pool.nbytes == kept.nbytes + 256 * 256 * 4
    pool.take((256, 256), F32)
    pool.end_run()                          # BIG was not handed out in this run: dropped
    assert pool.nbytes == 256 * 256 * 4
    assert pool.take(BIG, F32) is not kept  # the user's array is theirs now


def test_small_arrays_and_other_namespaces_bypass_the_pool(monkeypatch):
    pool = buffers.BufferPool()
    previous = buffers.activate(pool)
    try:
        small = buffers.empty(np, (8, 8), np.float32)
        big = buffers.empty(np, BIG, np.float32)
        assert small.shape == (8, 8) and big.shape == BIG and big.dtype == F32
        assert pool.nbytes == big.nbytes
        monkeypatch.setattr(buffers, "MAX_BYTES", big.nbytes)
        extra = buffers.empty(np, BIG, np.float32)   # over the limit: a plain array, not kept
        assert pool.nbytes == big.nbytes and extra is not big
    finally:
        buffers.deactivate(previous)
    assert buffers.active() is previous
    assert buffers.empty(np, BIG, np.float32).shape == BIG      # no pool active: plain np.empty


def test_threads_never_share_a_buffer():
    pool = buffers.BufferPool()
    clashes = []

    def work(mark):
        for _ in range(300):
            a = pool.take(BIG, F32)
            a.fill(mark)
            a[0, 0] = mark                  # (more bytecodes: room for a thread switch)
            if not (a == mark).all():
                clashes.append(mark)
            del a
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clashes == []
    assert pool.nbytes <= 4 * 512 * 128 * 4     # never more buffers than threads holding one


class _Mlp(me.nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = me.nn.Linear(128, 512), me.nn.Linear(512, 128)

    def forward(self, x):
        h = self.a(x).relu()
        return self.b(h), h[:, :4]


def test_module_outputs_the_user_keeps_are_never_overwritten():
    model = _Mlp().eval()
    x1, x2 = me.randn(256, 128), me.randn(256, 128)
    mod = export(model, (x1,)).module()
    y1, v1 = mod(x1)
    expect_y1, expect_v1 = y1.numpy().copy(), v1.numpy().copy()
    for _ in range(3):
        y2, v2 = mod(x2)                    # every later run needs the same large buffers
    np.testing.assert_array_equal(y1.numpy(), expect_y1)
    np.testing.assert_array_equal(v1.numpy(), expect_v1)      # a view of an intermediate, kept
    ref = model(x2)
    np.testing.assert_allclose(y2.numpy(), ref[0].numpy(), rtol=1e-5, atol=1e-5)


def test_a_module_reuses_its_intermediates_between_runs():
    mod = export(_Mlp().eval(), (me.randn(256, 128),)).module()
    x = me.randn(256, 128)
    mod(x)
    pool = mod._plan.interpreter._buffers
    held = pool.nbytes
    assert held > 0
    for _ in range(3):
        mod(x)
    assert pool.nbytes == held              # the same arrays, not new ones


@pytest.mark.parametrize("dtype", [me.float32, me.float64, me.int64])
def test_pooled_products_match_plain_numpy(dtype):
    a = (me.randn(300, 200) * 10).to(dtype)
    b = (me.randn(200, 400) * 10).to(dtype)

    class M(me.nn.Module):
        def forward(self, a, b):
            return (a @ b) @ b.T, me.mm(a, b) + 1

    mod = export(M(), (a, b)).module()
    for _ in range(2):
        p, q = mod(a, b)
    an, bn = a.numpy(), b.numpy()
    np.testing.assert_allclose(p.numpy(), (an @ bn) @ bn.T, rtol=1e-6)
    np.testing.assert_allclose(q.numpy(), an @ bn + 1, rtol=1e-6)


def test_a_full_pool_keeps_no_trace_of_what_it_did_not_store(monkeypatch):
    monkeypatch.setattr(buffers, "MAX_BYTES", 0)
    pool = buffers.BufferPool()
    for rows in range(300, 340):        # a dynamic batch: a new shape every run
        pool.take((rows, 128), F32)
        pool.end_run()
    assert pool.nbytes == 0 and pool._entries == {}
