"""The words and tables of a validation report, from the agreement objects, in the definitions' units.

Every number is written once, here: shares as percent with one decimal,
kappa with three decimals and its participant-bootstrap interval, stat
fields in their display unit and precision (:mod:`asleep_nb.definitions.display`).

Examples
--------
>>> import pandas as pd
>>> c = pd.DataFrame([[8, 2], [1, 9]], index=pd.Index(["Wake", "Sleep"], name="reference"),
...                  columns=pd.Index(["Wake", "Sleep"], name="device"))
>>> confusion_table(c).loc["Wake", "Wake"]
'8 (80.0 %)'
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd

from asleep_nb.data.reference_alignment import MAJORITY_COVER_RULE
from asleep_nb.definitions import EPOCH_SECONDS, SLEEP_WAKE_RULE, format_estimate, format_value
from asleep_nb.definitions.display import MISSING, label
from asleep_nb.definitions.scoring import REFERENCE_LABEL_RULE

__all__ = [
    "bland_altman_alt",
    "confusion_alt",
    "confusion_table",
    "discrepancy_table",
    "hypnogram_alt",
    "methods_paragraph",
    "night_table",
    "overlap_table",
    "pooled_table",
    "stage_table",
    "validation_provenance",
]


def _percent(value: Any) -> str:
    return MISSING if value is None or np.isnan(value) else f"{100 * float(value):.1f} %"


def _kappa(value: Any) -> str:
    return MISSING if value is None or np.isnan(value) else f"{float(value):.3f}"


def pooled_table(results: dict[str, Any]) -> pd.DataFrame:
    """Pooled epoch-by-epoch agreement, one column per class set (``{"four stages": ea4, ...}``).

    Examples
    --------
    >>> s = pd.Series({"accuracy": 0.8, "kappa": 0.7, "kappa_ci_low": 0.6, "kappa_ci_high": 0.75,
    ...                "balanced_accuracy": 0.78, "macro_f1": 0.77, "n_epochs": 100, "n_nights": 2,
    ...                "n_users": 2})
    >>> class R: pooled = s
    >>> pooled_table({"four": R()}).loc["Cohen's kappa (95 % CI)", "four"]
    '0.700 (0.600 to 0.750)'
    """
    columns = {}
    for name, result in results.items():
        p = result.pooled
        columns[name] = {
            "Accuracy": _percent(p["accuracy"]),
            "Cohen's kappa (95 % CI)": f"{_kappa(p['kappa'])} ({_kappa(p['kappa_ci_low'])} to "
            f"{_kappa(p['kappa_ci_high'])})",
            "Balanced accuracy": _percent(p["balanced_accuracy"]),
            "Macro F1": _percent(p["macro_f1"]),
            "Epochs compared": f"{int(p['n_epochs'])}",
            "Nights": f"{int(p['n_nights'])}",
            "Participants": f"{int(p['n_users'])}",
        }
    return pd.DataFrame(columns).rename_axis("statistic")


def confusion_table(confusion: pd.DataFrame) -> pd.DataFrame:
    """Counts with each reference row's share (rows: reference, columns: device).

    Examples
    --------
    >>> c = pd.DataFrame([[0, 0], [1, 3]], index=["Wake", "Sleep"], columns=["Wake", "Sleep"])
    >>> confusion_table(c).loc["Wake"].tolist()
    ['0 (–)', '0 (–)']
    """
    totals = confusion.sum(axis=1)
    out = confusion.copy().astype(object)
    for row in confusion.index:
        for col in confusion.columns:
            n = int(confusion.loc[row, col])
            share = _percent(n / totals[row]) if totals[row] else MISSING
            out.loc[row, col] = f"{n} ({share})"
    out.index.name = "reference (rows) / device (columns)"
    out.columns.name = None  # the corner cell says both; a second header row would split it
    return out


def stage_table(by_stage: pd.DataFrame) -> pd.DataFrame:
    """Per-stage sensitivity, specificity, PPV, NPV and F1 as percent, with epoch counts.

    Examples
    --------
    >>> t = pd.DataFrame({"sensitivity": [0.9], "specificity": [0.8], "ppv": [0.7], "npv": [0.95],
    ...                   "f1": [0.79], "n_reference": [10], "n_device": [12]}, index=["Wake"])
    >>> stage_table(t).loc["Wake", "Sensitivity"]
    '90.0 %'
    """
    names = {
        "sensitivity": "Sensitivity",
        "specificity": "Specificity",
        "ppv": "PPV",
        "npv": "NPV",
        "f1": "F1",
    }
    out = pd.DataFrame({new: by_stage[old].map(_percent) for old, new in names.items()}, index=by_stage.index)
    out["Reference epochs"] = by_stage["n_reference"].astype(int).astype(str)
    out["Device epochs"] = by_stage["n_device"].astype(int).astype(str)
    return out.rename_axis("stage")


def discrepancy_table(table: pd.DataFrame) -> pd.DataFrame:
    """The night-by-night comparison (``stats_agreement``) in display units: bias and limits with CIs.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [3], "n_users": [3], "mean_device": [25200.0], "mean_reference": [24840.0],
    ...     "bias": [360.0], "bias_ci_low": [0.0], "bias_ci_high": [720.0], "loa_low": [-900.0],
    ...     "loa_low_ci_low": [-1500.0], "loa_low_ci_high": [-300.0], "loa_high": [1620.0],
    ...     "loa_high_ci_low": [1000.0], "loa_high_ci_high": [2200.0], "bias_method": ["constant"],
    ...     "loa_method": ["parametric"], "proportional_p": [0.5], "heteroscedasticity_p": [0.4]},
    ...     index=pd.Index(["time_in_sleep"], name="metric"))
    >>> discrepancy_table(t).iloc[0]["Bias (95 % CI)"]
    '+0.10 h [95% CI 0.00, 0.20]'
    """
    rows = {}
    for metric, r in table.iterrows():
        name = str(metric)
        rows[label(name)] = {
            "Nights (participants)": f"{int(r['n'])} ({int(r['n_users'])})",
            "Device mean": format_value(name, r["mean_device"]),
            "Reference mean": format_value(name, r["mean_reference"]),
            "Bias (95 % CI)": format_estimate(
                name, r["bias"], r["bias_ci_low"], r["bias_ci_high"], difference=True
            ),
            "Lower limit (95 % CI)": format_estimate(
                name, r["loa_low"], r["loa_low_ci_low"], r["loa_low_ci_high"], difference=True
            ),
            "Upper limit (95 % CI)": format_estimate(
                name, r["loa_high"], r["loa_high_ci_low"], r["loa_high_ci_high"], difference=True
            ),
            "Bias method": str(r["bias_method"]),
            "Limits method": str(r["loa_method"]),
            "Proportional bias p": _p(r["proportional_p"]),
            "Heteroscedasticity p": _p(r["heteroscedasticity_p"]),
        }
    return pd.DataFrame(rows).T.rename_axis("metric (device minus reference)")


def _p(value: Any) -> str:
    if value is None or np.isnan(value):
        return MISSING
    return "< 0.001" if value < 0.001 else f"{float(value):.3f}"


def overlap_table(overlap: pd.DataFrame) -> pd.DataFrame:
    """Per night: epochs of each side, the overlap, the offset of the two grids, excluded epochs.

    Examples
    --------
    >>> o = pd.DataFrame({"user_id": ["u"], "device_epochs": [10], "reference_epochs": [12],
    ...     "overlap_epochs": [10], "offset_seconds": [15.0], "device_unscored": [1],
    ...     "reference_unscored": [0], "scored_epochs": [9]}, index=pd.Index(["s"], name="session_id"))
    >>> overlap_table(o).loc["s", "Overlap (h)"]
    '0.08'
    """
    hours = overlap["overlap_epochs"] * EPOCH_SECONDS / 3600
    return pd.DataFrame(
        {
            "Device epochs": overlap["device_epochs"].astype(int),
            "Reference epochs": overlap["reference_epochs"].astype(int),
            "Overlap epochs": overlap["overlap_epochs"].astype(int),
            "Overlap (h)": hours.map(lambda h: f"{h:.2f}"),
            "Reference start minus device start (s)": overlap["offset_seconds"].map(lambda s: f"{-s:g}"),
            "Device no signal": overlap["device_unscored"].astype(int),
            "Reference excluded": overlap["reference_unscored"].astype(int),
            "Compared": overlap["scored_epochs"].astype(int),
        },
        index=overlap.index,
    )


def night_table(overlap: pd.DataFrame, per_night: pd.DataFrame) -> pd.DataFrame:
    """:func:`overlap_table` with each night's accuracy (percent) and Cohen's kappa (three decimals).

    Examples
    --------
    >>> o = pd.DataFrame({"device_epochs": [10], "reference_epochs": [12], "overlap_epochs": [10],
    ...     "offset_seconds": [0.0], "device_unscored": [0], "reference_unscored": [0],
    ...     "scored_epochs": [10]},
    ...     index=pd.Index(["s"], name="session_id"))
    >>> night_table(o, pd.DataFrame({"accuracy": [0.9], "kappa": [0.85]}, index=["s"])).iloc[0, -2:].tolist()
    ['90.0 %', '0.850']
    """
    out = overlap_table(overlap)
    out["Accuracy"] = per_night["accuracy"].reindex(out.index).map(_percent)
    out["Cohen's kappa"] = per_night["kappa"].reindex(out.index).map(_kappa)
    return out


def validation_provenance(params: Any, data: Any) -> dict[str, str]:
    """What a validation report records to be reproduced, label -> value, naming no folder.

    The device's source, study manifest and sessions as a study report says them
    (:func:`asleep_nb.report.provenance.data_provenance`), the reference manifest
    by name, rows and SHA-256, the fingerprints of both cohorts, the parameters
    (:meth:`~asleep_nb.report.validation.ValidationParameters.shown`) and versions.

    Examples
    --------
    >>> from asleep_nb.report.validation import ValidationParameters, load_validation_data
    >>> p = ValidationParameters(metrics=("time_in_rem",))
    >>> info = validation_provenance(p, load_validation_data(p))
    >>> info["reference manifest"]
    "the demo's reference/manifest.csv: 80 rows"
    >>> info["sessions"]
    '80 of the 80 sessions requested were fetched'
    >>> [k for k in info if "fingerprint" in k]
    ['reference fingerprint (SHA-256)', 'device fingerprint (SHA-256)']
    """
    from asleep_nb.report.provenance import data_provenance, dataset_fingerprint, provenance

    shown = data_provenance(data.device)
    refs = data.reference_manifest
    shown["reference manifest"] = f"{reference_name(refs.path)}: {len(refs.entries)} rows"
    shown["reference manifest SHA-256"] = refs.sha256
    shown["reference fingerprint (SHA-256)"] = dataset_fingerprint(data.reference)
    info = shown | provenance(params.shown(), dataset_fingerprint(data.device.cohort))
    # two cohorts, two fingerprints: each says whose it is
    return {
        ("device fingerprint (SHA-256)" if k == "data fingerprint (SHA-256)" else k): v
        for k, v in info.items()
    }


def reference_name(path: Any) -> str:
    """How the page names a reference manifest: the demo's by its place in the demo, else its file name.

    Examples
    --------
    >>> from asleep_nb.report.validation.data import demo_reference_manifest
    >>> reference_name(demo_reference_manifest()), reference_name("/data/psg/refs.csv")
    ("the demo's reference/manifest.csv", 'the reference manifest refs.csv')
    """
    from pathlib import Path

    from asleep_nb.report.validation.data import demo_reference_manifest

    path = Path(path)
    if path.resolve() == Path(demo_reference_manifest()).resolve():
        return f"the demo's {path.parent.name}/{path.name}"
    return f"the reference manifest {path.name}"


def confusion_alt(results: dict[str, Any]) -> str:
    """Text alternative of the confusion-matrix figure: what a cell holds, and each diagonal share.

    Examples
    --------
    >>> c = pd.DataFrame([[8, 2], [1, 9]], index=["Wake", "Sleep"], columns=["Wake", "Sleep"])
    >>> class R: confusion = c
    >>> confusion_alt({"Sleep/wake": R()})[-58:]
    'Sleep/wake: Wake 80.0 %, Sleep 90.0 % of reference epochs.'
    """
    diagonals = [
        f"{name}: "
        + ", ".join(
            f"{stage} {_percent(r.confusion.loc[stage, stage] / r.confusion.loc[stage].sum())}"
            for stage in r.confusion.index
        )
        + " of reference epochs"
        for name, r in results.items()
    ]
    return (
        f"Confusion matrices, one per class set ({', '.join(results)}): each row a reference stage with its "
        "number of epochs, each column the device's stage, each cell the share of the reference row (shaded "
        "darker as it grows) and the epoch count, as in the tables above. The device agreed with the "
        f"reference (the diagonal) on {'; '.join(diagonals)}."
    )


def bland_altman_alt(table: pd.DataFrame) -> str:
    """Text alternative of the Bland-Altman panels: one panel per metric, what it draws, each bias.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [3], "bias": [360.0], "bias_ci_low": [0.0], "bias_ci_high": [720.0]},
    ...                  index=["time_in_sleep"])
    >>> bland_altman_alt(t)[-42:]
    'time in sleep +0.10 h [95% CI 0.00, 0.20].'
    """
    from asleep_nb.definitions.display import inline_label

    drawn = [m for m in table.index if np.isfinite(table.loc[m, "bias"])]
    biases = "; ".join(
        f"{inline_label(str(m))} "
        + format_estimate(
            str(m),
            table.loc[m, "bias"],
            table.loc[m, "bias_ci_low"],
            table.loc[m, "bias_ci_high"],
            difference=True,
        )
        for m in drawn
    )
    return (
        f"Bland-Altman plots, one panel per metric ({len(drawn)}), each night a point: the device's value "
        "minus the reference's (vertical) against the reference's (horizontal), the bias as a solid line and "
        "the 95 % limits of agreement as dashed lines, with their confidence intervals as bands or error "
        f"bars, as in the discrepancy table above. Bias (device minus reference): {biases}."
    )


def hypnogram_alt(session: str, kappa: float, disagree: int, zone: str) -> str:
    """Text alternative of the one-night figure: the night, its kappa and the epochs in disagreement.

    Examples
    --------
    >>> hypnogram_alt("s1", 0.7871, 152, "UTC")[:60]
    'Hypnograms of session s1, the device above the reference, on'
    """
    return (
        f"Hypnograms of session {session}, the device above the reference, on local time ({zone}): the "
        "stage (wake, REM, light, deep) of every 30-s epoch as a stepped line, with black ticks between "
        f"the two at the {disagree} epochs where they disagree. The night's kappa, {kappa:.3f}, is the "
        "median of the study's."
    )


def methods_paragraph(reference: Any, overlap: pd.DataFrame, n_boot: int, seed: int) -> str:
    """The methods in words (escaped HTML): label mapping, alignment, exclusions, overlap, statistics.

    Examples
    --------
    >>> import xarray as xr
    >>> ref = xr.Dataset(coords={"n_movement": ("session", [2]), "n_unscored": ("session", [5])})
    >>> o = pd.DataFrame({"device_epochs": [100], "overlap_epochs": [90], "scored_epochs": [85]})
    >>> "2 movement" in methods_paragraph(ref, o, 1000, 1)
    True
    """
    movement, unscored = int(ref_sum(reference, "n_movement")), int(ref_sum(reference, "n_unscored"))
    device = int(overlap["device_epochs"].sum())
    inside = int(overlap["overlap_epochs"].sum())
    scored = int(overlap["scored_epochs"].sum())
    partial = int((overlap["overlap_epochs"] < overlap["device_epochs"]).sum())
    text = (
        "<b>Labels.</b> The reference scorings were mapped to the Asleep stages by the "
        f"{REFERENCE_LABEL_RULE}. "
        f"The reference left {movement} movement and {unscored} unscored epochs; they were excluded, never "
        "guessed. "
        f"<b>Alignment.</b> Device and reference were placed on absolute time (UTC) and each device epoch "
        f"received a reference stage by the {MAJORITY_COVER_RULE}. Of {device} device epochs, {inside} fall "
        f"in the overlap of the two recordings ({partial} nights are only partly covered by the reference); "
        f"{scored} of them were scored by both sides (device no signal and reference exclusions left out) "
        "and are compared. "
        "<b>Statistics.</b> Epoch by epoch: confusion matrix, accuracy, Cohen's kappa, balanced accuracy "
        "and macro F1 pooled over all nights, and sensitivity, specificity, PPV, NPV and F1 per stage, in "
        f"four stages and in two (the {SLEEP_WAKE_RULE}). The kappa interval comes from a bootstrap that "
        f"resamples participants ({n_boot} resamples, seed {seed}), each with all their nights. Night by "
        "night: the same statistics computed on both sides over the same epochs (research rule for the "
        "sleep period), compared by the framework of Menghini et al. 2021 (bias with its interval, "
        "proportional bias, heteroscedasticity, parametric, regression or log limits of agreement), nights "
        "nested in participants."
    )
    return escape(text, quote=False).replace("&lt;b&gt;", "<b>").replace("&lt;/b&gt;", "</b>")


def ref_sum(reference: Any, name: str) -> int:
    """Sum of a per-session count of a reference cohort (0 when it has none).

    Examples
    --------
    >>> import xarray as xr
    >>> ref_sum(xr.Dataset(coords={"n_unscored": ("session", [2, 3])}), "n_unscored")
    5
    """
    return int(reference[name].sum()) if name in reference.variables else 0
