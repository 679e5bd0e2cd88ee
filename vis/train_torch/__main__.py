"""`python -m vis.train_torch ...` and `torchrun --nproc_per_node=N -m vis.train_torch ...`."""
import sys

from vis.train_torch.cli import main

sys.exit(main())
