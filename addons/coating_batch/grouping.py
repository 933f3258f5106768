"""Recommended batches: group the jobs waiting for coating by compatibility
key and rank the groups by urgency.

Pure Python, no Tryton import.

Colour changes saved: coating jobs one by one needs one powder change (booth
and gun cleaning, purge) per job; a batch needs one per group. Over the
recommendations, saved = jobs − groups; per group it is jobs − 1.

Urgency order (most urgent first):

1. earliest promised date of the group's jobs (a group without any promised
   date comes after every dated group);
2. highest priority of its jobs (urgent > high > normal > low);
3. more colour changes saved (bigger groups first);
4. the key itself, so that the order is fully deterministic.
"""
import datetime
from typing import NamedTuple, Optional, Sequence, Tuple

from .key import CompatibilityKey

PRIORITY_RANK = {'urgent': 0, 'high': 1, 'normal': 2, 'low': 3}


class Job(NamedTuple):
    "A job waiting for coating, as grouping needs it."
    id: int
    key: Optional[CompatibilityKey]  # None: not ready for batching
    promised_date: Optional[datetime.date] = None
    parts: float = 0  # number of parts (sum of the quantities)
    surface: float = 0.  # m², all parts and quantities
    powder: float = 0.  # estimated powder, kg
    priority: str = 'normal'


class Recommendation(NamedTuple):
    "A recommended batch: jobs sharing one key."
    key: CompatibilityKey
    job_ids: Tuple[int, ...]  # most urgent first
    jobs: int
    parts: float
    earliest_promised_date: Optional[datetime.date]
    surface: float  # m²
    powder: float  # kg
    priority: str  # the highest of its jobs
    colour_changes_saved: int  # jobs - 1

    def sort_key(self):
        "The urgency order of the module docstring."
        return _urgency(self.earliest_promised_date, self.priority,
            self.colour_changes_saved, self.key)


_FAR = datetime.date.max


def _urgency(promised, priority, saved, key):
    return (promised or _FAR, PRIORITY_RANK.get(priority, 2), -saved,
        tuple('' if v is None else v for v in key))


def _job_urgency(job):
    return (job.promised_date or _FAR, PRIORITY_RANK.get(job.priority, 2),
        job.id)


def recommend(jobs: Sequence[Job]):
    """Group `jobs` by key and return (recommendations, unbatchable).

    recommendations: list of Recommendation, most urgent first; every job
    with a key is in exactly one. unbatchable: the ids of the jobs without
    a key (sorted), which the user must complete first.
    Runs in O(n log n) for n jobs.
    """
    groups = {}
    unbatchable = []
    for job in jobs:
        if job.key is None:
            unbatchable.append(job.id)
        else:
            groups.setdefault(job.key, []).append(job)
    result = []
    for key, members in groups.items():
        members.sort(key=_job_urgency)
        dates = [j.promised_date for j in members if j.promised_date]
        priority = min((j.priority for j in members),
            key=lambda p: PRIORITY_RANK.get(p, 2))
        result.append(Recommendation(
                key=key,
                job_ids=tuple(j.id for j in members),
                jobs=len(members),
                parts=sum(j.parts or 0 for j in members),
                earliest_promised_date=min(dates) if dates else None,
                surface=sum(j.surface or 0. for j in members),
                powder=sum(j.powder or 0. for j in members),
                priority=priority,
                colour_changes_saved=len(members) - 1))
    result.sort(key=Recommendation.sort_key)
    return result, sorted(unbatchable)


def colour_changes_saved(recommendations):
    """Return the powder changes saved by coating the recommendations as
    batches instead of job by job: jobs − groups."""
    return sum(r.jobs for r in recommendations) - len(recommendations)


class Batch(NamedTuple):
    "A batch to cure, as cure_order needs it."
    id: int
    promised_date: Optional[datetime.date]
    priority: str
    cure_temperature: float  # °C
    cure_minutes: float
    loads: int  # oven loads of its load plan (1 if unknown)


def cure_order(batches: Sequence[Batch]):
    """Return the batch ids in the suggested cure order.

    Urgency first: batches are taken by promised day (the earliest promised
    date of their jobs; undated last), then priority. Within one promised
    day and priority, batches of the same cure temperature follow each
    other, hottest first: the oven is heated once and then only cools
    between cycles, which is quicker than reheating (oven use). Among
    equal temperatures, the longer oven use (loads × minutes) goes first
    so that short cycles fill the end of the day.
    """
    return [b.id for b in sorted(batches, key=lambda b: (
                b.promised_date or _FAR, PRIORITY_RANK.get(b.priority, 2),
                -(b.cure_temperature or 0),
                -((b.loads or 1) * (b.cure_minutes or 0)), b.id))]


def split_powder(total, entered, surfaces, digits=3):
    """Split the powder used by a batch across its jobs, in kg.

    total: kg used by the batch, or None (then every job must have its own
    entry and the total is their sum); entered: {job id: kg or None}, the
    figures entered on jobs, kept as they are; surfaces: {job id: m²}.
    The rest (total − entered) goes to the other jobs in proportion to
    their surface (equally if they have none), rounded to `digits`
    decimals, the last one taking the rounding so the sum is the total.
    Returns ({job id: kg}, total). Raises ValueError('missing') when total
    is None and a job has no entry, ValueError('exceeded') when the
    entries exceed the total.
    """
    kept = {j: v for j, v in entered.items() if v is not None}
    others = [j for j in entered if entered[j] is None]
    if total is None:
        if others:
            raise ValueError('missing')
        return dict(kept), round(sum(kept.values()), digits)
    rest = total - sum(kept.values())
    if rest < -10 ** -digits / 2:
        raise ValueError('exceeded')
    result = dict(kept)
    if others:
        weights = [max(surfaces.get(j) or 0, 0) for j in others]
        if sum(weights) <= 0:
            weights = [1] * len(others)
        share = sum(weights)
        given = 0
        for job, weight in zip(others[:-1], weights):
            result[job] = round(rest * weight / share, digits)
            given += result[job]
        result[others[-1]] = round(max(rest - given, 0), digits)
    return result, total
