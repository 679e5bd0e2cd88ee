"""The CS231n image captioner on minigrad: RNN/LSTM and Transformer models, decoding, BLEU."""
from zoo.captioning.checkpoint import load_captioner, save_captioner
from zoo.captioning.decode import beam_search, greedy_decode
from zoo.captioning.model import CaptionerConfig, CaptioningRNN
from zoo.captioning.train import CaptioningSolver
from zoo.captioning.transformer import CaptioningTransformer, TransformerConfig

__all__ = ["CaptioningRNN", "CaptionerConfig", "CaptioningTransformer", "TransformerConfig",
           "CaptioningSolver", "greedy_decode", "beam_search", "load_captioner", "save_captioner"]
