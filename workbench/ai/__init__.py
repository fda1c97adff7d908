"""Machine learning and reinforcement learning on top of the backtester.

* ML signals: :mod:`~workbench.ai.features` (no lookahead, same numbers live),
  :mod:`~workbench.ai.labels` (forward returns net of costs), :mod:`~workbench.ai.models`
  (gradient boosting, probability thresholds, Kelly sizing), :mod:`~workbench.ai.walkforward`
  (OOS headline beside baselines), :mod:`~workbench.ai.strategy` (both strategy shapes).
* The model registry: :mod:`~workbench.ai.registry` (versioned artifacts + store rows) and
  :mod:`~workbench.ai.promotion` (promote only on a better OOS result within risk limits).
* RL allocation: :mod:`~workbench.ai.env` (gymnasium environment over backtested sleeves),
  :mod:`~workbench.ai.agents` (LinUCB, Thompson, policy gradient; stable-baselines3 optional),
  :mod:`~workbench.ai.evaluate` (held-out comparison with fixed params and walk-forward).
"""

from workbench.ai.agents import (
    LinearThompson,
    LinUCB,
    SoftmaxPolicyGradient,
    is_sb3_available,
    run_online,
    train_sb3,
)
from workbench.ai.env import REGIME_FEATURES, AllocationEnv, ArmTable, build_arm_table
from workbench.ai.evaluate import (
    compare_allocators,
    compare_ml_holdout,
    holdout_start,
    reoptimise_rolling,
)
from workbench.ai.features import (
    FeatureBuffer,
    FeatureSpec,
    aggregate_swap_flow,
    compute_features,
    feature_names,
)
from workbench.ai.labels import compute_labels
from workbench.ai.models import (
    FittedModel,
    ModelParams,
    fit_model,
    is_lightgbm_available,
    train_model,
)
from workbench.ai.paper import (
    compare_paper_decisions,
    load_paper_decisions,
    ml_engine_params,
)
from workbench.ai.promotion import PromotionDecision, PromotionPolicy, decide_promotion, promote
from workbench.ai.registry import (
    ModelArtifact,
    data_fingerprint,
    load_artifact,
    load_model,
    resolve_version,
    save_model,
    save_params,
)
from workbench.ai.simulate import buy_and_hold, run_targets
from workbench.ai.strategy import (
    ML_STRATEGY,
    MlParams,
    MlStrategy,
    ModelRef,
    compute_ml_signals,
    run_ml,
)
from workbench.ai.walkforward import MlWalkForwardResult, walk_forward_ml

__all__ = [
    "ML_STRATEGY",
    "REGIME_FEATURES",
    "AllocationEnv",
    "ArmTable",
    "FeatureBuffer",
    "FeatureSpec",
    "FittedModel",
    "LinUCB",
    "LinearThompson",
    "MlParams",
    "MlStrategy",
    "MlWalkForwardResult",
    "ModelArtifact",
    "ModelParams",
    "ModelRef",
    "PromotionDecision",
    "PromotionPolicy",
    "SoftmaxPolicyGradient",
    "aggregate_swap_flow",
    "build_arm_table",
    "buy_and_hold",
    "compare_allocators",
    "compare_ml_holdout",
    "compare_paper_decisions",
    "compute_features",
    "compute_labels",
    "compute_ml_signals",
    "data_fingerprint",
    "decide_promotion",
    "feature_names",
    "fit_model",
    "holdout_start",
    "is_lightgbm_available",
    "is_sb3_available",
    "load_artifact",
    "load_model",
    "load_paper_decisions",
    "ml_engine_params",
    "promote",
    "reoptimise_rolling",
    "resolve_version",
    "run_ml",
    "run_online",
    "run_targets",
    "save_model",
    "save_params",
    "train_model",
    "train_sb3",
    "walk_forward_ml",
]
