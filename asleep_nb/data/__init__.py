"""The data layer: nights and cohorts as xarray datasets, manifests, tables, stores and files.

Knows nothing of HTTP: it turns records (or payload dicts) into labelled arrays
(:mod:`~asleep_nb.data.night`, :mod:`~asleep_nb.data.cohort`) carrying CF-1.11
attributes (:mod:`~asleep_nb.data.attributes`), writes files that other tools
read without asleep_nb (:mod:`~asleep_nb.data.cf` for netCDF,
:mod:`~asleep_nb.data.store` for zarr, :mod:`~asleep_nb.data.export` for CSV and
Parquet) and documents them (:mod:`~asleep_nb.data.codebook`).
"""
