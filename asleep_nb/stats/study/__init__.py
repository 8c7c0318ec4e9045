"""Study statistics: what a study concludes from the engine's numbers.

The engine (:mod:`asleep_nb.stats`) turns stage arrays into the numbers of each night; this package
compares and models them across people: group comparisons with users as the unit
(:mod:`~asleep_nb.stats.study.groups`), mixed models of nights nested in users
(:mod:`~asleep_nb.stats.study.mixed`), within-person periods (:mod:`~asleep_nb.stats.study.periods`),
Table 1 (:mod:`~asleep_nb.stats.study.table`), bootstrap intervals, effect sizes and FDR.

It sits one layer above the engine: it imports the engine, never the reverse. Its public names are
exported from :mod:`asleep_nb.stats` (``from asleep_nb.stats import compare_groups``), which is
where users find them.
"""
