"""Generated towns against the presets: out-of-sample figures, build time and memory.

For each preset, a town is generated with the preset's population, area and kind of place, and
both are run for the same days with the same seed (each in a fresh single-threaded process).
Printed: cases registered a year per 10,000 residents, closure rate (结案率), real resolution
rate and satisfaction rate of each, and for a generated 100,000-resident far-suburban town and
N town (180,000) at 1:1 the build time, the run time of the days, the memory the built model
takes (resident set before and after building) per resident, and the process's peak.

Usage: python benchmarks/generated_towns.py [--days 90] [--seed 1] [--presets d_street,c_town,...]
"""

from __future__ import annotations

import argparse

from short_run import run_child  # benchmarks/ is on the path of a script run from it

KIND_OF_PRESET = {"d_street": "central", "c_town": "near_suburb", "n_town": "far_suburb",
                  "dongcheng": "central", "yichang": "central", "zhoushan": "village"}
"""The kind of place each preset is (the first three are the generator's own templates; the
Beijing, Yichang and Zhoushan presets are out of sample)."""

CHILD = r"""
import json, resource, time
from coordination import JointEnforcementModel
from institutions import load_preset
from institutions.generator import TownSpec, generate_town
which, name, kind, days, seed = {which!r}, {name!r}, {kind!r}, {days}, {seed}
population = {population}
if which == "preset":
    cfg = load_preset(name)
else:
    ref = load_preset(name) if population == 0 else None
    cfg = generate_town(TownSpec(name=f"generated {{name}}", population=population or ref.population,
                                 area_km2=ref.town.area_km2 if ref else 10.0, kind=kind))
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20
before = rss_mb()
t0 = time.perf_counter()
model = JointEnforcementModel(cfg, rng=seed)
t1 = time.perf_counter()
built = rss_mb() - before
model.run_for(24 * days)
t2 = time.perf_counter()
m = model.metrics()
print(json.dumps(dict(population=cfg.population, grids=len(cfg.grids), build=t1 - t0, run=t2 - t1,
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, built_mb=built,
                      cases=m["cases_registered"], closure=m["closure_rate"],
                      real=m["real_resolution_rate"], satisfaction=m["satisfaction_rate"])))
"""


def run(which: str, name: str, kind: str, days: int, seed: int, population: int = 0) -> dict:
    return run_child(CHILD.format(which=which, name=name, kind=kind, days=days, seed=seed,
                                  population=population))


def per_10k_year(r: dict, days: int) -> float:
    return r["cases"] / r["population"] * 10_000 * 365 / days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--presets", default=",".join(KIND_OF_PRESET))
    args = parser.parse_args()
    print(f"preset vs generated town of the same population and kind of place, {args.days} days, "
          f"seed {args.seed}, 1:1")
    print(f"{'preset':<10} {'kind':<12} {'residents':>10} {'grids':>11} {'cases/10k/yr':>15} "
          f"{'closure':>15} {'real resol.':>15} {'satisfaction':>15}")
    for name in args.presets.split(","):
        kind = KIND_OF_PRESET[name]
        p = run("preset", name, kind, args.days, args.seed)
        g = run("generated", name, kind, args.days, args.seed)
        print(f"{name:<10} {kind:<12} {p['population']:>10,} {p['grids']:>5}/{g['grids']:<5} "
              f"{per_10k_year(p, args.days):>7.1f}/{per_10k_year(g, args.days):<7.1f} "
              f"{p['closure']:>7.3f}/{g['closure']:<7.3f} {p['real']:>7.3f}/{g['real']:<7.3f} "
              f"{p['satisfaction']:>7.3f}/{g['satisfaction']:<7.3f}")
    print("(each pair: preset / generated)")
    print(f"\nbuild and {args.days} days at 1:1, one core")
    for label, r in (("n_town preset", run("preset", "n_town", "far_suburb", args.days, args.seed)),
                     ("generated far_suburb 100,000",
                      run("generated", "n_town", "far_suburb", args.days, args.seed, 100_000)),
                     ("generated central 100,000",
                      run("generated", "d_street", "central", args.days, args.seed, 100_000))):
        print(f"  {label:<30} {r['population']:>8,} residents  build {r['build']:5.2f} s  "
              f"run {r['run']:6.2f} s  built model {r['built_mb']:5.0f} MB "
              f"({r['built_mb'] * 2**20 / r['population']:,.0f} bytes a resident)  "
              f"peak {r['peak_mb']:5.0f} MB (process)")


if __name__ == "__main__":
    main()
