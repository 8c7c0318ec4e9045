"""One rule for the nights a comparison shows and for a group's size, in every panel.

The oracle for the counts is pandas' own ``groupby().nunique()`` / ``size()``
on the stats table; the figures are read back from their artists (titles and
tick labels), never from the code that wrote them.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from asleep_nb.api.client import Client
from asleep_nb.data.table import stats_table
from asleep_nb.plot import hypnodensity, metric
from asleep_nb.stats.sample import analysis_set, group_sizes
from asleep_nb.widgets._cohort_view import cohort_view


@pytest.fixture(scope="module")
def demo(asleep_standin):
    from asleep_nb.loading.load import load_cohort

    client = Client(api_key=asleep_standin.api_key, base_url=asleep_standin.url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_cohort(client, asleep_standin.data_dir / "manifest.csv", align="onset")


def test_analysis_set_leaves_out_each_edge_case_for_its_reason(demo):
    chosen = analysis_set(demo)
    table = stats_table(demo)
    state = table["state"].astype(str)
    unfinished = state.isin(["OPEN", "CLOSED"]).to_numpy()
    no_stat = table["time_in_sleep"].isna().to_numpy() & ~unfinished
    two = table["two_stage"].astype(bool).to_numpy() & ~unfinished & ~no_stat
    assert chosen.left_out["not finished (OPEN or CLOSED)"] == unfinished.sum() == 2
    assert chosen.left_out["no statistics"] == no_stat.sum()
    assert chosen.left_out["two-stage"] == two.sum() == 4
    assert chosen.left_out["never slept"] == 1
    assert int(chosen.mask.sum()) == demo.sizes["session"] - sum(chosen.left_out.values())
    kept = demo.isel(session=chosen.mask)
    assert set(np.asarray(kept["state"].values).astype(str)) == {"COMPLETE"}
    assert not np.asarray(kept["two_stage"].values, dtype=bool).any()


def test_group_sizes_equal_pandas_on_the_demo(demo):
    table = stats_table(demo)
    sizes = group_sizes(table["user_id"].to_numpy(), table["group"].to_numpy())
    oracle = table.groupby("group").agg(n_users=("user_id", "nunique"), n_nights=("session_id", "size"))
    assert sizes.to_dict("index") == oracle.astype(int).to_dict("index")


def _counts(texts: list[str]) -> dict[str, tuple[int, int]]:
    out = {}
    for text in texts:
        found = re.search(r"^(.*?)[\s(]+(\d+) users?[,\s]+(\d+) nights?", text, re.DOTALL)
        if found:  # a long name may be broken over lines after "_" or "/"
            out[re.sub(r"\s", "", found.group(1))] = (int(found.group(2)), int(found.group(3)))
    return out


def test_every_panel_states_the_same_users_and_nights(demo):
    """Hypnodensity from onset and from clock and the metric's ticks: the same numbers per group."""
    view = cohort_view(demo, stats_table(demo), "time_in_sleep", "group")
    titles = {}
    for align in ("onset", "clock"):
        fig = hypnodensity(view.cohort, by="group", relative_to=align, fig=Figure(figsize=(7, 12)))
        titles[align] = _counts([ax.get_title(loc="left") for ax in fig.axes])
    ax = metric(view.stats, "time_in_sleep", by="group", ax=Figure().subplots(), n_boot=200)
    ticks = _counts([t.get_text() for t in ax.get_xticklabels()])
    oracle = view.stats.groupby("group").agg(u=("user_id", "nunique"), n=("session_id", "size"))
    expected = {g: (int(r.u), int(r.n)) for g, r in oracle.iterrows()}
    assert titles["onset"] == titles["clock"] == ticks == expected
    assert expected["edge"] == (3, 3)


def test_metric_by_a_boolean_grouping_draws_both_groups(demo):
    """The issue's "Boolean index has wrong length": boolean labels are labels, not a mask."""
    table = stats_table(demo)
    ax = metric(table, "time_in_sleep", by="two_stage", ax=Figure().subplots(), n_boot=200)
    labels = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert labels == ["False", "True"]
    counts = _counts([t.get_text().replace("\n", " ") for t in ax.get_xticklabels()])
    valued = table[table["time_in_sleep"].notna()]
    oracle = valued.groupby("two_stage")["user_id"].nunique()
    assert counts["True"][0] == oracle.loc[True] and counts["False"][0] == oracle.loc[False]


def test_group_sizes_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        group_sizes(np.array(["a"]), np.array(["x", "y"]))
    assert group_sizes(np.array([], dtype=str), np.array([], dtype=str)).empty
    assert isinstance(group_sizes(np.array(["a"]), np.array(["x"])), pd.DataFrame)
