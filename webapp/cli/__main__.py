"""``python -m webapp.cli``: the ``research-index`` command."""

import sys

from webapp.cli import main

sys.exit(main())
