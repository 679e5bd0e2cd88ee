"""The captioner in torch: written in torch ops (same algorithm), and with nn.LSTM / nn.RNN,
with or without packed sequences (as a torch expert skips padding)."""
from __future__ import annotations

import numpy as np
import torch


def tensors(params: dict) -> dict:
    """Leaf tensors (requires_grad) holding copies of the parameters."""
    return {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}


def _loss_tail(h: torch.Tensor, p: dict, cout: torch.Tensor, N: int) -> torch.Tensor:
    """Temporal affine + softmax CE summed over unmasked tokens / N; h (N, T, H)."""
    scores = h @ p["W_vocab"] + p["b_vocab"]  # (N, T, V)
    logp = torch.log_softmax(scores, dim=2)
    picked = logp.gather(2, cout.unsqueeze(2)).squeeze(2)  # (N, T)
    return -(picked * (cout != 0)).sum() / N


def ops_step(p: dict, features: torch.Tensor, captions: torch.Tensor, cell: str) -> torch.Tensor:
    """Loss of the captioner written in torch ops, step by step (as minigrad's model)."""
    cin, cout = captions[:, :-1], captions[:, 1:]
    N, T = cin.shape
    H = p["Wh"].shape[0]
    h = features @ p["W_proj"] + p["b_proj"]
    c = torch.zeros_like(h)
    xw = p["W_embed"][cin]  # (N, T, W)
    xa = xw @ p["Wx"] + p["b"]  # (N, T, G)
    hs = []
    for t in range(T):
        a = xa[:, t] + h @ p["Wh"]
        if cell == "rnn":
            h = torch.tanh(a)
        else:
            i, f, o = torch.sigmoid(a[:, :3 * H]).split(H, dim=1)
            g = torch.tanh(a[:, 3 * H:])
            c = f * c + i * g
            h = o * torch.tanh(c)
        hs.append(h)
    return _loss_tail(torch.stack(hs, 1), p, cout, N)


def to_torch_ifgo(w: torch.Tensor, H: int) -> torch.Tensor:
    """Reorder gate blocks i, f, o, g (minigrad / CS231n) to torch's i, f, g, o along dim 0."""
    i, f, o, g = w.split(H, dim=0)
    return torch.cat([i, f, g, o], dim=0)


def lengths_of(cout: torch.Tensor, null: int = 0) -> torch.Tensor:
    """Per row, 1 + the last position whose target is not <NULL> (0 if none): (N,) int64."""
    T = cout.shape[1]
    pos = torch.arange(1, T + 1).expand_as(cout)
    return (pos * (cout != null)).max(dim=1).values


class NNCaptioner(torch.nn.Module):
    """The captioner with torch.nn.LSTM / nn.RNN (fused kernels on the CPU); `packed=True` runs
    the recurrence on pack_padded_sequence and scores only the packed (unpadded) tokens."""

    def __init__(self, params: dict, cell: str, packed: bool = False) -> None:
        super().__init__()
        self.packed = packed
        W, G = params["Wx"].shape
        H = params["Wh"].shape[0]
        dt = torch.float64 if params["Wx"].dtype == np.float64 else torch.float32
        rnn_cls = torch.nn.LSTM if cell == "lstm" else torch.nn.RNN
        self.cell = cell
        self.rnn = rnn_cls(W, H, batch_first=True, dtype=dt)
        keep = ("W_proj", "b_proj", "W_embed", "W_vocab", "b_vocab")
        self.p = torch.nn.ParameterDict({k: torch.nn.Parameter(torch.tensor(v))
                                         for k, v in params.items() if k in keep})
        with torch.no_grad():
            wih = torch.tensor(params["Wx"]).T
            whh = torch.tensor(params["Wh"]).T
            b = torch.tensor(params["b"])
            if cell == "lstm":
                wih, whh, b = to_torch_ifgo(wih, H), to_torch_ifgo(whh, H), to_torch_ifgo(b, H)
            self.rnn.weight_ih_l0.copy_(wih)
            self.rnn.weight_hh_l0.copy_(whh)
            self.rnn.bias_ih_l0.copy_(b)
            self.rnn.bias_hh_l0.zero_()

    def forward(self, features: torch.Tensor, captions: torch.Tensor) -> torch.Tensor:
        cin, cout = captions[:, :-1], captions[:, 1:]
        h0 = (features @ self.p["W_proj"] + self.p["b_proj"]).unsqueeze(0)
        x = self.p["W_embed"][cin]
        state = (h0, torch.zeros_like(h0)) if self.cell == "lstm" else h0
        if not self.packed:
            h, _ = self.rnn(x, state)
            return _loss_tail(h, self.p, cout, cin.shape[0])
        pack = torch.nn.utils.rnn.pack_padded_sequence
        lengths = lengths_of(cout)
        h, _ = self.rnn(pack(x, lengths, batch_first=True, enforce_sorted=False), state)
        y = pack(cout, lengths, batch_first=True, enforce_sorted=False).data
        scores = h.data @ self.p["W_vocab"] + self.p["b_vocab"]  # (packed tokens, V)
        loss = torch.nn.functional.cross_entropy(scores, y, ignore_index=0, reduction="sum")
        return loss / cin.shape[0]

    def grads(self) -> dict:
        """Parameter gradients in minigrad's layout (Wx (W, G), gates i, f, o, g)."""
        H = self.rnn.hidden_size
        g = {k: v.grad.numpy() for k, v in self.p.items()}
        wih, whh = self.rnn.weight_ih_l0.grad, self.rnn.weight_hh_l0.grad
        b = self.rnn.bias_ih_l0.grad
        if self.cell == "lstm":  # torch's i, f, g, o back to i, f, o, g
            back = lambda w: torch.cat([w.split(H, 0)[k] for k in (0, 1, 3, 2)], 0)  # noqa: E731
            wih, whh, b = back(wih), back(whh), back(b)
        g["Wx"], g["Wh"], g["b"] = wih.T.numpy(), whh.T.numpy(), b.numpy()
        return g
