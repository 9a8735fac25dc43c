"""`gridgov compare --out DIR` leaves a brief to hand on: the forest plot (PNG, SVG) of the paired
differences coloured by the metric's direction, and a one-page HTML that opens offline, in
English or Chinese."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from typer.testing import CliRunner

from coordination.words import catalogue, metric_label
from experiments.compare import SUMMARY_METRICS, summarise
from gridgov.cli import app
from gridgov.compare_brief import DIRECTION, verdicts

WORD = r"\b[A-Za-z]*[a-z][A-Za-z]*[a-z][A-Za-z]*\b"  # an English word (acronyms such as HHI aside)


def test_every_metric_of_a_comparison_has_a_direction_and_a_meaning_in_both_languages():
    assert set(DIRECTION) == set(SUMMARY_METRICS)
    assert set(DIRECTION.values()) <= {-1, 0, 1}
    meanings = catalogue()["meaning"]
    assert set(SUMMARY_METRICS) <= set(meanings)
    assert all(en and zh and en != zh for en, zh in meanings.values())


def test_a_change_is_better_or_worse_only_when_its_interval_excludes_zero():
    seeds = list(range(1, 7))
    baseline = {"injuries": [6, 7, 5, 6, 8, 6],
                "real_resolution_rate": [0.6, 0.62, 0.58, 0.61, 0.6, 0.59],
                "declines": [10, 12, 9, 11, 10, 12], "cases_registered": [100, 110, 95, 105, 99, 101]}
    reform = {"injuries": [2, 3, 2, 1, 3, 2],  # fewer: better
              "real_resolution_rate": [0.4, 0.43, 0.41, 0.39, 0.42, 0.4],  # lower: worse
              "declines": [11, 10, 10, 12, 9, 12],  # noise: not clear
              "cases_registered": [150, 160, 140, 155, 151, 149]}  # a volume: no direction
    runs = pd.concat([pd.DataFrame({"setting": name, "seed": seeds, **values})
                      for name, values in (("baseline", baseline), ("reform", reform))])
    judged = verdicts(summarise(runs)).set_index("metric")["verdict"].to_dict()
    assert judged == {"injuries": "better", "real_resolution_rate": "worse", "declines": "unclear",
                      "cases_registered": "unclear"}


def test_a_means_interval_stays_where_the_metric_can_be():
    runs = pd.DataFrame({"setting": ["baseline"] * 4, "seed": [1, 2, 3, 4], "injuries": [0, 0, 0, 5],
                         "closure_rate": [1.0, 1.0, 1.0, 0.2]})
    rows = summarise(runs, ["injuries", "closure_rate"]).set_index("metric")
    hurt, closed = rows.loc["injuries"], rows.loc["closure_rate"]
    assert hurt["ci_low"] == 0.0 < hurt["mean"] < hurt["ci_high"]
    assert closed["ci_low"] < closed["mean"] < closed["ci_high"] == 1.0


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """A small comparison written in English and in Chinese."""
    folders = {}
    for lang in ("en", "zh"):
        out = tmp_path_factory.mktemp("compare") / lang
        result = CliRunner().invoke(app, [
            "compare", "--preset", "n_town", "--reform", "department_kpis", "--reform",
            "joint_meetings", "--reps", "3", "--days", "20", "--scale", "0.05", "--workers", "1",
            "--out", str(out), "--lang", lang])
        assert result.exit_code == 0, result.output
        folders[lang] = (out, result.output)
    return folders


def test_compare_out_writes_the_forest_plot_and_a_brief_that_opens_offline(compared):
    out, _ = compared["en"]
    assert {"forest.png", "forest.svg", "brief.html"} <= {p.name for p in out.iterdir()}
    assert (out / "forest.png").read_bytes()[:4] == b"\x89PNG"
    svg = ET.parse(out / "forest.svg").getroot()
    assert svg.tag.endswith("svg")
    page = (out / "brief.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)  # nothing fetched
    assert "data:image/png;base64," in page
    for words in ("department KPIs", "joint-duty meetings", "3 seeds (1 to 3) x 20 days",
                  metric_label("real_resolution_rate"), "What each metric means"):
        assert words.lower() in page.lower(), words
    colours = set(re.findall(r"<td class='(\w+)'", page))
    assert colours <= {"better", "worse", "unclear"} and colours
    manifest = (out / "manifest.json").read_text()
    assert "brief.html" in manifest and "forest.svg" in manifest  # the folder is one whole


def test_the_chinese_brief_and_table_have_no_english_words(compared):
    out, printed = compared["zh"]
    page = (out / "brief.html").read_text(encoding="utf-8")
    text = re.sub(r"<style>.*?</style>|<[^>]+>|data:image/png;base64,[A-Za-z0-9+/=]+", " ", page,
                  flags=re.S)
    english = set(re.findall(WORD, text)) - {"gridgov"}
    assert not english, sorted(english)[:10]
    assert "真实解决率" in page and "各指标的含义" in page
    table = re.sub(r"[│┃┏┓┗┛┡┩└┘├┤┬┴┼━─═╇╈╋]", " ", printed)
    assert not re.findall(WORD, table), table[:400]
