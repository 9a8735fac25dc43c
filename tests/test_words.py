"""The catalogue of words: every code has words in both languages, every logged step can be told,
and a story told in one language has no words of the other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coordination import ActorKind, JointEnforcementModel, Outcome, Reason, Step
from coordination.case_log import CODES
from coordination.tally import METRIC_NAMES
from coordination.words import LANGS, Names, catalogue, sentence, sentence_key
from experiments.scenarios import run_scenario
from institutions import list_presets, load_preset
from institutions.staffing import patrol_teams

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*")


def test_every_entry_has_both_languages_with_the_same_fields():
    for section, entries in catalogue().items():
        for key, pair in entries.items():
            assert isinstance(pair, list) and len(pair) == 2, (section, key)
            en, zh = pair
            assert (en and zh) or section == "actor", (section, key)
            fields = re.compile(r"{(\w+)}")
            assert sorted(fields.findall(en)) == sorted(fields.findall(zh)), (section, key)
            assert not CJK.search(en), (section, key, en)


def test_every_code_is_documented_and_has_words():
    doc = (ROOT / "docs" / "case_log.md").read_text(encoding="utf-8")
    for codes in (Step, Outcome, Reason, ActorKind):
        for code in codes:
            assert f"`{code.value}`" in doc, code
    words = catalogue()
    assert set(CODES["step"]) <= set(words["step"])
    assert set(CODES["plan"]) <= set(words["plan"])
    assert set(CODES["incident_state"]) <= set(words["state"])
    assert {"good", "fair", "poor"} <= set(words["rating"])
    assert set(METRIC_NAMES) - {"workload_share"} <= set(words["metric"])


@pytest.mark.parametrize("preset", list_presets())
def test_the_towns_names_and_domains_are_given_in_both_languages(preset):
    cfg = load_preset(preset)
    named = [*cfg.departments, *cfg.property_managers, *patrol_teams(cfg), *cfg.incident_kinds]
    for item in named:
        assert item.name and item.name_zh, item.id
        assert not CJK.search(item.name), item.name
    for kind in cfg.incident_kinds:
        assert kind.domain in catalogue()["domain"], kind.domain
        if kind.escalation is not None:
            assert kind.escalation.to and kind.escalation.to_zh, kind.id


@pytest.mark.slow
@pytest.mark.parametrize("preset", list_presets())
def test_every_row_of_a_run_is_told_in_a_sentence_of_its_own(preset):
    """No row falls back to its codes: each (step, outcome, reason) that occurs has a sentence."""
    model = JointEnforcementModel(load_preset(preset), scale=0.1, rng=3,
                                  reforms=["joint_meetings", "training"])
    model.run_for(24 * 60)
    for lang in LANGS:
        names = Names(model.config, lang)
        seen = set()
        for row in model.case_log().to_dict(orient="records"):
            key = (row["step"], row["outcome"], row["reason"])
            if key not in seen:
                seen.add(key)
                assert sentence_key(row) is not None, key
                assert sentence(row, names)


def _allowed_tokens(model: JointEnforcementModel) -> set[str]:
    """Ids the Chinese text may show, and the Latin letters inside the town's own Chinese names."""
    cfg = model.config
    ids = {g.id for g in cfg.grids} | set(model.compound_manager)
    names = [x.name_zh for x in (*cfg.departments, *cfg.property_managers, *cfg.incident_kinds)]
    return ids | {t for name in names for t in TOKEN.findall(name)}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["manhole", "lawn_parking"])
@pytest.mark.parametrize("setting", ["baseline", "department_kpis", "centre_authority"])
def test_a_chinese_timeline_has_no_english_and_an_english_one_no_chinese(scenario, setting):
    zh = run_scenario(scenario, seed=1, setting=setting, lang="zh")
    allowed = _allowed_tokens(zh.model)
    for text in (*zh.timeline["text"], *zh.timeline["who"], *zh.timeline["step_name"],
                 *zh.timeline["when"]):
        stray = [t for t in TOKEN.findall(text) if t not in allowed]
        assert not stray, (text, stray)
    en = run_scenario(scenario, seed=1, setting=setting, lang="en")
    for text in (*en.timeline["text"], *en.timeline["who"], *en.timeline["step_name"]):
        assert not CJK.search(text), text
    assert len(en.timeline) == len(zh.timeline)


def test_the_timeline_reads_no_text_back_and_each_metric_is_defined_once():
    timeline = (ROOT / "coordination" / "timeline.py").read_text(encoding="utf-8")
    assert "import re" not in timeline and "re." not in timeline
    sources = [p.read_text(encoding="utf-8") for folder in
               ("agents", "coordination", "experiments", "dashboards", "gridgov", "institutions")
               for p in (ROOT / folder).rglob("*.py")]
    for name in METRIC_NAMES:
        definitions = sum(len(re.findall(rf"^def {name}\(", s, re.M)) for s in sources)
        assert definitions == 1, name
