"""Scores of an alignment round: do departments share one customer, one owner per stage,
one accountable person overall and one need per stage?

Every figure carries its n and a 95% percentile-bootstrap interval (respondents
resampled, seeded, so a page shows the same interval on every load). Flags are read from
the point estimates against the thresholds below.

A round's intervals are stored (`round_intervals`) and reused by the next read: each is
keyed by its statistic, seed and the very answers it resamples, so a stored interval is
only ever read back for the same inputs and the figures equal a fresh computation. A
closed round then costs no bootstrap at all; an open one only those its new answers moved.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from beacon.alignment.models import Accountable, Reply, Round, StageReply
from beacon.alignment.queries import replies, round_stages, scored_rounds
from beacon.analytics.display import figure
from beacon.analytics.money.figures import BOOTSTRAP_SAMPLES, bootstrap
from beacon.core.computed import read_stored, write_stored
from beacon.cxmodel.models import Persona, Stage
from beacon.orgs.models import Membership, Organization, Role

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# Flag thresholds (issue wording: "under 50% name the same person", "over 50% don't know").
CONTESTED_BELOW = 0.5
UNKNOWN_ABOVE = 0.5
NO_DEPARTMENT = "No department"
OTHER = "Another customer (in words)"
SEED = 2011


# ------------------------------------------------------------------ figures


@dataclass(frozen=True)
class Score:
    """A share (0..1), an alpha or a count, with its 95% interval and n."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    kind: str = "share"  # share | alpha | count

    @property
    def enough(self) -> bool:
        return self.value is not None

    def _scaled(self) -> tuple[float, float, float]:
        assert self.value is not None and self.low is not None and self.high is not None
        k = 100.0 if self.kind == "share" else 1.0
        return self.value * k, self.low * k, self.high * k

    @property
    def text(self) -> str:
        """ "62% (48% to 75%, n=24)": value, interval and n as every page shows them."""
        if not self.enough:
            return f"not enough answers (n={self.n})"
        key = {"share": "percent", "alpha": "alpha", "count": "count"}[self.kind]
        shown = figure(key, *self._scaled())
        unit = "%" if self.kind == "share" else ""
        return f"{shown.value}{unit} ({shown.low}{unit} to {shown.high}{unit}, n={self.n})"

    @property
    def short(self) -> str:
        if not self.enough:
            return "-"
        key = {"share": "percent", "alpha": "alpha", "count": "count"}[self.kind]
        shown = figure(key, *self._scaled())
        return f"{shown.value}{'%' if self.kind == 'share' else ''}"

    @property
    def interval(self) -> str:
        """ "48% to 75%": the interval alone (a table cell shows the value beside it)."""
        if not self.enough:
            return ""
        key = {"share": "percent", "alpha": "alpha", "count": "count"}[self.kind]
        shown = figure(key, *self._scaled())
        unit = "%" if self.kind == "share" else ""
        return f"{shown.low}{unit} to {shown.high}{unit}"

    @property
    def percent(self) -> int:
        """The share as a whole percentage (the heat map's colour band)."""
        return round((self.value or 0.0) * 100)


# Intervals known so far while a round's results are computed (see `_stored_intervals`):
# interval key -> [low, high], None standing for NaN (JSON has none). Unset: no store.
_known: ContextVar[dict[str, list[float | None]] | None] = ContextVar("_known", default=None)
_used: ContextVar[set[str] | None] = ContextVar("_used", default=None)


def _interval_key(statistic: str, seed: int, inputs: object) -> str:
    """Names one interval by what determines it: the statistic, its seed, the resample
    count and its inputs. A change to how a statistic is computed must change its name
    here, or stored intervals of the old one would be read back."""
    named = (statistic, seed, BOOTSTRAP_SAMPLES, inputs)
    return hashlib.sha256(repr(named).encode()).hexdigest()[:32]


def _interval(
    statistic: Callable[[IntArray], FloatArray], n: int, *, seed: int, key: str
) -> tuple[float, float]:
    known, used = _known.get(), _used.get()
    if known is None or used is None:
        return bootstrap(statistic, n, seed=seed)
    used.add(key)
    if key not in known:
        known[key] = [None if math.isnan(b) else b for b in bootstrap(statistic, n, seed=seed)]
    low, high = known[key]
    return (math.nan if low is None else low), (math.nan if high is None else high)


