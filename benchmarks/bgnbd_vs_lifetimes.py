"""BG/NBD fit on 1,000,000 simulated customers: this project's fitter against Lifetimes.

Simulates customers from a BG/NBD process with the CDNOW parameters, fits both in the same
run and prints seconds, the speed-up and the largest parameter difference. Lifetimes needs
pandas < 3, so it runs in its own virtualenv (var/bench-lifetimes, created on first use).

Usage: python benchmarks/bgnbd_vs_lifetimes.py [CUSTOMERS]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "var" / "bench-lifetimes"
TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}

LIFETIMES_FIT = """
import json, sys, time
import numpy as np
from lifetimes import BetaGeoFitter
d = np.load(sys.argv[1])
t0 = time.perf_counter()
m = BetaGeoFitter(penalizer_coef=0.0).fit(d["x"], d["t_x"], d["T"])
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "params": {k: float(v) for k, v in m.params_.items()}}))
"""


def simulate(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeat purchases x, time of the last one t_x and observation length T (weeks)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n)
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    T = rng.uniform(20, 52, n)
    arrivals = rng.poisson(lam * T)  # purchases the rate would give over T
    alive_for = rng.geometric(p)  # drops out after this many repeat purchases
    x = np.minimum(arrivals, alive_for)
    # The x-th of `arrivals` uniform arrival times on [0, T] (an order statistic).
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    return x.astype(float), t_x, T


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print("creating var/bench-lifetimes (Lifetimes with pandas < 3) …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "lifetimes==0.11.3", "pandas<3"],
            check=True,
        )
    return python


def main() -> None:
    from bankcrm.analytics.clv import BetaGeoModel

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    x, t_x, T = simulate(n)
    print(f"== BG/NBD fit on {n:,} simulated customers ({(x > 0).mean():.0%} repeat buyers)")
    t0 = time.perf_counter()
    ours = BetaGeoModel().fit(x, t_x, T)
    ours_s = time.perf_counter() - t0
    python = ensure_venv()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "customers.npz"
        np.savez(data, x=x, t_x=t_x, T=T)
        out = subprocess.run(
            [str(python), "-c", LIFETIMES_FIT, str(data)],
            check=True,
            capture_output=True,
            text=True,
        )
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    diff = max(abs(ours.params_[k] - theirs["params"][k]) for k in TRUE)
    for name, params, seconds in (
        ("bankcrm", ours.params_, ours_s),
        ("lifetimes", theirs["params"], theirs["seconds"]),
    ):
        shown = "  ".join(f"{k} = {params[k]:.4f}" for k in TRUE)
        print(f"  {name:<10} {seconds:7.2f} s   {shown}")
    print(
        f"  speed-up {theirs['seconds'] / ours_s:.1f}× (goal ≥ 8×); largest parameter "
        f"difference {diff:.1e} (goal ≤ 1e-3); simulated from "
        + ", ".join(f"{k} = {v}" for k, v in TRUE.items())
    )


if __name__ == "__main__":
    main()
