"""Read-only market data sources, one package each (config, schemas, parse, client).

``parse`` modules are pure (recorded JSON in, domain values or DataFrames out); ``client``
modules only move bytes through :mod:`workbench.data.http`, which maps errors and rate-limits,
and retry with :func:`workbench.data.http.retry`.
"""
