"""The codebook: generated from the definitions, checked in current, covering every variable made."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from asleep_nb.data.codebook import codebook_html, codebook_markdown
from asleep_nb.data.cohort import to_cohort
from asleep_nb.data.export import EPOCH_COLUMNS
from asleep_nb.data.night import to_dataset
from asleep_nb.definitions import STAGES, STAT_FIELDS
from asleep_nb.stats import compute_stats

CODEBOOK = Path(__file__).resolve().parents[1] / "docs" / "codebook.md"


def test_the_checked_in_codebook_is_current():
    assert CODEBOOK.read_text(encoding="utf-8") == codebook_markdown(), (
        "docs/codebook.md is out of date: run `python -m asleep_nb.data.codebook docs/codebook.md`"
    )


@pytest.fixture(scope="module")
def made(example_webhook):
    """Every kind of dataset the toolkit makes from the published example."""
    out = {"night": to_dataset(example_webhook)}
    for align in ("start", "onset", "clock"):
        out[align] = to_cohort([example_webhook], align=align)
    out["stats"] = compute_stats(out["start"])
    return out


def test_every_variable_and_coordinate_is_in_the_codebook_with_its_long_name(made):
    text = codebook_markdown()
    for kind, ds in made.items():
        for name, var in ds.variables.items():
            assert f"`{name}`" in text, (kind, name)
            assert var.attrs["long_name"] in text, (kind, name)
            if "units" in var.attrs:
                assert f"`{var.attrs['units']}`" in text, (kind, name)
        for attr in ds.attrs:
            assert f"`{attr}`" in text, (kind, attr)


def test_codes_rules_and_exported_columns_are_in_the_codebook():
    text = codebook_markdown()
    for stage in STAGES.values():
        assert f"| {stage.code} | `{stage.name}` | {stage.label} |" in text
    assert "| -2 | (none) |" in text
    for name, field in STAT_FIELDS.items():
        assert field.definition.replace("|", "\\|") in text, name
    for column in EPOCH_COLUMNS:
        assert f"| `{column}` |" in text
    for heading in (
        "## Rules",
        "## Stat fields",
        "## Research metrics",
        "### Epoch table",
        "### Stats table",
    ):
        assert heading in text


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, list]] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.depth += 1
        if attrs:
            self.attrs.append((tag, attrs))

    def handle_endtag(self, tag):
        self.depth -= 1


def test_the_html_appendix_has_no_attributes_and_balanced_plain_tags():
    parser = _Tags()
    parser.feed(codebook_html(level=2))
    assert parser.attrs == []
    assert parser.depth == 0
    allowed = set("h2 h3 h4 p table thead tbody tr th td ul li code strong".split())
    assert set(parser.tags) <= allowed and parser.tags[0] == "h2"
    assert "<td><code>sleep_stage</code></td>" in codebook_html()


def test_heading_levels_follow_the_level_argument():
    assert codebook_markdown(level=2).startswith("## asleep_nb codebook\n")
    assert "\n### Files\n" in codebook_markdown(level=2)
    assert codebook_html(level=3).startswith("<h3>asleep_nb codebook</h3>\n<p>")
    assert "<h6>" in codebook_html(level=5) and "<h7>" not in codebook_html(level=6)
