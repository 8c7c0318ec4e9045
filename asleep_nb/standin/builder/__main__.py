"""``python -m asleep_nb.standin.builder``: build the demo cohort into ``data/demo``."""

import sys

from asleep_nb.standin.builder.build import main

sys.exit(main())
