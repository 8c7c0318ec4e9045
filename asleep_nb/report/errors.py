"""Why a report could not be made: expected failures, each told in one or two lines.

A :class:`ReportError` is a failure the user can act on (a malformed manifest,
a session that cannot be had, an unreachable server, a bad template); its
message names the problem, and ``asleep-nb report`` prints it alone and exits
with :attr:`ReportError.exit_code`. Anything else is a bug and keeps its
traceback.

Examples
--------
>>> err = ReportInputError("manifest study.csv, line 3: user_id is empty")
>>> str(err), err.exit_code, isinstance(err, ValueError)
('manifest study.csv, line 3: user_id is empty', 2, True)
>>> DataUnavailable("cannot reach the API at api.asleep.ai").exit_code
1
"""

from __future__ import annotations

from asleep_nb.errors import AsleepError, ValidationError

__all__ = ["DataUnavailable", "ReportError", "ReportInputError"]


class ReportError(AsleepError):
    """A report that cannot be made; the message says why in one or two lines.

    Parameters
    ----------
    message
        What went wrong, naming the file, line, session or option concerned.
    """

    #: Exit status of ``asleep-nb report`` for this failure.
    exit_code: int = 1


class ReportInputError(ReportError, ValidationError):
    """Bad input: manifest, time zone, archive folder, template or an option (exit status 2)."""

    exit_code = 2


class DataUnavailable(ReportError):
    """Sessions that cannot be had: missing, corrupt in the archive, or a server out of reach (exit 1)."""

    exit_code = 1
