"""`python -m core train ...` (installed, also `backprop-visualizer-cli train ...`): see core/cli.py."""
import sys

from .cli import entry

if __name__ == "__main__":
    sys.exit(entry())
