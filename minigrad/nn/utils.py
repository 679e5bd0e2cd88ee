"""torch.nn.utils names: gradient clipping lives in minigrad.optim.clip and is re-exported here."""
from minigrad.optim.clip import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
