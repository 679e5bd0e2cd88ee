"""Optimizers (SGD, RMSProp, Adam), the CS231n `make_optimizer`, and learning-rate schedules."""
from minigrad.optim.optimizers import SGD, Adam, Optimizer, RMSProp, make_optimizer
from minigrad.optim.schedule import ExponentialLR, LRScheduler, StepLR

__all__ = ["Optimizer", "SGD", "RMSProp", "Adam", "make_optimizer", "LRScheduler", "StepLR",
           "ExponentialLR"]
