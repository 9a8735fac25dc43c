"""The one catalogue of words: every text gridgov shows people, in English and Chinese.

The words live in ``words.toml`` beside this module, keyed by the codes of the case log, the
metrics, the levers and the dashboard. :func:`say` looks one up; :class:`Names` gives the town's
own names (departments, teams, property managers, kinds of problem) in a language, from its
config; :func:`sentence` tells one case-log row in words. Nothing here reads English back out
of the model: every sentence is made from codes and typed columns.

Example:
    >>> say("step", "verify", "zh"), say("plan", "superficial")
    ('核查结案', 'a superficial fix')
    >>> t("day_n", "en", n=12)
    'Day 12'
    >>> from institutions import load_preset
    >>> Names(load_preset("n_town"), "zh").actor("department", "cheng_guan")
    '城管中队'
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

import pandas as pd

from institutions import TownConfig
from institutions.staffing import patrol_teams

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")


@cache
def catalogue() -> dict[str, dict[str, list[str]]]:
    """Every section of the catalogue: ``{section: {code: [English, Chinese]}}``."""
    text = (resources.files("coordination") / "words.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def check_lang(lang: str) -> Lang:
    """``lang`` if it is one of :data:`LANGS`; a clear ``ValueError`` otherwise."""
    if lang not in LANGS:
        raise ValueError(f"lang: '{lang}' is not allowed; allowed: {', '.join(LANGS)}")
    return lang  # type: ignore[return-value]


def has(section: str, key: str) -> bool:
    """Whether the catalogue has words for ``key`` in ``section``."""
    return key in catalogue().get(section, {})


def say(section: str, key: str, lang: Lang = "en", **fields: Any) -> str:
    """The words for ``key`` in ``section``, in ``lang``, with ``{fields}`` filled in.

    A key the catalogue lacks is shown as itself, its underscores as spaces.

    Example:
        >>> say("reason", "one_of_owners", "en", n=3)
        'mandate: one of 3 plausible owners'
    """
    pair = catalogue().get(section, {}).get(key)
    if pair is None:
        return str(key).rsplit(".", 1)[-1].replace("_", " ")
    text = pair[1 if lang == "zh" else 0]
    return text.format(**fields) if fields else text


def t(key: str, lang: Lang = "en", **values: Any) -> str:
    """A dashboard string (section ``ui``)."""
    return say("ui", key, lang, **values)


def metric_label(name: str, lang: Lang = "en") -> str:
    """A metric's name as a reader says it (``real_resolution_rate`` → 真实解决率)."""
    return say("metric", name, lang)


def lever_label(path: str, lang: Lang = "en") -> str:
    """A lever's dotted config path as a reader says it."""
    return say("lever", path, lang)


def lever_help(path: str, lang: Lang = "en") -> str:
    """What a lever does and its unit, in ``lang`` ("" for a path with no help): a
    department's officers, a team's members and a meeting's numbers share one text each.

    Example:
        >>> lever_help("departments.cheng_guan.officers")
        'Officers of this department who handle work orders (people).'
    """
    return _lever_text("lever_help", path, lang)


def _lever_text(section: str, path: str, lang: Lang) -> str:
    parts = path.split(".")
    if parts[0] in ("departments", "inspectors", "meetings") and len(parts) == 3:
        path = f"{parts[0]}.{parts[2]}"  # every department, team and meeting says the same
    pair = catalogue().get(section, {}).get(path)
    return pair[1 if lang == "zh" else 0] if pair else ""


def lever_paper(path: str, lang: Lang = "en") -> str:
    """What the study reports about a lever, in ``lang`` ("" where it says nothing).

    Example:
        >>> lever_paper("centre.intake_seats")
        "C town's centre has 15 intake and 5 dispatch seats; N town's has 2 staff for everything."
    """
    return _lever_text("lever_paper", path, lang)


def choice_label(value: str, lang: Lang = "en") -> str:
    """A lever setting (``department_kpis``) as a reader says it."""
    return say("choice", value, lang)


def reform_label(name: str, lang: Lang = "en") -> str:
    """A named reform (``A`` or ``A+B``) as a reader says it.

    Example:
        >>> reform_label("clear_mandates+training", "zh")
        '明确职责 + 培训'
    """
    return " + ".join(say("reform", part, lang) for part in name.split("+"))


