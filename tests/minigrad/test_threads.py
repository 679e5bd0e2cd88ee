"""Grad mode is per thread: no_grad (or an optimizer step) in one thread never affects another."""
from __future__ import annotations

import threading

import numpy as np

import minigrad.functional as F
from minigrad import Tensor, enable_grad, is_grad_enabled, no_grad
from minigrad.grad_mode import set_grad_enabled
from minigrad.nn import Linear, Module
from minigrad.optim import SGD, Adam

TIMEOUT = 30.0


def _run(*targets):
    """Run each target in its own thread; re-raise the first exception any of them hit."""
    errors = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001  (handed back to the test)
                errors.append(e)
        return run

    threads = [threading.Thread(target=guard(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "thread did not finish"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    x = Tensor(np.ones(3), requires_grad=True)
    entered, recorded, seen = threading.Event(), threading.Event(), {}

    def quiet():
        with no_grad():
            entered.set()
            assert recorded.wait(TIMEOUT)  # the other thread records while we are in no_grad
            seen["quiet enabled"] = is_grad_enabled()
            seen["quiet y"] = x * 2.0

    def loud():
        assert entered.wait(TIMEOUT)
        seen["loud enabled"] = is_grad_enabled()
        seen["loud y"] = x * 2.0
        recorded.set()

    _run(quiet, loud)
    assert seen["loud enabled"] and seen["loud y"].requires_grad
    assert seen["loud y"].grad_fn is F.Mul
    assert not seen["quiet enabled"] and seen["quiet y"].grad_fn is None
    seen["loud y"].sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_set_grad_enabled_and_enable_grad_stay_in_their_thread():
    flipped, checked, seen = threading.Event(), threading.Event(), {}

    def flipper():
        set_grad_enabled(False)
        flipped.set()
        assert checked.wait(TIMEOUT)
        with enable_grad():
            seen["inner"] = is_grad_enabled()
        seen["after"] = is_grad_enabled()

    def watcher():
        assert flipped.wait(TIMEOUT)
        seen["watcher"] = is_grad_enabled()
        checked.set()

    with no_grad():  # the main thread's mode is not the workers' either
        _run(flipper, watcher)
        assert not is_grad_enabled()
    assert seen == {"watcher": True, "inner": True, "after": False}
    assert is_grad_enabled()


def test_a_new_thread_starts_with_grad_enabled():
    x = Tensor(np.ones(2), requires_grad=True)
    seen = {}

    def child():
        seen["enabled"] = is_grad_enabled()
        seen["y"] = x * 3.0

    with no_grad():
        _run(child)
        assert not is_grad_enabled()
    assert seen["enabled"] and seen["y"].requires_grad and seen["y"].grad_fn is F.Mul


# ----- two models trained at once equal the same models trained one after the other --------
class MLP(Module):
    def __init__(self, seed: int) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.fc1 = Linear(5, 16, dtype=np.float64, rng=rng)
        self.fc2 = Linear(16, 3, dtype=np.float64, rng=rng)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def _data(seed: int) -> tuple:
    rng = np.random.default_rng(100 + seed)
    return rng.standard_normal((32, 5)), rng.integers(0, 3, size=32)


def _train(seed: int, steps: int, lead: bool, sync=lambda: None) -> dict:
    """Train MLP(seed) for `steps` steps; with a shared `sync` (a barrier), two threads take turns:
    each one's forward and backward run while the other waits inside no_grad, before its step."""
    model = MLP(seed)
    params = list(model.parameters())
    opt = SGD(params, lr=0.1, momentum=0.9) if seed % 2 else Adam(params, lr=1e-2)
    x, y = _data(seed)

    def forward_backward(k: int) -> None:
        opt.zero_grad()
        loss = F.softmax_ce(model(x[k % 4 * 8:][:8]), y[k % 4 * 8:][:8])
        assert loss.requires_grad, "recording was off in a training thread"
        loss.backward()

    for k in range(steps):
        if lead:
            sync()
            forward_backward(k)  # the other thread is parked inside no_grad
            sync()
            with no_grad():
                sync()
                sync()  # parked while the other thread records its forward
                opt.step()
        else:
            with no_grad():
                sync()
                sync()  # parked while the lead thread records its forward
                if k:
                    opt.step()
            sync()
            forward_backward(k)
            sync()
        assert is_grad_enabled()
    if not lead:
        opt.step()
    return {k: v.copy() for k, v in model.state_dict().items()}


def test_two_threads_train_two_models_bit_for_bit_like_sequential_runs():
    steps = 30
    expected = {seed: _train(seed, steps, lead=seed == 1) for seed in (1, 2)}
    barrier = threading.Barrier(2)
    got: dict = {}

    def worker(seed):
        def run():
            try:
                got[seed] = _train(seed, steps, seed == 1, lambda: barrier.wait(TIMEOUT))
            except BaseException:
                barrier.abort()  # a failing thread must not leave the other one waiting
                raise
        return run

    _run(worker(1), worker(2))
    for seed, ref in expected.items():
        assert got[seed].keys() == ref.keys()
        for k in ref:
            assert np.array_equal(got[seed][k], ref[k]), (seed, k)
        assert not np.array_equal(ref["fc1.weight"], MLP(seed).state_dict()["fc1.weight"])


def test_set_grad_enabled_as_a_call_and_as_a_context_manager():
    x = Tensor(np.ones(2), requires_grad=True)
    with set_grad_enabled(False):
        assert not is_grad_enabled() and (x * 2.0).grad_fn is None
        with set_grad_enabled(True):
            assert (x * 2.0).grad_fn is F.Mul
        assert not is_grad_enabled()
    assert is_grad_enabled()
    set_grad_enabled(False)
    try:
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)
    assert is_grad_enabled()
