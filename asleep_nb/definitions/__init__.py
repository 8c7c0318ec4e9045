"""One home for every definition: stage codes and labels, stat fields and units, onset rules.

Every layer imports what a number means from here and never re-derives it.
"""

from __future__ import annotations

from asleep_nb.definitions.fields import *  # noqa: F403
from asleep_nb.definitions.fields import __all__ as _fields_all

__all__ = [*_fields_all]
