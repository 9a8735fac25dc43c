"""The town map as a reader uses it: every dot inside its grid, what a dot is when pointed at,
the case a click opens, a grid zoomed on; and a reloaded page taking up its session."""

from __future__ import annotations

import numpy as np
import pytest

from coordination import JointEnforcementModel
from coordination.words import Names
from dashboards.session import KeptSessions
from dashboards.town_map import TownMap, case_of_incident, shown_problems


@pytest.fixture(scope="module")
def model() -> JointEnforcementModel:
    model = JointEnforcementModel(scale=0.1, rng=3)
    model.run_for(24 * 40)
    return model


def test_every_problem_sits_inside_its_grid_clear_of_the_border(model):
    for incident in model.incidents:
        gx, gy = model.grid_origin[incident.grid]
        x, y = incident.xy
        assert gx + 0.05 < x < gx + 0.95 and gy + 0.05 < y < gy + 0.95, (incident.id, incident.xy)


def test_a_dot_says_what_it_is_and_leads_to_its_case(model):
    town = TownMap(model)
    town.png(model)
    dots = town.dots(model, Names(model.config))
    shown = shown_problems(model)
    assert len(dots) == len(shown) > 10
    cases = case_of_incident(model)
    for (fx, fy, text, case_id), (incident, category, _) in zip(dots, shown, strict=True):
        assert 0 <= fx <= 1 and 0 <= fy <= 1
        assert town.grid_at(fx, fy) == incident.grid  # the dot is drawn where the problem is
        if category == "st_unreported":
            assert case_id is None and "not reported yet" in text
        else:
            assert case_id == cases[incident.id]
            assert model.workflow.cases[case_id].incident is incident
            assert text.startswith(f"Case {case_id}: ")
    # an open case's dot names the case open now (a later report merged into it is not shown)
    open_dots = [d for d in dots if d[3] is not None and model.workflow.cases[d[3]].is_open]
    assert open_dots and all(model.workflow.cases[d[3]].incident.case.id == d[3] for d in open_dots)


def test_zooming_on_a_grid_shows_only_its_dots_spread_wider(model):
    town = TownMap(model, lang="zh")
    town.png(model)
    names = Names(model.config, "zh")
    whole = town.dots(model, names)
    grid = max(model.grid_origin, key=lambda g: sum(i.grid == g for i, _, _ in shown_problems(model)))
    town.zoom(grid)
    town.png(model)
    close = town.dots(model, names)
    mine = [d for d, (i, _, _) in zip(whole, shown_problems(model), strict=True) if i.grid == grid]
    assert len(close) == len(mine) > 1
    spread = lambda dots: np.ptp([d[0] for d in dots]) + np.ptp([d[1] for d in dots])  # noqa: E731
    assert spread(close) > 1.5 * spread(mine)
    assert all(town.grid_at(d[0], d[1]) == grid for d in close)
    town.zoom(None)
    town.png(model)
    assert town.dots(model, names) == whole
    with pytest.raises(ValueError, match="no grid"):
        town.zoom("nowhere")


def test_a_reloaded_page_takes_up_its_session_and_another_browser_does_not():
    kept = KeptSessions(spare=2, wait_s=0.0)  # kernels unknown to the server count as closed pages
    first = kept.take("browser-a", "kernel-1")
    first.values["explore.days_per_step"] = 30
    assert kept.take("browser-a", "kernel-2") is first  # the reload
    assert kept.take("browser-b", "kernel-3") is not first  # another browser
    for n in range(4, 8):  # closed pages beyond the spare ones are dropped, the oldest first
        kept.take(f"browser-{n}", f"kernel-{n}")
    assert kept.take("browser-a", "kernel-9") is not first
