"""The codebook: every variable, coordinate and exported column with its meaning, unit, codes and rule.

Generated from :mod:`asleep_nb.definitions` (nothing here is typed twice):
:func:`codebook_markdown` gives it as Markdown (checked in as
``docs/codebook.md``; a test regenerates and compares it) and
:func:`codebook_html` as an HTML fragment without attributes (plain
``<h2>``, ``<p>``, ``<table>``, ``<ul>``, ``<code>``), which the report embeds as
an appendix and styles as its own.

Rewrite the checked-in file with ``python -m asleep_nb.data.codebook docs/codebook.md``.

Examples
--------
>>> from asleep_nb.data.codebook import codebook_html, codebook_markdown
>>> codebook_markdown().splitlines()[0]
'# asleep_nb codebook'
>>> codebook_html(level=2).startswith("<h2>asleep_nb codebook</h2>")
True
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from asleep_nb.definitions import (
    BREATH_STAGE_CODES,
    NIGHT_RULE,
    PAD,
    RESEARCH_METRICS,
    RULE_DESCRIPTIONS,
    SNORING_STAGE_FLAGS,
    SNORING_STAGE_MEANINGS,
    STAGES,
    STAT_FIELDS,
    TWO_STAGE_FLAGS,
    StatField,
)
from asleep_nb.definitions.variables import (
    ALIGNMENT_RULES,
    CALENDAR,
    CF_ATTRIBUTES,
    CF_CONVENTIONS,
    COHORT_ATTRIBUTES,
    COHORT_VARIABLES,
    DISK_VARIABLES,
    EPOCH_TABLE_COLUMNS,
    INSTANT_UNITS,
    INSTANT_UNITS_METADATA,
    NIGHT_ATTRIBUTES,
    NIGHT_VARIABLES,
    STAGE_VARIABLES,
    TABLE_TITLES,
    WALL_CLOCK_ON_DISK,
    DatasetVariable,
    alignment_variables,
)

__all__ = ["codebook_markdown", "codebook_html", "write_codebook"]

#: A block of the codebook: ("h", level, text), ("p", text), ("table", header, rows) or ("ul", items).
_Block = tuple[Any, ...]

_VAR_HEAD = ("name", "dims", "type", "units", "long_name", "meaning", "rule", "in files")


def _code(text: object) -> str:
    return f"`{text}`"


def _var_rows(variables: Iterable[DatasetVariable]) -> list[tuple[str, ...]]:
    return [
        (_code(v.name), v.dims, v.dtype, _code(v.units) if v.units else "", v.long_name, v.meaning, v.rule,
         v.on_disk or "as in memory")
        for v in variables
    ]  # fmt: skip


def _attr_rows(attrs: Mapping[str, str]) -> list[tuple[str, ...]]:
    return [(_code(name), meaning) for name, meaning in attrs.items()]


def _metric_rows(fields: Iterable[StatField]) -> list[tuple[str, ...]]:
    return [
        (_code(f.name), f.kind, _code(f.units) if f.units else "UTC instant" if f.kind != "text" else "",
         f.display_unit, f.description, f.definition)
        for f in fields
    ]  # fmt: skip


def _ints(values: object) -> list[int]:
    return [int(v) for v in values] if isinstance(values, list | tuple) else []


def _files(h: int) -> list[_Block]:
    return [
        ("h", h, "Files"),
        ("p", f"Every dataset the toolkit makes follows {CF_CONVENTIONS}: a netCDF file written from it with "
              "xarray's own `to_netcdf` passes `compliance-checker -t cf:1.11`. Its global attributes:"),
        ("table", ("attribute", "meaning"), _attr_rows(CF_ATTRIBUTES)),
        ("ul", [
            f"Instants are UTC: in files `int64` `{INSTANT_UNITS}`, calendar `{CALENDAR}`, `units_metadata` "
            f"`{INSTANT_UNITS_METADATA}` (the API's times count no leap second).",
            f"Stage arrays are `int8` CF flag variables; a slot holding no epoch of a session holds {PAD}, "
            "their `missing_value` and `_FillValue`, so plain readers show it as missing.",
            "`asleep_nb.data.cf.to_netcdf` and `cohort.asleep.to_zarr` write files in the form below; "
            "`asleep_nb.data.cf.open_dataset` and `asleep_nb.open_cohort` read them back as built "
            "(`identical()`). Zarr stores have consolidated metadata, zarr format 3 (format 2 with "
            "`zarr_format=2`).",
        ]),
        ("p", "Wall-clock quantities are not instants, so files never hold them as CF times (which every "
              "CF reader decodes as UTC):"),
        ("table", ("variable", "in files"), [(_code(k), v) for k, v in WALL_CLOCK_ON_DISK.items()]),
    ]  # fmt: skip


def _codes(h: int) -> list[_Block]:
    pad_row = (str(PAD), "(none)", "", "", "padding: no epoch of the session (missing value)")
    sleep_rows = [
        (str(s.code), _code(s.name), s.label, s.two_stage_label or "(cannot occur)", s.meaning)
        for s in STAGES.values()
    ]
    names = str(SNORING_STAGE_FLAGS["flag_meanings"]).split()
    two_names = str(TWO_STAGE_FLAGS["flag_meanings"]).split()
    return [
        ("h", h, "Stage codes"),
        ("h", h + 1, "sleep_stage"),
        ("table", ("code", "flag meaning (in files)", "label", "label on a two-stage night", "meaning"),
         [*sleep_rows, pad_row]),
        ("h", h + 1, "snoring_stage"),
        ("table", ("code", "flag meaning (in files)", "meaning"),
         [*((str(c), _code(n), SNORING_STAGE_MEANINGS[c]) for c, n in zip(SNORING_STAGE_MEANINGS, names,
                                                                           strict=True)),
          (str(PAD), "(none)", "padding: no epoch of the session (missing value)")]),
        ("h", h + 1, "breath_stage"),
        ("p", f"Codes {', '.join(map(str, sorted(BREATH_STAGE_CODES)))} as the API sends them; the vendor "
              f"does not document their meanings, so the variable has no flags. {PAD}: padding."),
        ("h", h + 1, "two_stage"),
        ("table", ("value in files", "flag meaning", "in memory"),
         [(str(v), _code(n), str(bool(v))) for v, n in zip(_ints(TWO_STAGE_FLAGS["flag_values"]), two_names,
                                                             strict=True)]),
    ]  # fmt: skip


def _datasets(h: int) -> list[_Block]:
    axes = []
    for alignment, rule in ALIGNMENT_RULES.items():
        epoch, companion = alignment_variables(alignment)
        axes.append((_code(alignment), epoch.long_name, _code(companion.name), companion.long_name, rule))
    return [
        ("h", h, "One night (`to_dataset`)"),
        ("p", "Dimension `time`, one step per 30-s epoch. The stat fields are 0-d variables (see Stat "
              "fields), absent when the API's `stat` is null; `sleep_cycle_time` is along `cycle`."),
        ("table", _VAR_HEAD, _var_rows([*NIGHT_VARIABLES.values(), *STAGE_VARIABLES.values(),
                                        *DISK_VARIABLES.values()])),
        ("p", "Global attributes, besides the CF ones:"),
        ("table", ("attribute", "meaning"), _attr_rows(NIGHT_ATTRIBUTES)),
        ("h", h, "A cohort (`to_cohort`)"),
        ("p", "Dimensions `session` (sorted by group, user_id, start_time) and `epoch` (a common axis); "
              "stage arrays along (`session`, `epoch`), every stat field along `session`."),
        ("h", h + 1, "Epoch axis"),
        ("table", ("alignment", "epoch long_name", "companion", "companion long_name", "rule"), axes),
        ("h", h + 1, "Per-session variables"),
        ("table", _VAR_HEAD, _var_rows(COHORT_VARIABLES.values())),
        ("p", "Global attributes, besides the CF ones:"),
        ("table", ("attribute", "meaning"), _attr_rows(COHORT_ATTRIBUTES)),
        ("h", h, "A stats dataset (`compute_stats`)"),
        ("p", "Every stat field along `session` (`sleep_cycle_time` along `session`, `cycle`), recomputed "
              "from the stage arrays by the vendor rule, with the per-session coordinates of its input."),
    ]  # fmt: skip


def _metrics(h: int) -> list[_Block]:
    head = ("name", "kind", "units", "shown in", "long_name", "definition")
    return [
        ("h", h, "Stat fields"),
        ("p", f"The API's `stat` object, in the vendor's order; every field follows the "
              f"{RULE_DESCRIPTIONS['vendor']}. Durations are seconds, ratios in [0, 1], counts `float64` "
              "(`NaN` for null), times UTC instants (`NaT` for null)."),
        ("table", head, _metric_rows(STAT_FIELDS.values())),
        ("h", h, "Research metrics"),
        ("p", "Computed by `asleep_nb.stats`; where onset matters they follow the "
              f"{RULE_DESCRIPTIONS['research']}."),
        ("table", head, _metric_rows(RESEARCH_METRICS.values())),
        ("h", h, "Rules"),
        ("ul", [*(f"**{name}**: {text}" for name, text in RULE_DESCRIPTIONS.items()),
                f"**night**: {NIGHT_RULE}",
                *(f"**align={name}**: {text}" for name, text in ALIGNMENT_RULES.items())]),
    ]  # fmt: skip


def _tables(h: int) -> list[_Block]:
    rows = [(_code(v.name), v.dtype, _code(v.units) if v.units else "", v.meaning, v.on_disk or "as is")
            for v in EPOCH_TABLE_COLUMNS.values()]  # fmt: skip
    return [
        ("h", h, "Exported tables"),
        ("p", "`asleep_nb.data.export.export_stats` and `export_epochs` write CSV or Parquet (by suffix); "
              "`read_table` reads them back. Parquet fields carry `units`, `long_name` and `description` "
              "metadata; a CSV file comes with `<name>.csv-metadata.json` (W3C CSV on the Web: datatype, "
              "`schema:unitText`, `dc:description` per column). Missing values are empty CSV cells."),
        ("h", h + 1, "Epoch table"),
        ("p", TABLE_TITLES["epochs"] + "; padding is left out."),
        ("table", ("column", "type", "units", "meaning", "in files"), rows),
        ("h", h + 1, "Stats table"),
        ("p", TABLE_TITLES["stats"] + ": the per-session variables of a cohort, then every stat field, "
              "with the names, units and meanings above. Instants: CSV ISO 8601 with the session's local "
              "UTC offset, Parquet UTC timestamps (the `timezone` column names each session's zone); "
              "`night` a date; `sleep_cycle_time` a space-separated list (CSV) or a list of timestamps."),
    ]  # fmt: skip


def _blocks(level: int, *, maintainers: bool = True) -> list[_Block]:
    """The codebook's blocks; ``maintainers``: with the note on how the file is made (not for readers)."""
    h = level + 1
    intro = (
        "Every dataset and table the toolkit makes: each variable, coordinate and column with its meaning, "
        "unit, codes and the rule that computed it."
    )
    if maintainers:
        intro += (
            " Generated from `asleep_nb.definitions` by `asleep_nb.data.codebook`; do not edit by hand "
            "(`python -m asleep_nb.data.codebook docs/codebook.md` rewrites it)."
        )
    return [
        ("h", level, "asleep_nb codebook"),
        ("p", intro),
        *_files(h),
        *_codes(h),
        *_datasets(h),
        *_metrics(h),
        *_tables(h),
    ]


