"""The model registry: versioned artifacts on disk, one row per version in the store.

Layout (one directory per version, never overwritten)::

    data/models/<name>/<version>/
        model.joblib   the fitted estimator (absent for a parameter set)
        meta.json      features, params, feature spec, input columns, training window,
                       metrics, data fingerprint, sha256 of model.joblib, library versions

The same facts go to the ledger's ``model_registry`` table through
:func:`workbench.store.ledger.register_model`, with a status (``candidate`` -> ``production``
/ ``rejected`` / ``retired``) and the reason for it (:mod:`workbench.ai.promotion`).

Loading is strict: the caller states the feature list it will feed; a version trained on other
features is refused with a :class:`ConfigError` naming the difference, and a ``model.joblib``
whose sha256 is not the recorded one is refused as corrupt. ``joblib`` files are pickles: load
only artifacts this workbench wrote (the checksum guards against corruption, not an attacker
who can also edit ``meta.json``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.ai.features import FeatureSpec
from workbench.ai.models import FittedModel, ModelParams
from workbench.errors import ConfigError, DataUnavailable
from workbench.store import Store
from workbench.store.ledger import load_models, register_model

__all__ = [
    "DEFAULT_MODELS_DIR",
    "ModelArtifact",
    "data_fingerprint",
    "list_versions",
    "load_artifact",
    "load_model",
    "resolve_version",
    "save_model",
    "save_params",
]

#: Where artifacts go unless told otherwise (relative to the working directory).
DEFAULT_MODELS_DIR = Path("data") / "models"

_MODEL_FILE = "model.joblib"
_META_FILE = "meta.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelArtifact:
    """What the registry knows about one version (the content of ``meta.json``).

    Attributes:
        name: model name (a directory under the models root).
        version: 1, 2, ...
        path: the version directory.
        kind: "model" (an estimator) or "params" (a strategy parameter set).
        features: feature columns, in order (empty for a parameter set).
        params: model params (or the parameter set's values).
        feature_spec: :class:`FeatureSpec` values (empty for a parameter set).
        input_columns: bar columns the features read.
        train_start / train_end: first and last training bar, UTC ns (None when unknown).
        metrics: evaluation numbers (OOS headline first).
        fingerprint: ``sha256:<hex>`` of the training data (:func:`data_fingerprint`).
        sha256: hex digest of ``model.joblib`` ("" for a parameter set).
        extra: anything else recorded (win/loss ratio, base rate, library versions).
    """

    name: str
    version: int
    path: Path
    kind: str
    features: tuple[str, ...]
    params: dict[str, Any]
    feature_spec: dict[str, Any]
    input_columns: tuple[str, ...]
    train_start: int | None
    train_end: int | None
    metrics: dict[str, Any]
    fingerprint: str
    sha256: str
    extra: dict[str, Any]


def data_fingerprint(bars: pd.DataFrame) -> str:
    """``sha256:<hex>`` of a frame's index (ns) and float columns, in column order.

    Two frames with the same bars give the same fingerprint whatever their origin, so a model
    can be traced to the exact data it was trained on.
    """
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(bars.index.as_unit("ns").asi8).tobytes())
    for c in bars.columns:
        h.update(str(c).encode())
        h.update(np.ascontiguousarray(bars[c].to_numpy(dtype=np.float64)).tobytes())
    return f"sha256:{h.hexdigest()}"


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def list_versions(root: str | Path, name: str) -> list[int]:
    """Versions of ``name`` on disk, ascending."""
    base = Path(root) / name
    if not base.is_dir():
        return []
    return sorted(int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit())


def _next_version(root: Path, name: str, store: Store | None) -> int:
    last = max(list_versions(root, name), default=0)
    if store is not None:
        rows = load_models(store, name=name)
        if len(rows):
            last = max(last, int(rows["version"].max()))
    return last + 1


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, Mapping):
            out[str(k)] = _jsonable(v)
        elif isinstance(v, np.generic):
            out[str(k)] = v.item()
        elif isinstance(v, float) and not np.isfinite(v):
            out[str(k)] = None
        elif isinstance(v, str | int | float | bool | type(None) | list):
            out[str(k)] = v
        elif isinstance(v, tuple):
            out[str(k)] = list(v)
        else:
            out[str(k)] = str(v)
    return out


def _write(root: Path, name: str, store: Store | None, meta: dict[str, Any],
           model: FittedModel | None) -> ModelArtifact:
    if not name or "/" in name or name.startswith("."):
        raise ConfigError(f"model name={name!r} must be a plain non-empty directory name.",
                          setting="name")
    version = _next_version(root, name, store)
    path = root / name / str(version)
    path.mkdir(parents=True, exist_ok=False)
    sha = ""
    if model is not None:
        import joblib

        joblib.dump(model.estimator, path / _MODEL_FILE)
        sha = _file_sha256(path / _MODEL_FILE)
    meta = {**meta, "name": name, "version": version, "sha256": sha}
    if store is not None:
        got = register_model(store, name=name, path=str(path), features=list(meta["features"]),
                             params=meta["params"], metrics=meta["metrics"],
                             fingerprint=meta["fingerprint"], train_start=meta["train_start"],
                             train_end=meta["train_end"])
        if got != version:  # another writer registered in between: follow the store's number
            new = root / name / str(got)
            path.rename(new)
            path, version = new, got
            meta["version"] = got
    (path / _META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return load_artifact(path)


def save_model(model: FittedModel, *, name: str, metrics: Mapping[str, Any],
               data: pd.DataFrame | str, root: str | Path = DEFAULT_MODELS_DIR,
               store: Store | None = None) -> ModelArtifact:
    """Write a new version of ``name`` and record it in the store (when given).

    Args:
        model: the fitted model.
        name: model name, e.g. "sol_5m_hgb".
        metrics: its evaluation (put the OOS headline here).
        data: the training bars (fingerprinted) or an already computed fingerprint.
        root: models directory (default ``data/models``).
        store: the ledger store; None keeps the registry on disk only.

    Returns:
        The new version's :class:`ModelArtifact` (status ``candidate`` in the store).
    """
    import sklearn

    meta = {
        "kind": "model", "features": list(model.features), "params": model.params.to_dict(),
        "feature_spec": model.feature_spec.to_dict(), "input_columns": list(model.input_columns),
        "train_start": model.train_start, "train_end": model.train_end,
        "metrics": _jsonable(metrics),
        "fingerprint": data if isinstance(data, str) else data_fingerprint(data),
        "extra": {"n_train": model.n_train, "base_rate": model.base_rate,
                  "win_loss_ratio": model.win_loss_ratio,
                  "estimator": type(model.estimator).__name__,
                  "sklearn": sklearn.__version__, "created_ns": time.time_ns()},
    }
    return _write(Path(root), name, store, meta, model)


def save_params(values: Mapping[str, Any], *, name: str, strategy: str,
                metrics: Mapping[str, Any], data: pd.DataFrame | str,
                root: str | Path = DEFAULT_MODELS_DIR, store: Store | None = None,
                train_start: int | None = None, train_end: int | None = None) -> ModelArtifact:
    """Register a strategy parameter set (from a re-optimisation) like a model version.

    The registry then tracks it through the same candidate -> production promotion.
    """
    meta = {
        "kind": "params", "features": [], "params": {"strategy": strategy, **_jsonable(values)},
        "feature_spec": {}, "input_columns": [], "train_start": train_start,
        "train_end": train_end, "metrics": _jsonable(metrics),
        "fingerprint": data if isinstance(data, str) else data_fingerprint(data),
        "extra": {"created_ns": time.time_ns()},
    }
    return _write(Path(root), name, store, meta, None)


def load_artifact(path: str | Path) -> ModelArtifact:
    """Read one version's ``meta.json``.

    Raises:
        DataUnavailable: no such version directory or meta file.
    """
    p = Path(path)
    meta_path = p / _META_FILE
    if not meta_path.exists():
        raise DataUnavailable(f"No model artifact at {p} (no {_META_FILE}); train and save one "
                              "with workbench.ai.registry.save_model or "
                              "notebooks/jobs/retrain_model.ipynb.")
    m = json.loads(meta_path.read_text())
    return ModelArtifact(
        name=m["name"], version=int(m["version"]), path=p, kind=m["kind"],
        features=tuple(m["features"]), params=dict(m["params"]),
        feature_spec=dict(m["feature_spec"]), input_columns=tuple(m["input_columns"]),
        train_start=m["train_start"], train_end=m["train_end"], metrics=dict(m["metrics"]),
        fingerprint=m["fingerprint"], sha256=m["sha256"], extra=dict(m.get("extra", {})))


def _check_features(art: ModelArtifact, features: Sequence[str]) -> None:
    want = tuple(features)
    if want == art.features:
        return
    missing = [f for f in art.features if f not in want]
    extra = [f for f in want if f not in art.features]
    detail = (f"the model needs {missing} you do not provide and you provide {extra} it was "
              "not trained on" if missing or extra else
              f"same features in another order (model: {list(art.features)})")
    raise ConfigError(
        f"Model {art.name!r} version {art.version} was trained on different features: {detail}."
        " Load a version trained on your feature list, or retrain with it.",
        setting="features")


def load_model(path: str | Path, *, features: Sequence[str] | None) -> FittedModel:
    """Load a version for use, refusing one whose features are not ``features``.

    Args:
        path: the version directory (``data/models/<name>/<version>``).
        features: the caller's feature list, in order; None accepts the artifact's own (only
            for inspection: a strategy always passes its list).

    Raises:
        ConfigError: the features differ (the message names the difference), or the
            artifact is a parameter set.
        DataUnavailable: no artifact there.
        DataError: ``model.joblib`` does not match its recorded sha256.
    """
    from workbench.errors import DataError

    art = load_artifact(path)
    if art.kind != "model":
        raise ConfigError(f"{art.path} is a {art.kind!r} artifact, not a model.", setting="path")
    if features is not None:
        _check_features(art, features)
    file = art.path / _MODEL_FILE
    if not file.exists() or _file_sha256(file) != art.sha256:
        raise DataError(f"{file} is missing or does not match its recorded sha256 "
                        f"{art.sha256[:12]}...; the artifact is corrupt: retrain the model.")
    import joblib

    est = joblib.load(file)
    return FittedModel(estimator=est, features=art.features,
                       feature_spec=FeatureSpec.from_dict(art.feature_spec),
                       params=ModelParams(**art.params), input_columns=art.input_columns,
                       train_start=int(art.train_start or 0), train_end=int(art.train_end or 0),
                       n_train=int(art.extra.get("n_train", 0)),
                       base_rate=float(art.extra.get("base_rate", float("nan"))),
                       win_loss_ratio=float(art.extra.get("win_loss_ratio", 1.0)))


def resolve_version(store: Store, name: str, version: int | str = "production"
                    ) -> ModelArtifact:
    """The artifact of ``name`` at ``version``: a number, "production" or "latest".

    Raises:
        DataUnavailable: no such model, version, or no production version yet.
    """
    rows = load_models(store, name=name)
    if rows.empty:
        raise DataUnavailable(f"No model {name!r} in the registry; train one with "
                              "notebooks/jobs/retrain_model.ipynb.")
    if version == "production":
        rows = rows[rows["status"] == "production"]
    elif version != "latest":
        rows = rows[rows["version"] == int(version)]
    if rows.empty:
        raise DataUnavailable(f"Model {name!r} has no version {version!r}; registered: "
                              f"{sorted(load_models(store, name=name)['version'].tolist())}.")
    row = rows.sort_values("version").iloc[-1]
    return load_artifact(os.fspath(row["path"]))
