"""``python -m asleep_nb.cli``: the ``asleep-nb`` command."""

import sys

from asleep_nb.cli import main

sys.exit(main())
