"""``python -m srcad ...``: the same as the ``srcad`` command."""

import sys

from srcad.cli import main

sys.exit(main())
