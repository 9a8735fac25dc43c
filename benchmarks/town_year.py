"""One simulated year of N town at 1:1, against Mesa's step-every-agent idiom.

Prints the wall time and peak memory of ``JointEnforcementModel(preset n_town, scale 1.0)`` run
for 365 days (build, run and metrics, in a fresh single-threaded process), and, in the same
run, the time Mesa's own idiom, ``model.agents.shuffle_do("step")`` over the same number of
trivial agents, needs merely to touch every resident every simulated hour for a year
(a sample of steps, extrapolated), and the ratio of the two.

Usage: python benchmarks/town_year.py [--days 365] [--idiom-steps 24] [--seed 1]
Goals (issue 2): <= 10 s, <= 1.5 GB peak, ratio >= 50.
"""

from __future__ import annotations

import argparse
import time

from short_run import run_child  # benchmarks/ is on the path of a script run from it

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from coordination import JointEnforcementModel
t1 = time.perf_counter()
model = JointEnforcementModel(preset="n_town", scale=1.0, rng={seed})
t2 = time.perf_counter()
model.run_for(24 * {days})
t3 = time.perf_counter()
metrics = model.metrics()
t4 = time.perf_counter()
print(json.dumps(dict(imports=t1 - t0, build=t2 - t1, run=t3 - t2, metrics=t4 - t3,
                      residents=model.n_residents, agents=len(model.agents),
                      incidents=len(model.incidents), log_rows=len(model.log),
                      cases=metrics["cases_registered"],
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""

IDIOM = r"""
import json, time, mesa

class Trivial(mesa.Agent):
    def step(self):
        pass

model = mesa.Model(rng=1)
for _ in range({n}):
    Trivial(model)
model.agents.shuffle_do("step")  # warm up
t = time.perf_counter()
for _ in range({steps}):
    model.agents.shuffle_do("step")
print(json.dumps(dict(per_step=(time.perf_counter() - t) / {steps})))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--idiom-steps", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    ours = run_child(CHILD.format(seed=args.seed, days=args.days))
    model_s = ours["build"] + ours["run"] + ours["metrics"]
    idiom = run_child(IDIOM.format(n=ours["residents"], steps=args.idiom_steps))
    idiom_s = idiom["per_step"] * 24 * args.days

    print(f"gridgov n_town, scale 1.0, {args.days} days, seed {args.seed} (one core)")
    print(f"  residents (Mesa agents)      {ours['residents']:>12,}")
    print(f"  all agents                   {ours['agents']:>12,}")
    print(f"  incidents / cases / log rows {ours['incidents']:>8,} / {ours['cases']:,} / "
          f"{ours['log_rows']:,}")
    print(f"  build                        {ours['build']:>12.2f} s")
    print(f"  run                          {ours['run']:>12.2f} s")
    print(f"  metrics                      {ours['metrics']:>12.2f} s")
    print(f"  model total                  {model_s:>12.2f} s   (goal <= 10 s)")
    print(f"  peak memory                  {ours['peak_mb']:>12.0f} MB  (goal <= 1536 MB)")
    print(f"Mesa idiom: shuffle_do('step') over {ours['residents']:,} trivial agents")
    print(f"  per hourly step (mean of {args.idiom_steps})  {idiom['per_step'] * 1000:>9.1f} ms")
    print(f"  extrapolated to {24 * args.days:,} steps   {idiom_s:>12.1f} s")
    print(f"ratio idiom / gridgov          {idiom_s / model_s:>12.1f} x  (goal >= 50 x)")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"(benchmark wall time {time.perf_counter() - start:.1f} s)")
