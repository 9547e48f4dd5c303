"""``python -m webapp.cli``: the ``research-index`` command."""

import sys

from webapp.cli.main import main

sys.exit(main())
