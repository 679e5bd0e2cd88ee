"""The CS231n image captioner on minigrad: model, decoding, training, BLEU."""
from zoo.captioning.decode import beam_search, greedy_decode
from zoo.captioning.model import CaptionerConfig, CaptioningRNN
from zoo.captioning.train import CaptioningSolver, load_captioner, save_captioner

__all__ = ["CaptioningRNN", "CaptionerConfig", "CaptioningSolver", "greedy_decode", "beam_search",
           "load_captioner", "save_captioner"]
