"""``python -m structlearn`` is the ``structlearn`` command."""
import sys

from .cli import main

sys.exit(main())
