"""Every built-in Function (CamelCase classes) and its snake_case wrapper."""
from minigrad.functional.conv import Conv2d, MaxPool2d, conv2d, max_pool2d
from minigrad.functional.elementwise import (
                                             Add,
                                             Cast,
                                             Div,
                                             Exp,
                                             Log,
                                             Mul,
                                             Neg,
                                             Pow,
                                             ReLU,
                                             Sigmoid,
                                             Sub,
                                             Tanh,
                                             add,
                                             div,
                                             exp,
                                             log,
                                             mul,
                                             neg,
                                             pow,
                                             relu,
                                             sigmoid,
                                             sub,
                                             tanh,
)
from minigrad.functional.embedding import Embedding, embedding
from minigrad.functional.linear import (
                                             Affine,
                                             MatMul,
                                             TemporalAffine,
                                             affine,
                                             matmul,
                                             temporal_affine,
)
from minigrad.functional.loss import MaskedSoftmaxCE, SoftmaxCE, masked_softmax_ce, softmax_ce
from minigrad.functional.recurrent import LSTMStep, RNNStep, lstm_step, rnn_step
from minigrad.functional.reduce import Max, Mean, Sum, max, mean, sum
from minigrad.functional.sequence import LSTMSequence, RNNSequence, lstm, rnn
from minigrad.functional.shape import (
                                             Concat,
                                             GetItem,
                                             Reshape,
                                             Stack,
                                             Transpose,
                                             concat,
                                             getitem,
                                             reshape,
                                             stack,
                                             transpose,
)

__all__ = [
    "Conv2d", "MaxPool2d", "conv2d", "max_pool2d",
    "Add", "Sub", "Mul", "Div", "Neg", "Pow", "Exp", "Log", "Tanh", "Sigmoid", "ReLU", "Cast",
    "Sum", "Mean", "Max", "Reshape", "Transpose", "GetItem", "Concat", "Stack",
    "MatMul", "Affine", "TemporalAffine", "Embedding", "RNNStep", "LSTMStep",
    "RNNSequence", "LSTMSequence", "MaskedSoftmaxCE", "SoftmaxCE",
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "tanh", "sigmoid", "relu",
    "sum", "mean", "max", "reshape", "transpose", "getitem", "concat", "stack",
    "matmul", "affine", "temporal_affine", "embedding", "rnn_step", "lstm_step", "rnn", "lstm",
    "masked_softmax_ce", "softmax_ce",
]