def when(hours: float, lang: Lang = "en") -> str:
    """A model time as day and clock: ``day 30 09:35`` / ``第 30 天 09:35``.

    Example:
        >>> when(24 * 30 + 9.5, "zh")
        '第 30 天 09:30'
    """
    clock = f"{int(hours % 24):02d}:{int(hours * 60 % 60):02d}"
    return say("words", "when", lang, day=int(hours // 24), clock=clock)


def _name(item: Any, lang: Lang) -> str:
    """An item's name from the config in ``lang`` (the other language, then its id, if missing)."""
    en, zh = getattr(item, "name", "") or "", getattr(item, "name_zh", "") or ""
    return (zh or en or item.id) if lang == "zh" else (en or zh or item.id)


class Names:
    """The town's own names in one language, from its config: who acts, what goes wrong.

    Example:
        >>> from institutions import load_preset
        >>> names = Names(load_preset("n_town"), "en")
        >>> names.actor("inspector", "12", "lian_qin"), names.kind("manhole_cover_compound")
        ('an inspector (joint-duty patrol)', 'Missing manhole cover (compound)')
    """

    def __init__(self, cfg: TownConfig, lang: Lang = "en") -> None:
        self.cfg = cfg
        self.lang = check_lang(lang)
        self._handlers = {("department", d.id): d for d in cfg.departments}
        self._handlers.update({("property_manager", p.id): p for p in cfg.property_managers})
        self._teams = {team.id: team for team in patrol_teams(cfg)}
        self._kinds = {k.id: k for k in cfg.incident_kinds}
        self._meetings = {m.id: m.kind for m in cfg.institutions.meetings}

    def handler(self, kind: str, key: str) -> str:
        """A department or property manager by its id."""
        item = self._handlers.get((str(kind), key))
        return _name(item, self.lang) if item is not None else key

    def team(self, key: str) -> str:
        """An inspector team (联勤, 信息员 …) by its id."""
        team = self._teams.get(key)
        return _name(team, self.lang) if team is not None else key

    def parameter(self, path: str) -> str:
        """A config path that a lever sets or a sweep varies, as a reader says it: a
        department's officers, a team's members, a lever's name; else the path itself.

        Example:
            >>> from institutions import load_preset
            >>> names = Names(load_preset("n_town"), "zh")
            >>> names.parameter("institutions.assessment.kind"), names.parameter("seed_x")
            ('考核方式', 'seed_x')
        """
        parts = path.split(".")
        if parts[0] == "departments" and len(parts) == 3:
            return t("officers_of", self.lang, name=self.handler("department", parts[1]))
        if parts[0] == "inspectors" and len(parts) == 3:
            return t("members_of", self.lang, name=self.team(parts[1]))
        if path == "reforms":
            return say("ui", "swept_reforms", self.lang)
        return lever_label(path, self.lang) if path in catalogue().get("lever", {}) else path

    def kind(self, key: str) -> str:
        """A kind of problem by its id."""
        kind = self._kinds.get(key)
        return _name(kind, self.lang) if kind is not None else key

    def escalation(self, key: str) -> str:
        """What a kind of problem grows into when it escalates."""
        kind = self._kinds.get(key)
        esc = kind.escalation if kind is not None else None
        if esc is None:
            return say("outcome", "escalated", self.lang)
        return (esc.to_zh or esc.to) if self.lang == "zh" else esc.to

    def domain(self, key: str) -> str:
        """A professional domain (dispute, food_drug …)."""
        return say("domain", key, self.lang)

    def domain_of(self, kind: str) -> str:
        """The professional domain of a kind of problem."""
        spec = self._kinds.get(kind)
        return self.domain(spec.domain) if spec is not None else ""

    def meeting(self, key: str) -> str:
        """A meeting by its id: said by its kind (the daily handover, 早交班 …)."""
        return choice_label(self._meetings.get(key, key), self.lang)

    def actor(self, kind: str, key: str | None = None, team: str | None = None) -> str:
        """Whoever acts in a log row, by its kind, id and (for an inspector) team."""
        kind = str(kind)
        if kind in ("department", "property_manager"):
            return self.handler(kind, key or "")
        if kind == "inspector":
            return say("actor", "inspector", self.lang, team=self.team(team or ""))
        if kind == "resident":
            return say("actor", "resident", self.lang, id=key)
        return say("actor", kind, self.lang)

    def handlers(self, keys: str) -> str:
        """Handler ids as logged (joined by ``,``), named and listed."""
        names = [self._handler_or_kind(k) for k in keys.split(",") if k]
        return say("words", "list_sep", self.lang).join(names)

    def _handler_or_kind(self, key: str) -> str:
        for kind in ("department", "property_manager"):
            if (kind, key) in self._handlers:
                return self.handler(kind, key)
        return key


def _given(value: Any) -> bool:
    """Whether a log cell holds a value (not None, NaN or pandas' NA)."""
    return not pd.isna(value)


def _costs(row: Mapping[str, Any], lang: Lang) -> str:
    items = [say("words", "cost_item", lang, plan=say("words", column, lang), cost=f"{row[column]:.1f}")
             for column in ("cost_full", "cost_superficial", "cost_paper", "cost_decline",
                            "cost_reclassify")
             if _given(row.get(column))]
    if not items:
        return ""
    listed = say("words", "cost_sep", lang).join(items)
    return (f"({say('words', 'costs', lang, costs=listed)})" if lang == "zh"
            else f" ({say('words', 'costs', lang, costs=listed)})")


def sentence_key(row: Mapping[str, Any]) -> str | None:
    """The catalogue's sentence for a row: ``step.outcome.reason``, else ``step.outcome``, else
    ``step``; ``None`` if it has none."""
    step, outcome = str(row["step"]), str(row["outcome"])
    reason = str(row["reason"]) if _given(row.get("reason")) else ""
    return next((k for k in (f"{step}.{outcome}.{reason}", f"{step}.{outcome}", step)
                 if has("sentence", k)), None)


def sentence(row: Mapping[str, Any], names: Names) -> str:
    """One case-log row told in ``names``' language.

    Example:
        >>> from institutions import load_preset
        >>> names = Names(load_preset("n_town"), "zh")
        >>> row = {"step": "feedback", "outcome": "declined", "reason": "not_ours",
        ...        "actor_kind": "department", "actor_id": "traffic_police", "owners": "greening",
        ...        "cost_full": 1.2, "cost_decline": 2.46}
        >>> sentence(row, names)
        '交警退单:非本单位职责,应由绿化所处理(预期成本,以工时当量计,越低越可能被选:彻底处置 1.2,退单 2.5)'
    """
    lang = names.lang
    step, outcome = str(row["step"]), str(row["outcome"])
    reason = str(row["reason"]) if _given(row.get("reason")) else ""
    key = sentence_key(row)
    if key is None:
        return f"{say('step', step, lang)}: {outcome}"
    kind = str(row.get("kind", ""))
    fields: dict[str, Any] = {
        "who": names.actor(row.get("actor_kind", "town"), _text(row.get("actor_id")),
                           _text(row.get("team"))),
        "kind": names.kind(kind),
        "case": _int(row.get("case_id")), "other": _int(row.get("other_case")),
        "rating": say("rating", outcome, lang),
        "state": say("state", str(row.get("incident_state", "")), lang),
        "plan": say("plan", str(row.get("plan", "")), lang),
        "costs": _costs(row, lang),
        "escalation": names.escalation(kind),
    }
    if step == "evaluate":
        callers, satisfied = _int(row.get("callers")) or 0, _int(row.get("satisfied")) or 0
        fields["callback"] = say("words", "callback" if callers else "no_callback", lang,
                                 callers=callers, satisfied=satisfied)
    if step == "occurred":
        compound = _text(row.get("compound"))
        fields["place"] = (say("words", "in_compound", lang, compound=compound) if compound
                           else say("words", "on_street", lang, grid=row.get("grid", "")))
    if _given(row.get("target_kind")):
        fields["target"] = names.actor(row["target_kind"], _text(row.get("target_id")))
    if reason and has("reason", reason):
        owners = _text(row.get("owners")) or ""
        skill = row.get("skill")
        fields["reason"] = say(
            "reason", reason, lang, n=len([o for o in owners.split(",") if o]),
            owners=names.handlers(owners), meeting=names.meeting(_text(row.get("meeting")) or ""),
            skill=f"{skill:.2f}" if _given(skill) else "",
            domain=names.domain_of(kind))
    text = say("sentence", key, lang, **fields)
    return spaced(text) if lang == "zh" else text


def spaced(text: str) -> str:
    """Chinese text with a space between a Chinese character and a Latin letter or digit.

    Example:
        >>> spaced("居民 128受伤,派单至物业公司A")
        '居民 128 受伤,派单至物业公司 A'
    """
    out: list[str] = []
    for ch in text:
        if out and ch != " " and out[-1] != " " and _cjk(ch) != _cjk(out[-1]) and (
                _latin(ch) or _latin(out[-1])):
            out.append(" ")
        out.append(ch)
    return "".join(out)


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _text(value: Any) -> str | None:
    return str(value) if _given(value) else None


def _int(value: Any) -> int | None:
    return int(value) if _given(value) else None