def _score(
    statistic: Callable[[IntArray], FloatArray], n: int, *, kind: str, seed: int, key: str
) -> Score:
    value = float(statistic(np.arange(n)[None, :])[0]) if n else math.nan
    if not math.isfinite(value):  # no answers, or alpha from fewer than two
        return Score(None, None, None, n, kind)
    low, high = _interval(statistic, n, seed=seed, key=key)
    return Score(value, low, high, n, kind)


def share(x: Sequence[float], *, seed: int = SEED) -> Score:
    """The share of True (or the mean of shares in 0..1), with its bootstrap interval."""
    values = np.asarray(x, dtype=float)
    key = _interval_key("share", seed, values.tolist())
    return _score(
        lambda idx: values[idx].mean(axis=1), len(values), kind="share", seed=seed, key=key
    )


def _onehot(codes: Sequence[int], categories: int) -> FloatArray:
    matrix = np.zeros((len(codes), categories))
    matrix[np.arange(len(codes)), np.asarray(codes, dtype=np.intp)] = 1.0
    return matrix


def top_share(codes: Sequence[int], categories: int, *, seed: int = SEED) -> Score:
    """The share of the most common code (codes are 0..categories-1; -1 counts as none)."""
    n = len(codes)
    if n and not categories:
        return Score(0.0, 0.0, 0.0, n, "share")
    counted = [c if c >= 0 else categories for c in codes]
    onehot = _onehot(counted, categories + 1)[:, :categories]
    key = _interval_key("top_share", seed, (categories, counted))
    return _score(
        lambda idx: onehot[idx].sum(axis=1).max(axis=1) / n, n, kind="share", seed=seed, key=key
    )


def distinct_count(codes: Sequence[int], categories: int, *, seed: int = SEED) -> Score:
    """How many different codes (>= 0) were given."""
    if codes and not categories:
        return Score(0.0, 0.0, 0.0, len(codes), "count")
    counted = [c if c >= 0 else categories for c in codes]
    onehot = _onehot(counted, categories + 1)[:, :categories]
    return _score(
        lambda idx: (onehot[idx].sum(axis=1) > 0).sum(axis=1).astype(float),
        len(codes),
        kind="count",
        seed=seed,
        key=_interval_key("distinct_count", seed, (categories, counted)),
    )


# ------------------------------------------------------------------ Krippendorff's alpha


