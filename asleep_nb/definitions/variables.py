"""What every variable, coordinate and attribute of the toolkit's datasets means.

The ``stat`` fields and research metrics are defined in
:mod:`asleep_nb.definitions.fields` and the stage codes in
:mod:`asleep_nb.definitions.stages`. This module defines the rest, once:

- the coordinates of a night and of a cohort (``time``, ``epoch``,
  ``session_id``, ``night`` ...) and the stage variables: CF ``long_name``,
  ``units``, ``standard_name`` where CF has one, their meaning, the rule that
  computes them and how a file holds them;
- the dataset-level CF attributes (``Conventions``, ``title``, ``source``,
  ``references``) of the three datasets the toolkit makes: one night, a
  cohort and a stats dataset;
- the attributes of a night and of a cohort (``timezone``, ``alignment`` ...).

Wall-clock quantities (``local_time``, ``local_start_time``, ``night``) are
not instants, so files never hold them as CF times ("seconds since ..."),
which every CF reader decodes as UTC: see :data:`WALL_CLOCK_ON_DISK`.

The data layer builds every attribute from here, and
:mod:`asleep_nb.data.codebook` writes the codebook (``docs/codebook.md``)
from here.

Examples
--------
>>> from asleep_nb.definitions.variables import NIGHT_VARIABLES, TITLES
>>> NIGHT_VARIABLES["time"].attrs()
{'long_name': 'epoch start (UTC)', 'standard_name': 'time'}
>>> TITLES["cohort"]
'Nights recorded with the Asleep sleep-tracking API, on a common epoch axis'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Final, Literal

from asleep_nb.definitions.fields import cf_attrs
from asleep_nb.definitions.rules import NIGHT_RULE, RULE_DESCRIPTIONS
from asleep_nb.definitions.stages import EPOCH_SECONDS, PAD

__all__ = [
    "CF_CONVENTIONS",
    "REFERENCES",
    "INSTANT_UNITS",
    "CALENDAR",
    "INSTANT_UNITS_METADATA",
    "DURATION_UNITS",
    "DatasetKind",
    "DATASET_KINDS",
    "TITLES",
    "SOURCES",
    "BUILDERS",
    "DatasetVariable",
    "STAGE_VARIABLES",
    "NIGHT_VARIABLES",
    "COHORT_VARIABLES",
    "DISK_VARIABLES",
    "ALIGNMENT_RULES",
    "WALL_CLOCK_ON_DISK",
    "NIGHT_ATTRIBUTES",
    "COHORT_ATTRIBUTES",
    "CF_ATTRIBUTES",
    "EPOCH_TABLE_COLUMNS",
    "TABLE_TITLES",
    "alignment_variables",
]

#: The CF version every file of the toolkit follows (global attribute ``Conventions``).
CF_CONVENTIONS: Final = "CF-1.11"
#: Global attribute ``references``: where the data and their definitions are documented.
REFERENCES: Final = (
    "Asleep API documentation https://docs-en.asleep.ai (Get Session, API v3 at https://api.asleep.ai); "
    "stat definitions: the vendor's pysleep 0.2.0"
)
#: CF encoding of instants (UTC, whole seconds in the API).
INSTANT_UNITS: Final = "seconds since 1970-01-01"
#: CF calendar of instants.
CALENDAR: Final = "proleptic_gregorian"
#: CF-1.11 ``units_metadata`` of instants: the API's times are POSIX times, which count no leap second.
INSTANT_UNITS_METADATA: Final = "leap_seconds: none"
#: CF encoding of durations held as ``timedelta64``.
DURATION_UNITS: Final = "seconds"

DatasetKind = Literal["night", "cohort", "stats"]
#: The datasets the toolkit makes.
DATASET_KINDS: tuple[DatasetKind, ...] = ("night", "cohort", "stats")
#: Global attribute ``title`` of each dataset.
TITLES: MappingProxyType[DatasetKind, str] = MappingProxyType(
    {
        "night": "One night recorded with the Asleep sleep-tracking API",
        "cohort": "Nights recorded with the Asleep sleep-tracking API, on a common epoch axis",
        "stats": "The Asleep stat object recomputed for every session",
    }
)
#: Global attribute ``source`` of each dataset.
SOURCES: MappingProxyType[DatasetKind, str] = MappingProxyType(
    {
        "night": "Asleep API v3 Get Session result",
        "cohort": "Asleep API v3 Get Session results",
        "stats": "stat fields recomputed by asleep_nb (vendor rule) from Asleep API v3 sleep stages",
    }
)
#: The toolkit function that makes each dataset (named in the global attribute ``history``).
BUILDERS: MappingProxyType[DatasetKind, str] = MappingProxyType(
    {"night": "to_dataset", "cohort": "to_cohort", "stats": "compute_stats"}
)

_UTC_DOC = "UTC instant (timezone-naive datetime64[ns])"
_WALL = "local wall clock (timezone-naive datetime64[ns], not an instant)"


@dataclass(frozen=True)
class DatasetVariable:
    """One variable or coordinate of a toolkit dataset.

    Attributes
    ----------
    name
        The variable's name (the API's where the API has one).
    long_name
        CF ``long_name``.
    meaning
        One or two sentences for the codebook.
    dims
        Dimensions in memory, as text (``"time"``, ``"session, epoch"``).
    dtype
        How it is held in memory, as text.
    units
        CF ``units`` attribute (``""``: none; instants and durations held
        as ``datetime64``/``timedelta64`` carry theirs in the encoding).
    standard_name
        CF ``standard_name``, ``""`` where the CF table has none.
    rule
        How the value is computed (``""``: taken from the API as is).
    on_disk
        How a file holds it, when that differs from memory.
    """

    name: str
    long_name: str
    meaning: str
    dims: str
    dtype: str
    units: str = ""
    standard_name: str = ""
    rule: str = ""
    on_disk: str = ""

    def attrs(self) -> dict[str, str]:
        """The CF attributes of the variable: ``long_name``, then ``units`` and ``standard_name`` if any."""
        return cf_attrs(self.long_name, self.units, self.standard_name)


def _v(name: str, long_name: str, meaning: str, dims: str, dtype: str, **kw: str) -> DatasetVariable:
    return DatasetVariable(name, long_name, meaning, dims, dtype, **kw)


_STAGE_DIMS = "time (night) or session, epoch (cohort)"
_PAD_TEXT = f"int8; {PAD} (padding: no epoch of the session) is the CF missing_value and _FillValue"

#: The stage arrays (CF flag variables; their codes are in :mod:`asleep_nb.definitions.stages`).
STAGE_VARIABLES: MappingProxyType[str, DatasetVariable] = MappingProxyType({
    v.name: v
    for v in [
        _v("sleep_stage", "sleep stage per 30-s epoch",
           "The vendor's sleep stage of each 30-s epoch (API sleep_stages).", _STAGE_DIMS, _PAD_TEXT),
        _v("snoring_stage", "snoring per 30-s epoch",
           "Whether the sleeper snored in each epoch (API snoring_stages); absent when the session has none.",
           _STAGE_DIMS, _PAD_TEXT,
           rule="cut or padded with the padding code to the length of sleep_stages when it differs"),
        _v("breath_stage", "breath stage per 30-s epoch (vendor codes, undocumented)",
           "The vendor's breath stage codes (API breath_stages, -1 to 2, meanings undocumented); "
           "absent when the session has none.", _STAGE_DIMS, _PAD_TEXT,
           rule="cut or padded with the padding code to the length of sleep_stages when it differs"),
    ]
})  # fmt: skip

#: Coordinates of one night (``to_dataset``; dimension ``time``).
NIGHT_VARIABLES: MappingProxyType[str, DatasetVariable] = MappingProxyType({
    v.name: v
    for v in [
        _v("time", "epoch start (UTC)", "Start of each 30-s epoch: the dataset's index.", "time", _UTC_DOC,
           standard_name="time", rule=f"start_time + epoch x {EPOCH_SECONDS} s",
           on_disk=f"int64 {INSTANT_UNITS} ({CALENDAR} calendar): a CF time coordinate"),
        _v("epoch", "epoch index", "Position of the epoch in the session: 0 for the first.", "time", "int32",
           units="1"),
        _v("elapsed", "time since session start", "Time from the session start to the epoch start.", "time",
           "timedelta64[ns]", rule=f"epoch x {EPOCH_SECONDS} s", on_disk=f"int64 {DURATION_UNITS}"),
        _v("local_time", "local wall-clock time (see attrs timezone)",
           "The epoch start on the wall clock of the dataset's time zone (global attribute timezone): it "
           "jumps at a daylight-saving change while time does not. A view: never the index.", "time", _WALL,
           rule="time converted to the IANA zone attrs['timezone'] "
           "(ds.asleep.to_timezone(name) recomputes it)",
           on_disk="not written: the file holds utc_offset, and local_time = time + utc_offset"),
    ]
})  # fmt: skip

#: Coordinates and per-session variables of a cohort (``to_cohort``); ``epoch`` and its
#: companion depend on the alignment (:func:`alignment_variables`).
COHORT_VARIABLES: MappingProxyType[str, DatasetVariable] = MappingProxyType({
    v.name: v
    for v in [
        _v("session_id", "session id (Asleep API)", "The API's session id.", "session", "str"),
        _v("user_id", "user id (Asleep API)", "The API's id of the user who recorded the session.",
           "session", "str"),
        _v("group", "study group", "The study group of the session (manifest column group; 'all' when "
           "none is given).", "session", "str"),
        _v("period", "design period", "The design period of the session (manifest column period, e.g. "
           "baseline or intervention); present only when the manifest gives one.", "session", "str"),
        _v("night", "local calendar date of (local start - 12 h)",
           "The night the session belongs to, so that a session starting after midnight counts for the "
           "evening before.", "session", "local calendar date (datetime64[ns] at midnight)",
           rule=f"night rule: {NIGHT_RULE}", on_disk="ISO 8601 date string YYYY-MM-DD ('' when unknown)"),
        _v("start_time", "session start (UTC)", "When the session started.", "session", _UTC_DOC,
           standard_name="time", on_disk=f"int64 {INSTANT_UNITS} ({CALENDAR} calendar)"),
        _v("end_time", "session end (UTC)", "When the session ended; NaT while it is OPEN.", "session",
           _UTC_DOC, standard_name="time", on_disk=f"int64 {INSTANT_UNITS} ({CALENDAR} calendar)"),
        _v("local_start_time", "local wall-clock start (see timezone)",
           "The session start on the wall clock of the session's time zone.", "session", _WALL,
           rule="start_time converted to the session's timezone",
           on_disk="ISO 8601 local date and time string YYYY-MM-DDTHH:MM:SS without offset "
           "('' when unknown)"),
        _v("timezone", "IANA time zone of the local view", "The zone of local_start_time, night and the "
           "clock alignment (an IANA name, never a fixed offset).", "session", "str"),
        _v("state", "session state", "The API's session state: OPEN, CLOSED or COMPLETE.", "session", "str"),
        _v("two_stage", "scored under a two-stage contract",
           "True when the session was scored wake/sleep only (code 1 then means sleep; deep and REM "
           "fields are null).", "session", "bool",
           on_disk="int8 CF flag variable: 0 four_stage, 1 two_stage"),
        _v("n_epochs", "epochs in the session", "How many 30-s epochs the session has.", "session", "int32",
           units="1"),
        _v("offset", "slot of the session's first epoch",
           "The session's epochs fill the slots offset, offset + 1, ... offset + n_epochs - 1 of the epoch "
           "axis; every other slot holds the padding code.", "session", "int32", units="1",
           rule="set by the alignment"),
        _v("peculiarities", "peculiarity labels of the session (comma-separated)",
           "The API's peculiarities, e.g. NO_BREATHING_STABILITY,IN_PROGRESS.", "session", "str"),
        _v("missing_data_ratio", "share of the night lost to missing audio",
           "The API's missing_data_ratio (NaN when null).", "session", "float64", units="1"),
    ]
})  # fmt: skip

#: Variables that only files hold (the on-disk form of a wall-clock quantity).
DISK_VARIABLES: MappingProxyType[str, DatasetVariable] = MappingProxyType(
    {
        "utc_offset": _v(
            "utc_offset",
            "local wall-clock time minus UTC",
            "The UTC offset of the dataset's time zone at each epoch (daylight saving included): "
            "local_time = time + utc_offset. asleep_nb's readers turn it back into local_time.",
            "time",
            "int32 (files only)",
            units="s",
            on_disk="int32 seconds, a coordinate beside time (replaces local_time)",
        ),
    }
)

#: How each cohort alignment places sessions on the epoch axis.
ALIGNMENT_RULES: MappingProxyType[str, str] = MappingProxyType(
    {
        "start": "epoch 0 is each session's start",
        "onset": "epoch 0 is each session's sleep onset by the "
        + RULE_DESCRIPTIONS["research"].split(":")[0]
        + " (a night that never slept aligns at its start)",
        "clock": "epoch 0 is clock_start on each session's local wall clock; a session sits at "
        "floor((local start - clock_start of its window) / 30 s)",
    }
)

#: How files hold each wall-clock quantity, instead of a CF time that readers would take for UTC.
WALL_CLOCK_ON_DISK: MappingProxyType[str, str] = MappingProxyType(
    {
        "local_time": NIGHT_VARIABLES["local_time"].on_disk,
        "local_start_time": COHORT_VARIABLES["local_start_time"].on_disk,
        "night": COHORT_VARIABLES["night"].on_disk,
    }
)


def alignment_variables(alignment: str) -> tuple[DatasetVariable, DatasetVariable]:
    """The ``epoch`` coordinate of a cohort aligned by ``alignment`` and its time companion.

    The companion is ``elapsed`` (``"start"``, ``"onset"``) or ``clock``.

    Raises
    ------
    KeyError
        ``alignment`` is not one of :data:`ALIGNMENT_RULES`.

    Examples
    --------
    >>> epoch, companion = alignment_variables("onset")
    >>> epoch.long_name, companion.name, companion.long_name
    ('epoch slot (onset alignment)', 'elapsed', 'time since sleep onset')
    """
    rule = ALIGNMENT_RULES[alignment]
    epoch = _v(
        "epoch", f"epoch slot ({alignment} alignment)", f"Slot of the common epoch axis: {rule}.", "epoch",
        "int32", units="1", rule=rule,
    )  # fmt: skip
    if alignment == "clock":
        companion = _v(
            "clock", "local clock time since clock_start", "Wall-clock time of the slot since clock_start "
            "(global attribute).", "epoch", "timedelta64[ns]", rule=f"epoch x {EPOCH_SECONDS} s",
            on_disk=f"int64 {DURATION_UNITS}",
        )  # fmt: skip
    else:
        since = "session start" if alignment == "start" else "sleep onset"
        companion = _v(
            "elapsed", f"time since {since}", f"Time from the {since} to the slot's start.", "epoch",
            "timedelta64[ns]", rule=f"epoch x {EPOCH_SECONDS} s", on_disk=f"int64 {DURATION_UNITS}",
        )  # fmt: skip
    return epoch, companion


#: Global attributes every toolkit dataset carries (CF section 2.6).
CF_ATTRIBUTES: MappingProxyType[str, str] = MappingProxyType(
    {
        "Conventions": f"the CF version the dataset follows: {CF_CONVENTIONS}",
        "title": "what the dataset holds",
        "history": "the toolkit version and the function that made the dataset",
        "source": "where the data come from",
        "references": "where the data and their definitions are documented",
    }
)
#: Global attributes of one night (besides :data:`CF_ATTRIBUTES`).
NIGHT_ATTRIBUTES: MappingProxyType[str, str] = MappingProxyType(
    {
        "session_id": "the API's session id",
        "user_id": "the API's user id ('' when the result did not say)",
        "state": "session state: OPEN, CLOSED or COMPLETE",
        "timezone": "IANA zone of local_time",
        "created_timezone": "the zone the session was recorded in ('' when null)",
        "peculiarities": "the API's peculiarity labels, comma-separated",
        "missing_data_ratio": "share of the night lost to missing audio (NaN when null)",
        "start_time": "session start, ISO 8601 in UTC",
        "end_time": "session end, ISO 8601 in UTC ('' while OPEN)",
        "unexpected_end_time": "the API's unexpected_end_time, ISO 8601 in UTC ('' when null)",
        "two_stage": "1 when the session was scored under a two-stage contract, else 0",
    }
)
#: Global attributes of a cohort (besides :data:`CF_ATTRIBUTES`).
COHORT_ATTRIBUTES: MappingProxyType[str, str] = MappingProxyType(
    {
        "alignment": "how the epoch axis is aligned: start, onset or clock",
        "clock_start": "local clock time of epoch 0 with alignment clock ('' otherwise)",
        "epoch_seconds": f"length of one epoch in seconds ({EPOCH_SECONDS})",
        "fill_code": f"the padding code of the stage arrays ({PAD})",
        "night_rule": f"how night is found: {NIGHT_RULE}",
        "session_order": "how sessions are sorted",
    }
)

#: Columns of the long per-epoch table (``asleep_nb.data.export.epoch_table``): one row per epoch.
EPOCH_TABLE_COLUMNS: MappingProxyType[str, DatasetVariable] = MappingProxyType(
    {
        "session_id": replace(COHORT_VARIABLES["session_id"], dims="row", dtype="str"),
        "time": replace(
            NIGHT_VARIABLES["time"], dims="row", dtype="datetime64[ns, UTC]",
            on_disk="CSV: ISO 8601 with offset +00:00; Parquet: timestamp UTC",
        ),
        "local_time": replace(
            NIGHT_VARIABLES["local_time"],
            long_name="local wall-clock time (the session's time zone)",
            meaning="The epoch start on the wall clock of the session's time zone (the dataset's timezone).",
            dims="row",
            on_disk="CSV: ISO 8601 without offset; Parquet: timestamp without time zone",
        ),
        "epoch": replace(NIGHT_VARIABLES["epoch"], dims="row"),
        "stage": replace(
            STAGE_VARIABLES["sleep_stage"], name="stage", dims="row", dtype="int8 (sleep_stage codes)",
            meaning="The vendor's sleep stage of the epoch (API sleep_stages).",
        ),
        "stage_label": _v(
            "stage_label", "display label of the sleep stage",
            "The stage's label as figures show it (code -1 is 'No signal'; code 1 is 'Sleep' on a two-stage "
            "night).", "row", "str",
        ),
        "snoring": replace(
            STAGE_VARIABLES["snoring_stage"], name="snoring", dims="row", dtype="Int8 (snoring_stage codes)",
            meaning="Whether the sleeper snored in the epoch (API snoring_stages); missing when the session "
            "has no snoring data.",
        ),
    }
)  # fmt: skip

#: Titles of the exported tables (``asleep_nb.data.export``).
TABLE_TITLES: MappingProxyType[str, str] = MappingProxyType(
    {
        "stats": "One row per session: its coordinates and the Asleep stat fields",
        "epochs": "One row per 30-s epoch of every session: its time and stage codes",
    }
)