# --------------------------------------------------------------------------- renderers
def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def codebook_markdown(*, level: int = 1) -> str:
    """The codebook as Markdown (``docs/codebook.md``).

    Parameters
    ----------
    level
        Heading level of its title (1: ``#``); sections are one level below.

    Examples
    --------
    >>> "| `sleep_stage` |" in codebook_markdown()
    True
    """
    lines: list[str] = []
    for block in _blocks(level):
        if block[0] == "h":
            lines += ["#" * block[1] + " " + block[2], ""]
        elif block[0] == "p":
            lines += [block[1], ""]
        elif block[0] == "ul":
            lines += [f"- {item}" for item in block[1]] + [""]
        else:
            header, rows = block[1], block[2]
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _inline_html(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", escaped)


def codebook_html(*, level: int = 2) -> str:
    """The codebook as an HTML fragment with no attributes on any element, for the report's appendix.

    It is written for readers: the maintainers' note of ``docs/codebook.md``
    (how the file is generated) is left out.

    Parameters
    ----------
    level
        Heading level of its title (2: ``<h2>``); sections are one level below (at most ``<h6>``).

    Examples
    --------
    >>> "<td><code>sleep_stage</code></td>" in codebook_html(), "by hand" in codebook_html()
    (True, False)
    """
    out: list[str] = []
    for block in _blocks(level, maintainers=False):
        if block[0] == "h":
            n = min(block[1], 6)
            out.append(f"<h{n}>{_inline_html(block[2])}</h{n}>")
        elif block[0] == "p":
            out.append(f"<p>{_inline_html(block[1])}</p>")
        elif block[0] == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in block[1]) + "</ul>")
        else:
            head = "".join(f"<th>{_inline_html(c)}</th>" for c in block[1])
            body = "".join(
                "<tr>" + "".join(f"<td>{_inline_html(c)}</td>" for c in row) + "</tr>" for row in block[2]
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return "\n".join(out) + "\n"


def write_codebook(path: str | Path) -> Path:
    """Write :func:`codebook_markdown` to ``path`` (``docs/codebook.md``) and return it."""
    out = Path(path)
    out.write_text(codebook_markdown(), encoding="utf-8")
    return out


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) > 1:
        write_codebook(sys.argv[1])
    else:
        sys.stdout.write(codebook_markdown())
