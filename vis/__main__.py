"""`python -m vis ...`: see vis.cli."""
from vis.cli import main

raise SystemExit(main())
