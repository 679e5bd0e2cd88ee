"""Optimizers (SGD, RMSProp, Adam, AdamW) with torch-style parameter groups, the CS231n
`make_optimizer`, learning-rate schedules and gradient clipping."""
from minigrad.optim.clip import clip_grad_norm_, clip_grad_value_
from minigrad.optim.optimizer import NonFiniteGradientError, NonFiniteGradientWarning, Optimizer
from minigrad.optim.optimizers import SGD, Adam, AdamW, RMSProp, make_optimizer
from minigrad.optim.plateau import ReduceLROnPlateau
from minigrad.optim.schedule import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    MultiStepLR,
    StepLR,
)

RMSprop = RMSProp  # torch's spelling

__all__ = ["Optimizer", "NonFiniteGradientWarning", "NonFiniteGradientError",
           "SGD", "RMSProp", "RMSprop", "Adam", "AdamW", "make_optimizer",
           "LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LambdaLR", "ReduceLROnPlateau", "clip_grad_norm_", "clip_grad_value_"]
