"""CF attributes and encodings of the toolkit's datasets, built from :mod:`asleep_nb.definitions`.

Every dataset the toolkit makes (one night from :func:`~asleep_nb.data.night.to_dataset`,
a cohort from :func:`~asleep_nb.data.cohort.to_cohort`, a stats dataset from
:func:`asleep_nb.stats.compute_stats`) goes through :func:`annotate` last, so it
carries:

- the CF-1.11 global attributes ``Conventions``, ``title``, ``history`` (the
  toolkit version and the function that made it), ``source`` and
  ``references``;
- on every variable it knows, ``long_name`` and ``units`` and
  ``standard_name`` where one exists; stage arrays as CF flag variables whose
  padding code :data:`~asleep_nb.definitions.PAD` is the ``missing_value``
  (attribute) and ``_FillValue`` (encoding), so a plain
  ``xarray.open_dataset`` masks it;
- CF encodings: instants as ``int64`` seconds since 1970-01-01, durations as
  seconds, ``two_stage`` written as ``int8`` (no ``dtype="bool"`` attribute).

Nothing here spells a long name or a unit: they come from the definitions.

Examples
--------
>>> from asleep_nb.data.attributes import global_attrs, stage_attrs
>>> global_attrs("night")["Conventions"]
'CF-1.11'
>>> stage_attrs("sleep_stage")["flag_meanings"], int(stage_attrs("sleep_stage")["missing_value"])
('error wake light deep rem', -2)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from asleep_nb.definitions import (
    PAD,
    SLEEP_STAGE_FLAGS,
    SNORING_STAGE_FLAGS,
    STAT_FIELDS,
    TWO_STAGE_FLAGS,
    stat_attrs,
)
from asleep_nb.definitions.scoring import REFERENCE_VARIABLES
from asleep_nb.definitions.variables import (
    BUILDERS,
    CALENDAR,
    CF_CONVENTIONS,
    COHORT_VARIABLES,
    DURATION_UNITS,
    INSTANT_UNITS,
    INSTANT_UNITS_METADATA,
    NIGHT_VARIABLES,
    REFERENCES,
    SOURCES,
    STAGE_VARIABLES,
    TITLES,
    DatasetKind,
    DatasetVariable,
    alignment_variables,
)
from asleep_nb.version import __version__

__all__ = [
    "TIME_ENCODING",
    "TIMEDELTA_ENCODING",
    "STAGE_NAMES",
    "stage_attrs",
    "global_attrs",
    "variable_definition",
    "annotate",
]

#: CF encoding of every instant (the API gives whole seconds).
TIME_ENCODING: dict[str, str] = {"units": INSTANT_UNITS, "calendar": CALENDAR}
#: CF encoding of every duration held as ``timedelta64``.
TIMEDELTA_ENCODING: dict[str, str] = {"units": DURATION_UNITS}
#: The stage arrays: ``int8`` CF flag variables padded with ``PAD``.
STAGE_NAMES: tuple[str, ...] = tuple(STAGE_VARIABLES)

_FLAGS: dict[str, dict[str, object]] = {
    "sleep_stage": SLEEP_STAGE_FLAGS,
    "snoring_stage": SNORING_STAGE_FLAGS,
}


def stage_attrs(name: str) -> dict[str, object]:
    """Attributes of the stage variable ``name``: ``long_name``, CF flags (``int8``), ``missing_value``.

    ``breath_stage`` has no flags: the vendor does not document its codes.

    Raises
    ------
    KeyError
        ``name`` is not a stage variable.
    """
    attrs: dict[str, object] = dict(STAGE_VARIABLES[name].attrs())
    flags = _FLAGS.get(name)
    if flags:
        attrs["flag_values"] = np.array(flags["flag_values"], dtype=np.int8)
        attrs["flag_meanings"] = flags["flag_meanings"]
    attrs["missing_value"] = np.int8(PAD)
    return attrs


def global_attrs(kind: DatasetKind, *, detail: str = "") -> dict[str, str]:
    """The CF global attributes of a dataset of ``kind`` (``"night"``, ``"cohort"`` or ``"stats"``).

    Parameters
    ----------
    kind
        Which dataset.
    detail
        Arguments of the building call, for ``history`` (``"align='onset'"``).

    Examples
    --------
    >>> global_attrs("cohort", detail="align='onset'")["history"]
    "to_cohort(align='onset') by asleep_nb 0.1.0"
    """
    return {
        "Conventions": CF_CONVENTIONS,
        "title": TITLES[kind],
        "history": f"{BUILDERS[kind]}({detail}) by asleep_nb {__version__}",
        "source": SOURCES[kind],
        "references": REFERENCES,
    }


def variable_definition(name: str, kind: DatasetKind, alignment: str | None = None) -> DatasetVariable | None:
    """The definition of the coordinate or variable ``name`` in a dataset of ``kind`` (``None``: unknown).

    ``epoch`` and its companion (``elapsed``/``clock``) of a cohort depend on
    its ``alignment``.
    """
    if name in STAGE_VARIABLES:
        return STAGE_VARIABLES[name]
    if kind == "night":
        return NIGHT_VARIABLES.get(name)
    if alignment is not None and name in ("epoch", "elapsed", "clock"):
        for var in alignment_variables(alignment):
            if var.name == name:
                return var
        return None
    return COHORT_VARIABLES.get(name) or REFERENCE_VARIABLES.get(name)


def _attrs_of(name: str, kind: DatasetKind, alignment: str | None) -> dict[str, object] | None:
    if name in STAGE_VARIABLES:
        return stage_attrs(name)
    if name in STAT_FIELDS:
        return dict(stat_attrs(name))
    definition = variable_definition(name, kind, alignment)
    if definition is None:
        return None
    attrs: dict[str, object] = dict(definition.attrs())
    if name == "two_stage":
        attrs["flag_values"] = np.array(TWO_STAGE_FLAGS["flag_values"], dtype=np.int8)
        attrs["flag_meanings"] = TWO_STAGE_FLAGS["flag_meanings"]
    return attrs


def _encoding_of(name: str, var: xr.Variable) -> dict[str, Any]:
    kind = var.dtype.kind
    if kind == "M":
        return dict(TIME_ENCODING)
    if kind == "m":
        return dict(TIMEDELTA_ENCODING)
    if name in STAGE_VARIABLES:
        return {"_FillValue": np.int8(PAD)}
    if kind == "b":
        return {"dtype": np.dtype("int8")}
    return {}


def annotate(
    ds: xr.Dataset, kind: DatasetKind, *, detail: str = "", keep: Mapping[str, Any] | None = None
) -> xr.Dataset:
    """``ds`` with the CF attributes and encodings of a toolkit dataset of ``kind``.

    Every variable the definitions know gets their attributes (replacing
    what it had: nothing leaks from the arrays it was computed from) and the
    toolkit's CF encoding; other variables are left as they are. Global
    attributes: :func:`global_attrs`, then ``keep`` (the dataset's own, such
    as ``timezone`` or ``alignment``).

    Parameters
    ----------
    ds
        A dataset built by the toolkit (not modified).
    kind
        ``"night"``, ``"cohort"`` or ``"stats"``.
    detail
        Arguments of the building call, for ``history``.
    keep
        Further global attributes.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = annotate(xr.Dataset({"sleep_stage": ("time", np.array([0, 1], "int8"))}), "night")
    >>> ds.attrs["title"], ds["sleep_stage"].encoding["_FillValue"]
    ('One night recorded with the Asleep sleep-tracking API', np.int8(-2))
    """
    keep = {} if keep is None else keep
    alignment = keep.get("alignment", ds.attrs.get("alignment"))
    out = ds.copy(deep=False)
    for name, var in out.variables.items():
        attrs = _attrs_of(str(name), kind, alignment if isinstance(alignment, str) else None)
        if attrs is None:
            continue
        if attrs.get("standard_name") == "time" and var.dtype.kind == "M":
            attrs["units_metadata"] = INSTANT_UNITS_METADATA
        var.attrs = attrs
        var.encoding = _encoding_of(str(name), var)
    out.attrs = {**global_attrs(kind, detail=detail), **keep}
    return out
