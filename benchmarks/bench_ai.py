"""AI benchmarks: feature computation and model latency, research shape vs live shape.

Prints ratios against baselines measured in the same run:
* live FeatureBuffer per bar vs vectorised compute_features per bar (the price of exactness);
* predict_row (one bar, live) vs predict_proba over a batch, per row;
* walk-forward training time per 10,000 bars.
Run: NUMBA_CACHE_DIR=.cache/numba .venv/bin/python benchmarks/bench_ai.py
"""

from __future__ import annotations

import time

from workbench.ai import FeatureBuffer, FeatureSpec, ModelParams, compute_features, train_model
from workbench.ai.walkforward import walk_forward_ml
from workbench.samples import load_sample


def _time(fn, repeat: int = 1) -> float:
    t = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t) / repeat


def main() -> None:
    bars = load_sample("SOL/USDT", "5m").iloc[:20_000]
    spec = FeatureSpec()
    vec = _time(lambda: compute_features(bars, spec), 3) / len(bars)
    buf = FeatureBuffer(spec)
    ts = bars.index.as_unit("ns").asi8
    rows = bars.to_dict("records")
    n = 2000
    live = _time(lambda: [buf.push(int(ts[i]), rows[i]) for i in range(n)]) / n
    print(f"features: vectorised {vec * 1e6:.2f} us/bar, live buffer {live * 1e6:.1f} us/bar "
          f"(ratio {live / vec:.0f}x; a 5m bar leaves 300 s)")
    model = train_model(bars.iloc[:10_000], ModelParams(max_iter=100))
    feats = compute_features(bars.iloc[10_000:12_000], spec)
    batch = _time(lambda: model.predict_proba(feats), 3) / len(feats)
    x = feats.to_numpy()[100]
    one = _time(lambda: model.predict_row(x), 50)
    print(f"predict: batch {batch * 1e6:.1f} us/row, one row {one * 1e3:.2f} ms "
          f"(ratio {one / batch:.0f}x)")
    t = _time(lambda: walk_forward_ml(bars, ModelParams(max_iter=100), n_folds=4,
                                      indicator_grids={}))
    print(f"walk-forward (4 folds, 100 rounds): {t:.1f} s for {len(bars)} bars "
          f"({t / len(bars) * 1e4:.2f} s per 10,000 bars)")


if __name__ == "__main__":
    main()
