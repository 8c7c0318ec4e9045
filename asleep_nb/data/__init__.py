"""The data layer: nights and cohorts as xarray datasets, manifests, tables and stores.

Knows nothing of HTTP: it turns records (or payload dicts) into labelled arrays.
"""
