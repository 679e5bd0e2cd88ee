"""The torch side of minigrad: parity checks, the captioner twin, SqueezeNet visualizations."""
