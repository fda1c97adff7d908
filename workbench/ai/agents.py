"""Agents that learn online which arm (grid spacing / allocation) suits the regime.

* :class:`LinUCB`: a linear contextual bandit (Li et al., 2010). Per arm a ridge regression of
  reward on the observation; pick the arm with the best mean plus ``alpha`` times its standard
  error. Ties are broken by the seeded generator.
* :class:`LinearThompson`: the same regressions, but the arm is chosen by sampling each arm's
  coefficients from its Gaussian posterior (Agrawal & Goyal, 2013).
* :class:`SoftmaxPolicyGradient`: a linear softmax policy trained by REINFORCE with a moving
  average baseline; small, in NumPy.
* :func:`train_sb3`: stable-baselines3 (PPO/A2C/DQN) on the same environment, only when that
  optional package is installed.

Every agent draws all its randomness from ``numpy.random.default_rng(seed)`` and the
environment is deterministic, so a run is a pure function of the seed
(``tests/ai/test_agents.py``).
"""

from __future__ import annotations

import importlib.util
from typing import Any, Protocol

import numpy as np
import pandas as pd

from workbench.errors import ConfigError

__all__ = [
    "Agent",
    "LinUCB",
    "LinearThompson",
    "SoftmaxPolicyGradient",
    "is_sb3_available",
    "run_online",
    "train_sb3",
]


class Agent(Protocol):
    """What :func:`run_online` needs from an agent."""

    def act(self, obs: np.ndarray) -> int:
        """Choose an arm for the observation."""
        ...

    def update(self, obs: np.ndarray, arm: int, reward: float) -> None:
        """Learn from the reward of ``arm`` under ``obs``."""
        ...


class _Ridge:
    """Per-arm ridge statistics ``A = ridge*I + sum x x'`` and ``b = sum r x``."""

    def __init__(self, n_arms: int, n_features: int, ridge: float, seed: int) -> None:
        if n_arms < 1 or n_features < 1 or ridge <= 0:
            raise ConfigError(f"need n_arms={n_arms} >= 1, n_features={n_features} >= 1 and "
                              f"ridge={ridge} > 0.", setting="n_arms")
        self.n_arms, self.n_features = n_arms, n_features
        self.a_inv = np.stack([np.eye(n_features) / ridge for _ in range(n_arms)])
        self.b = np.zeros((n_arms, n_features))
        self.rng = np.random.default_rng(seed)

    def _argmax(self, scores: np.ndarray) -> int:
        best = np.flatnonzero(scores >= scores.max() - 1e-12)
        return int(best[0] if best.size == 1 else self.rng.choice(best))

    def update(self, obs: np.ndarray, arm: int, reward: float) -> None:
        x = np.asarray(obs, dtype=np.float64)
        a_inv = self.a_inv[arm]
        ax = a_inv @ x
        self.a_inv[arm] = a_inv - np.outer(ax, ax) / (1.0 + x @ ax)  # Sherman-Morrison
        self.b[arm] += float(reward) * x

    def theta(self) -> np.ndarray:
        """Ridge coefficients per arm, ``(n_arms, n_features)``."""
        return np.einsum("kij,kj->ki", self.a_inv, self.b)


class LinUCB(_Ridge):
    """Linear UCB contextual bandit.

    Args:
        n_arms / n_features: sizes of the action and observation spaces.
        alpha: exploration bonus in standard errors (1.0 is a common default).
        ridge: prior precision of the coefficients.
        seed: tie-breaking generator seed.
    """

    def __init__(self, n_arms: int, n_features: int, *, alpha: float = 1.0, ridge: float = 1.0,
                 seed: int = 0) -> None:
        super().__init__(n_arms, n_features, ridge, seed)
        self.alpha = float(alpha)

    def act(self, obs: np.ndarray) -> int:
        """The arm with the highest upper confidence bound."""
        x = np.asarray(obs, dtype=np.float64)
        mean = self.theta() @ x
        width = np.sqrt(np.einsum("i,kij,j->k", x, self.a_inv, x))
        return self._argmax(mean + self.alpha * width)


class LinearThompson(_Ridge):
    """Thompson sampling over per-arm Gaussian posteriors of linear coefficients.

    Args:
        n_arms / n_features: sizes of the action and observation spaces.
        scale: posterior standard-deviation scale (``v`` of Agrawal & Goyal).
        ridge: prior precision.
        seed: sampling seed.
    """

    def __init__(self, n_arms: int, n_features: int, *, scale: float = 0.05,
                 ridge: float = 1.0, seed: int = 0) -> None:
        super().__init__(n_arms, n_features, ridge, seed)
        self.scale = float(scale)

    def act(self, obs: np.ndarray) -> int:
        """The arm whose sampled coefficients promise the most."""
        x = np.asarray(obs, dtype=np.float64)
        theta = self.theta()
        scores = np.empty(self.n_arms)
        for k in range(self.n_arms):
            cov = self.scale ** 2 * self.a_inv[k]
            cov = 0.5 * (cov + cov.T)
            sample = self.rng.multivariate_normal(theta[k], cov, method="cholesky")
            scores[k] = sample @ x
        return self._argmax(scores)