def nominal_alpha(counts: npt.ArrayLike) -> FloatArray:
    """Krippendorff's alpha for nominal data from a units x values count matrix.

    `counts[..., u, c]` is how many coders gave value c to unit u (leading axes are a
    batch, e.g. bootstrap resamples). Following Krippendorff (2011), "Computing
    Krippendorff's alpha-reliability", section C (nominal data, any number of coders,
    missing values): the coincidence matrix is

        o_ck = sum over units u of (n_uc * n_uk - [c == k] * n_uc) / (m_u - 1),

    counting each ordered pair of values within a unit, weighted by 1/(m_u - 1), where
    m_u is the number of values in unit u (units with fewer than two are not pairable).
    With n_c = sum_k o_ck and n = sum_c n_c,

        alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k

    (observed over expected disagreement). Undefined (NaN) without any expected
    disagreement, i.e. when every pairable value is the same.
    """
    n_uc = np.asarray(counts, dtype=float)
    values = n_uc.shape[-1]
    m_u = n_uc.sum(axis=-1)
    weight = np.where(m_u >= 2, 1.0 / np.maximum(m_u - 1.0, 1.0), 0.0)
    pairs = n_uc[..., :, None] * n_uc[..., None, :] - n_uc[..., :, None] * np.eye(values)
    o_ck = (pairs * weight[..., None, None]).sum(axis=-3)
    n_c = o_ck.sum(axis=-1)
    n = n_c.sum(axis=-1)
    observed = o_ck.sum(axis=(-2, -1)) - np.trace(o_ck, axis1=-2, axis2=-1)
    expected = n**2 - (n_c**2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * observed / expected
    return np.where(expected > 0, alpha, np.nan)


def first_choice_alpha(codes: Sequence[int], options: int, *, seed: int = SEED) -> Score:
    """Agreement on the first persona choice, Krippendorff's alpha (nominal).

    A single question gives one unit, and alpha needs several: each option offered (each
    persona of the registry, and "another customer, in words") is a unit, and every
    respondent codes each one "my first choice" or "not". Alpha is then 1 when everyone
    names the same first choice and about 0 when first choices are spread as if drawn at
    random among the options offered; large samples give
    (sum of squared choice shares - 1/options) / (1 - 1/options).
    """
    onehot = _onehot(codes, options)

    def statistic(idx: IntArray) -> FloatArray:
        chosen = onehot[idx].sum(axis=1)  # resamples x options: how many chose each
        n = idx.shape[1]
        return nominal_alpha(np.stack([n - chosen, chosen], axis=-1))

    key = _interval_key("first_choice_alpha", seed, (options, list(codes)))
    return _score(statistic, len(codes), kind="alpha", seed=seed, key=key)


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class Flag:
    kind: str  # orphaned | contested | unknown | misaligned
    label: str
    detail: str


FLAG_LABELS = {
    "orphaned": "Orphaned",
    "contested": "Contested",
    "unknown": "Unknown",
    "misaligned": "Misaligned persona",
}


def _flag(kind: str, detail: str) -> Flag:
    return Flag(kind, FLAG_LABELS[kind], detail)


@dataclass(frozen=True)
class StageResult:
    stage: Stage
    owner: Membership | None
    n: int
    owner_share: Score
    top_answer: str
    top_share: Score
    unsure_share: Score  # "don't know" or "nobody"
    dont_know_share: Score
    top_person: str
    top_person_share: Score
    need: str
    need_share: Score
    flags: list[Flag]


@dataclass(frozen=True)
class DepartmentResult:
    name: str
    n: int
    first_choice: str
    primary_share: Score
    misaligned: bool


@dataclass(frozen=True)
class OverallResult:
    n: int
    distinct: Score
    everyone_same: bool
    top_person: str
    top_share: Score
    dont_know_share: Score
    flags: list[Flag]


@dataclass(frozen=True)
class PersonAnswers:
    """One respondent's answers under their name (a round that opted in only)."""

    membership_id: int
    name: str
    department: str
    role: str
    first_choice: str
    overall: str
    stages: list[str]  # who they named, in the round's stage order


@dataclass(frozen=True)
class Results:
    round: Round
    n: int
    primary: Persona | None
    alpha: Score
    first_choices: list[tuple[str, int]]
    departments: list[DepartmentResult]
    stages: list[StageResult]
    overall: OverallResult
    # (department, one Score per stage in `stages` order): share naming the recorded owner.
    heat: list[tuple[str, list[Score]]] = field(default_factory=list)
    # Each person's answers with their name: only in a round sent saying so, else empty.
    people: list[PersonAnswers] = field(default_factory=list)

    @property
    def flags(self) -> list[tuple[str, Flag]]:
        found = [(s.stage.name, f) for s in self.stages for f in s.flags]
        found += [("Overall accountability", f) for f in self.overall.flags]
        found += [
            (d.name, _flag("misaligned", f"first choice: {d.first_choice}"))
            for d in self.departments
            if d.misaligned
        ]
        return found


def _department(reply: Reply) -> str:
    return reply.department_name or NO_DEPARTMENT


def _first_choice(reply: Reply) -> int | None:
    return reply.persona_1_id


def _persona_names(org_id: int) -> dict[int, str]:
    return dict(Persona.objects.for_org(org_id).values_list("pk", "name"))


def _member_names(org_id: int) -> dict[int, str]:
    return dict(Membership.objects.for_org(org_id).values_list("pk", "display_name"))


def _orphaned(stage: Stage) -> Flag | None:
    owner = stage.owner if stage.owner_id else None
    if owner is None:
        return _flag("orphaned", "no accountable owner is recorded")
    if owner.deactivated_at is not None:
        return _flag("orphaned", f"the recorded owner, {owner.display_name}, is deactivated")
    return None


def _answer_key(answer: StageReply) -> str:
    return (
        f"m{answer.member_id}" if answer.accountable == Accountable.MEMBER else answer.accountable
    )


def _answer_code(answer: StageReply, index: dict[str, int]) -> int:
    return index.setdefault(_answer_key(answer), len(index))


def _label(key: str, members: dict[int, str]) -> str:
    if key.startswith("m"):
        return members.get(int(key[1:]), "a former member")
    return dict(Accountable.choices)[key]


def _need_label(key: str, needs: dict[int, str]) -> str:
    """A need of the stage is keyed "n<id>"; words in the respondent's own are lower-cased."""
    if key.startswith("n") and key[1:].isdecimal():
        return needs.get(int(key[1:]), "a removed need")
    return key


def _stage_result(
    stage: Stage, answers: list[StageReply], members: dict[int, str], needs: dict[int, str]
) -> StageResult:
    index: dict[str, int] = {}
    codes = [_answer_code(a, index) for a in answers]
    keys = list(index)
    person_codes = [c if keys[c].startswith("m") else -1 for c in codes]
    top = Counter(codes).most_common(1)
    persons = Counter(c for c in person_codes if c >= 0).most_common(1)
    need_keys = [
        f"n{a.need_id}" if a.need_id else a.need_text.strip().lower()
        for a in answers
        if a.need_id or a.need_text.strip()
    ]
    need_index: dict[str, int] = {}
    need_codes = [need_index.setdefault(k, len(need_index)) for k in need_keys]
    top_need = Counter(need_keys).most_common(1)
    seed = SEED + stage.pk
    result = StageResult(
        stage=stage,
        owner=stage.owner if stage.owner_id else None,
        n=len(answers),
        owner_share=share([a.member_id == stage.owner_id for a in answers], seed=seed),
        top_answer=_label(keys[top[0][0]], members) if top else "",
        top_share=top_share(codes, len(keys), seed=seed),
        unsure_share=share([a.accountable != Accountable.MEMBER for a in answers], seed=seed),
        dont_know_share=share([a.accountable == Accountable.DONT_KNOW for a in answers], seed=seed),
        top_person=_label(keys[persons[0][0]], members) if persons else "",
        top_person_share=top_share(person_codes, len(keys), seed=seed),
        need=_need_label(top_need[0][0], needs) if top_need else "",
        need_share=top_share(need_codes, len(need_index), seed=seed),
        flags=[],
    )
    point = replace(
        stage_point(answers, members),
        dont_know_text=result.dont_know_share.short,
        top_person_text=result.top_person_share.short,
    )
    result.flags.extend(stage_flags(stage, point))
    return result


@dataclass(frozen=True)
class StagePoint:
    """The point estimates a stage's flags are read from (no intervals: the journey map
    shows only the flags, and the results page computes its intervals beside these)."""

    n: int
    dont_know: float  # share answering "don't know"
    top_person: str  # the most named person ("" when nobody is named)
    top_person_share: float  # their share of all answers
    # The two shares as the flags word them; the results page passes its own texts, whose
    # precision follows the bootstrap interval.
    dont_know_text: str = ""
    top_person_text: str = ""


def stage_point(answers: Sequence[StageReply], members: dict[int, str]) -> StagePoint:
    n = len(answers)
    if not n:
        return StagePoint(0, 0.0, "", 0.0)
    # Counter keeps first-seen order among ties: the same person as the results page names.
    named = Counter(_answer_key(a) for a in answers if a.accountable == Accountable.MEMBER)
    top = named.most_common(1)
    dont_know = sum(a.accountable == Accountable.DONT_KNOW for a in answers)
    top_person_share = top[0][1] / n if top else 0.0
    return StagePoint(
        n=n,
        dont_know=dont_know / n,
        top_person=_label(top[0][0], members) if top else "",
        top_person_share=top_person_share,
        dont_know_text=_short(dont_know / n),
        top_person_text=_short(top_person_share),
    )


def _short(share_: float) -> str:
    return Score(share_, share_, share_, 1).short


def stage_flags(stage: Stage, point: StagePoint) -> list[Flag]:
    """Orphaned from the registry; unknown and contested from the answers (a stage where
    most do not know is flagged unknown, not contested as well: the reason differs)."""
    flags = [f for f in (_orphaned(stage),) if f is not None]
    if not point.n:
        return flags
    if point.dont_know > UNKNOWN_ABOVE:
        flags.append(_flag("unknown", f"{point.dont_know_text} don't know who is"))
    elif point.top_person_share < CONTESTED_BELOW:
        named = point.top_person or "nobody"
        flags.append(
            _flag(
                "contested",
                f"the most named person ({named}) has {point.top_person_text}",
            )
        )
    return flags


def _overall_codes(found: list[Reply]) -> tuple[list[int], int]:
    """Each reply's overall accountable person as a code (-1: don't know), and how many."""
    index: dict[int, int] = {}
    codes = [index.setdefault(r.overall_id, len(index)) if r.overall_id else -1 for r in found]
    return codes, len(index)


def _overall(found: list[Reply], members: dict[int, str]) -> OverallResult:
    codes, named_count = _overall_codes(found)
    named = Counter(r.overall_id for r in found if r.overall_id)
    top = named.most_common(1)
    dont_know = share([r.overall_id is None for r in found], seed=SEED + 1)
    flags = []
    if (dont_know.value or 0.0) > UNKNOWN_ABOVE:
        flags.append(_flag("unknown", f"{dont_know.short} don't know who is"))
    return OverallResult(
        n=len(found),
        distinct=distinct_count(codes, named_count, seed=SEED + 1),
        everyone_same=bool(found) and len(named) == 1 and dont_know.value == 0.0,
        top_person=members.get(top[0][0], "") if top else "",
        top_share=top_share(codes, named_count, seed=SEED + 1),
        dont_know_share=dont_know,
        flags=flags,
    )


def _departments(
    found: list[Reply], primary: Persona | None, personas: dict[int, str]
) -> list[DepartmentResult]:
    by_dept: dict[str, list[Reply]] = {}
    for reply in found:
        by_dept.setdefault(_department(reply), []).append(reply)
    out = []
    for i, (name, rows) in enumerate(sorted(by_dept.items())):
        choices = Counter(_first_choice(r) for r in rows)
        best = max(choices.values())
        modal = sorted((c for c, k in choices.items() if k == best), key=lambda c: c or 0)
        shown = personas.get(modal[0], OTHER) if modal[0] else OTHER
        on_primary = primary is not None and primary.pk in modal
        out.append(
            DepartmentResult(
                name=name,
                n=len(rows),
                first_choice=shown,
                primary_share=share(
                    [primary is not None and _first_choice(r) == primary.pk for r in rows],
                    seed=SEED + 100 + i,
                ),
                misaligned=primary is not None and not on_primary,
            )
        )
    return out


def _heat(found: list[Reply], stages: list[Stage]) -> list[tuple[str, list[Score]]]:
    by_dept: dict[str, list[Reply]] = {}
    for reply in found:
        by_dept.setdefault(_department(reply), []).append(reply)
    rows = []
    for name, group in sorted(by_dept.items()):
        cells = []
        for stage in stages:
            answers = [a for r in group for a in r.stages.all() if a.stage_id == stage.pk]
            cells.append(share([a.member_id == stage.owner_id for a in answers], seed=SEED))
        rows.append((name, cells))
    return rows


def _people(
    found: list[Reply], stages: list[Stage], members: dict[int, str], personas: dict[int, str]
) -> list[PersonAnswers]:
    roles = dict(Role.choices)
    rows = []
    for reply in found:
        named = {a.stage_id: _answer_key(a) for a in reply.stages.all()}
        member_id = reply.recipient.membership_id
        rows.append(
            PersonAnswers(
                membership_id=member_id,
                name=members.get(member_id, "a former member"),
                department=_department(reply),
                role=roles.get(reply.role, reply.role),
                first_choice=personas.get(reply.persona_1_id or 0, OTHER),
                overall=_label(
                    f"m{reply.overall_id}" if reply.overall_id else Accountable.DONT_KNOW, members
                ),
                stages=[_label(named[s.pk], members) if s.pk in named else "-" for s in stages],
            )
        )
    return sorted(rows, key=lambda p: (p.name, p.membership_id))


def _alpha(found: list[Reply], personas: dict[int, str]) -> Score:
    """Agreement on the first persona choice: the registry's personas, then any chosen
    persona no longer in it, then "another customer (in words)"."""
    options = sorted(personas) + sorted(
        {r.persona_1_id for r in found if r.persona_1_id} - set(personas)
    )
    option_index = {pk: i for i, pk in enumerate(options)}
    codes = [option_index.get(r.persona_1_id, len(options)) if r.persona_1_id else len(options)
             for r in found]  # fmt: skip
    return first_choice_alpha(codes, len(options) + 1)


ROUND_INTERVALS = "beacon.analytics.alignment.round_intervals"


@contextmanager
def _stored_intervals(round_: Round) -> Iterator[None]:
    """Reuse the round's stored intervals, computing only those not stored yet; store
    again when any was computed or is no longer used (an open round's moved figures)."""
    org_id, params = round_.organization_id, {"round": round_.pk}
    stored = read_stored(org_id, ROUND_INTERVALS, params) or {}
    known: dict[str, list[float | None]] = dict(stored)
    used: set[str] = set()
    known_token, used_token = _known.set(known), _used.set(used)
    try:
        yield
    finally:
        _known.reset(known_token)
        _used.reset(used_token)
    if set(stored) != used:
        write_stored(org_id, ROUND_INTERVALS, params, {k: known[k] for k in sorted(used)})


def round_intervals(org_id: int, params: Mapping[str, Any]) -> dict[str, list[float | None]]:
    """Every interval of a round's results, computed afresh (the stored data's kind)."""
    round_ = Round.objects.for_org(org_id).get(pk=params["round"])
    known: dict[str, list[float | None]] = {}
    known_token, used_token = _known.set(known), _used.set(set())
    try:
        _computed_results(round_)
    finally:
        _known.reset(known_token)
        _used.reset(used_token)
    return known


def round_results(round_: Round) -> Results:
    """A round's figures, its intervals read from store where their answers are unchanged."""
    with _stored_intervals(round_):
        return _computed_results(round_)


def _computed_results(round_: Round) -> Results:
    org_id = round_.organization_id
    stages = round_stages(round_)
    found = replies(round_)
    personas = _persona_names(org_id)
    members = _member_names(org_id)
    needs = {n.pk: n.description for s in stages for n in s.needs.all()}
    stage_answers: dict[int, list[StageReply]] = {s.pk: [] for s in stages}
    for reply in found:
        for answer in reply.stages.all():
            stage_answers.setdefault(answer.stage_id, []).append(answer)
    primary = round_.primary_persona
    first = Counter(personas.get(r.persona_1_id or 0, OTHER) for r in found)
    return Results(
        round=round_,
        n=len(found),
        primary=primary,
        alpha=_alpha(found, personas),
        first_choices=first.most_common(),
        departments=_departments(found, primary, personas),
        stages=[_stage_result(s, stage_answers[s.pk], members, needs) for s in stages],
        overall=_overall(found, members),
        heat=_heat(found, stages),
        people=_people(found, stages, members, personas) if round_.show_names else [],
    )


def _named_owner(reply: Reply, owners: dict[int, int]) -> float:
    """The share of a respondent's stage answers that name the stage's recorded owner."""
    answers = list(reply.stages.all())
    if not answers:
        return 0.0
    return sum(a.member_id == owners.get(a.stage_id) for a in answers) / len(answers)


@dataclass(frozen=True)
class TrendPoint:
    round: Round
    n: int
    alpha: Score
    owner_share: Score
    distinct: Score


def trend(org: Organization | int) -> list[TrendPoint]:
    """Each answered or closed round, oldest first: the figures that should move.

    Only these three are computed (the same functions and seeds as `round_results`, so
    the same intervals), not a round's every figure: each interval is a bootstrap."""
    org_id = org if isinstance(org, int) else org.pk
    personas = _persona_names(org_id)
    points = []
    for round_ in scored_rounds(org):
        found = replies(round_)
        owners = dict(
            Stage.objects.for_org(round_.organization_id)
            .filter(journey_id=round_.journey_id)
            .values_list("pk", "owner_id")
        )
        per_person = [_named_owner(r, owners) for r in found]
        codes, named_count = _overall_codes(found)
        points.append(
            TrendPoint(
                round=round_,
                n=len(found),
                alpha=_alpha(found, personas),
                owner_share=share(per_person),
                distinct=distinct_count(codes, named_count, seed=SEED + 1),
            )
        )
    return points


def latest_round(org: Organization | int) -> Round | None:
    found = scored_rounds(org)
    return found[-1] if found else None


def flags_by_stage(org: Organization | int) -> dict[int, list[Flag]]:
    """Flags per stage id, for the journey map: orphaned from today's owners for every
    stage, contested and unknown from the latest answered or closed round.

    Read from point estimates only (`stage_point`), the same ones `round_results` flags
    from: the map needs no bootstrap intervals, which are most of a round's cost."""
    org_id = org if isinstance(org, int) else org.pk
    flags: dict[int, list[Flag]] = {}
    for stage in Stage.objects.for_org(org_id).select_related("owner"):
        orphaned = _orphaned(stage)
        flags[stage.pk] = [orphaned] if orphaned else []
    latest = latest_round(org_id)
    if latest is not None:
        members = _member_names(org_id)
        answers: dict[int, list[StageReply]] = {}
        for reply in replies(latest):
            for answer in reply.stages.all():
                answers.setdefault(answer.stage_id, []).append(answer)
        for stage in round_stages(latest):
            point = stage_point(answers.get(stage.pk, []), members)
            extra = [f for f in stage_flags(stage, point) if f.kind != "orphaned"]
            flags.setdefault(stage.pk, []).extend(extra)
    return flags
