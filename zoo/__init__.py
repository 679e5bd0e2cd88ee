"""Models built only from minigrad (numpy): the captioner, its datasets and encoders."""