class SoftmaxPolicyGradient:
    """REINFORCE on a linear softmax policy, with a moving-average reward baseline.

    Args:
        n_arms / n_features: sizes of the action and observation spaces.
        learning_rate: step size of the gradient ascent.
        baseline_decay: weight of the old baseline in its moving average.
        temperature: softmax temperature (higher explores more).
        seed: sampling seed.
    """

    def __init__(self, n_arms: int, n_features: int, *, learning_rate: float = 0.5,
                 baseline_decay: float = 0.9, temperature: float = 1.0, seed: int = 0) -> None:
        if n_arms < 1 or n_features < 1 or learning_rate <= 0 or temperature <= 0:
            raise ConfigError(f"need n_arms={n_arms} >= 1, n_features={n_features} >= 1, "
                              f"learning_rate={learning_rate} > 0, temperature={temperature} "
                              "> 0.", setting="learning_rate")
        self.n_arms, self.n_features = n_arms, n_features
        self.lr, self.decay, self.temperature = learning_rate, baseline_decay, temperature
        self.theta = np.zeros((n_arms, n_features))
        self.baseline = 0.0
        self.rng = np.random.default_rng(seed)

    def probabilities(self, obs: np.ndarray) -> np.ndarray:
        """The policy's arm probabilities for ``obs``."""
        logits = self.theta @ np.asarray(obs, dtype=np.float64) / self.temperature
        e = np.exp(logits - logits.max())
        return np.asarray(e / e.sum())

    def act(self, obs: np.ndarray) -> int:
        """Sample an arm from the policy."""
        return int(self.rng.choice(self.n_arms, p=self.probabilities(obs)))

    def update(self, obs: np.ndarray, arm: int, reward: float) -> None:
        """One REINFORCE step: ``theta += lr * (r - baseline) * grad log pi(arm | obs)``."""
        x = np.asarray(obs, dtype=np.float64)
        p = self.probabilities(x)
        grad = -np.outer(p, x)
        grad[arm] += x
        self.theta += self.lr * (float(reward) - self.baseline) * grad / self.temperature
        self.baseline = self.decay * self.baseline + (1.0 - self.decay) * float(reward)


def run_online(env: Any, agent: Agent, *, seed: int | None = None) -> pd.DataFrame:
    """Play one episode, learning after every step; one row per step.

    Returns:
        Columns ``block``, ``block_start``, ``action``, ``arm``, ``reward``, ``block_return``,
        ``max_drawdown``, ``switch_cost``.
    """
    obs, _ = env.reset(seed=seed)
    rows = []
    done = False
    while not done:
        action = agent.act(obs)
        nxt, reward, terminated, truncated, info = env.step(action)
        agent.update(obs, action, reward)
        rows.append({"block": info["block"], "block_start": info["block_start"],
                     "action": int(action), "arm": info["arm"], "reward": reward,
                     "block_return": info["block_return"], "max_drawdown": info["max_drawdown"],
                     "switch_cost": info["switch_cost"]})
        obs, done = nxt, terminated or truncated
    return pd.DataFrame(rows)


def is_sb3_available() -> bool:
    """True when the optional ``stable_baselines3`` package can be imported."""
    return importlib.util.find_spec("stable_baselines3") is not None


def train_sb3(env: Any, *, algo: str = "PPO", total_timesteps: int = 10_000, seed: int = 0
              ) -> Any:
    """Train a stable-baselines3 model on ``env`` (optional dependency).

    Raises:
        ConfigError: stable-baselines3 is not installed (with the install command), or an
            unknown ``algo``.
    """
    if not is_sb3_available():
        raise ConfigError("train_sb3 needs the optional stable-baselines3 package; install it "
                          "with `pip install stable-baselines3` or use LinUCB / "
                          "SoftmaxPolicyGradient.", setting="algo")
    import stable_baselines3 as sb3

    if algo not in ("PPO", "A2C", "DQN"):
        raise ConfigError(f"algo={algo!r} must be 'PPO', 'A2C' or 'DQN'.", setting="algo")
    model = getattr(sb3, algo)("MlpPolicy", env, seed=seed, verbose=0)
    return model.learn(total_timesteps=total_timesteps)
