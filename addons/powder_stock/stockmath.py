"""Powder stock formulas, in pure Python (no Tryton import) so that they can
be unit-tested, property-tested and benchmarked alone.

Units used everywhere:

- powder masses in kilograms (kg): gross (box on the scale), tare (empty
  box), net (powder in the box), theoretical (what the stock moves say);
- gaps in kg (measured − theoretical: positive when the box holds more than
  the books say) and in percent (%);
- reliability scores from 0 (the figures of the powder are worthless) to
  100 (they always match the scale);
- durations in days, consumption rates in kg/day, values in the shop's
  currency (floats here: they only rank boxes).

The five parts:

- `check_weighing`: net weight of a weighing, or the reason it is refused;
- `relative_gap`, `reliability`: the reliability score of a powder;
- `daily_list`: the short list of boxes to weigh today;
- `plan_count`: the boxes of a partial inventory (counting session);
- `reorder`: date of running out and quantity to order;
- `allocate`, `give_back`: which boxes a job's powder comes out of.
"""
import math
import random
from dataclasses import dataclass

#: Below this many kg a gap is judged against 1 kg (see relative_gap): 100 g
#: off a nearly empty box is a 10 % error, not a 100 % one.
MIN_BASE_KG = 1.0
#: Prior of the reliability score: a powder never weighed scores 50, and
#: this prior weighs as much as one fresh weighing.
PRIOR_SCORE, PRIOR_WEIGHT = 50.0, 1.0
#: Half-life of a weighing in the score, in weighings: the 5th weighing
#: before the latest counts half as much as the latest.
HALF_LIFE = 5
#: Weighings of a powder read to compute its score (older ones weigh less
#: than 0.1 % of the latest).
SCORE_HISTORY = 50
#: Weights of the scored part of the daily list (they sum to 1).
USE_WEIGHT, VALUE_WEIGHT, RELIABILITY_WEIGHT = 0.4, 0.3, 0.3
#: Digits kept on kg figures: 10 g, the rounding of Tryton's kilogram unit
#: (product module), which stock moves must respect.
KG_DIGITS = 2


class WeighingError(ValueError):
    """A weighing cannot be recorded. `code` names the check: 'gross' (no
    positive gross weight), 'negative' (gross below the tare beyond the
    scale tolerance), 'above' (more powder than the box's format holds
    beyond the tolerance); `net` is the computed net weight in kg (None for
    'gross')."""

    def __init__(self, code, net=None):
        self.code = code
        self.net = net
        super().__init__('%s: %r' % (code, net))


def check_weighing(gross, tare, capacity, tolerance=0.05):
    """Return the net powder weight of a box, in kg, rounded to 10 g:

        net = gross − tare

    gross: what the scale shows with the box on it (kg); tare: the empty
    box (kg); capacity: the net weight of the box's format when full (kg,
    None when unknown); tolerance: the scale's tolerance (kg, ≥ 0).

    A net weight between −tolerance and 0 is the tare's own spread (a
    carton a little lighter than the catalogue says): it counts as an empty
    box, 0 kg. Raises WeighingError:

    - 'gross' when gross is missing, not a number or ≤ 0 (the scale was not
      read);
    - 'negative' when net < −tolerance: the box weighs less than its empty
      carton, so the box or its tare is wrong;
    - 'above' when net > capacity + tolerance: no box of this format can
      hold that much, so the box was weighed with something else on the
      scale, or it is another box.
    """
    tolerance = max(tolerance or 0, 0)
    if (gross is None or isinstance(gross, bool)
            or not isinstance(gross, (int, float)) or math.isnan(gross)
            or math.isinf(gross) or gross <= 0):
        raise WeighingError('gross')
    net = round(gross - (tare or 0), KG_DIGITS)
    if net < -tolerance:
        raise WeighingError('negative', net)
    if capacity is not None and net > capacity + tolerance:
        raise WeighingError('above', net)
    return max(net, 0.0)


def gap(measured, theoretical):
    """Return (gap in kg, gap in % of the theoretical figure):

        gap kg = measured − theoretical
        gap %  = gap kg ÷ theoretical × 100 (None when theoretical ≤ 0)

    A positive gap: the box holds more than the books say (consumption
    over-estimated); negative: less (under-estimated, spills, losses)."""
    kg = round(measured - theoretical, KG_DIGITS)
    pct = round(kg / theoretical * 100, 2) if theoretical > 0 else None
    return kg, pct


def relative_gap(measured, theoretical):
    """Return the error of one weighing as a fraction in [0, 1]:

        e = |measured − theoretical| ÷ max(measured, theoretical, 1 kg)

    The base is the larger figure, so the error never exceeds 1 (100 %) and
    does not explode when the books say a box is nearly empty; below 1 kg
    the gap is judged against 1 kg (MIN_BASE_KG). A negative theoretical
    figure (books below zero) still yields e ≤ 1."""
    base = max(measured, theoretical, MIN_BASE_KG)
    return min(abs(measured - theoretical) / base, 1.0)


def weighing_quality(error, tolerance):
    """Return the quality of one weighing in [0, 1] from its relative error
    e (see relative_gap) and the shop's gap tolerance T (%):

        q = 1 ÷ (1 + (e ÷ (T ÷ 100))²)

    q = 1 for a perfect figure, 0.5 for a gap exactly at the tolerance,
    0.2 at twice the tolerance, 0.1 at three times; never 0."""
    tolerance = max(tolerance or 0, 0.01) / 100
    return 1 / (1 + (error / tolerance) ** 2)


def reliability(errors, tolerance=5.0):
    """Return the reliability score of a powder, 0–100, rounded to 0.1.

    errors: the relative errors (see relative_gap) of its weighings, the
    latest first; tolerance: the shop's gap tolerance T in %. The score is
    the weighted mean of the weighings' qualities q_i (weighing_quality)
    and of a prior of 50 points weighing as one weighing:

        score = 100 × (1 × 0.5 + Σ w_i × q_i) ÷ (1 + Σ w_i)
        w_i = 0.5 ^ (i ÷ 5)      (i = 0 for the latest weighing)

    So a powder never weighed scores 50; each weighing with a gap below the
    tolerance raises the score (q > 0.5), each gap above it lowers it, the
    more so the larger the gap; frequent large gaps keep it low because
    each counts; and old weighings fade (half weight after 5 more recent
    ones), so a powder whose figures became right again recovers. Only the
    SCORE_HISTORY latest weighings are read.
    """
    total_weight = PRIOR_WEIGHT
    total = PRIOR_WEIGHT * PRIOR_SCORE / 100
    for index, error in enumerate(list(errors)[:SCORE_HISTORY]):
        weight = 0.5 ** (index / HALF_LIFE)
        total_weight += weight
        total += weight * weighing_quality(error, tolerance)
    return round(100 * total / total_weight, 1)


# -- daily list ---------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A box that may be put on the daily list.

    id: the box id (int); opened: whether the box has been opened (a
    sealed box has no use and holds its supplier's figure); use: kg of
    powder taken from it since its last weighing (or its receipt);
    value: theoretical kg × cost per kg, the money whose figure is
    uncertain (0 for a sealed box); reliability: 0–100, its powder's score;
    age: whole days since its last weighing (or its receipt);
    theoretical: kg the books say it holds (below 0 is impossible).
    """
    id: int
    opened: bool = True
    use: float = 0.0
    value: float = 0.0
    reliability: float = PRIOR_SCORE
    age: int = 0
    theoretical: float = 0.0


def list_seed(company_id, date):
    """Return the seed of the random part of a shop's daily list:
    'company id:ISO date'. random.Random seeds a str through SHA-512, so the
    list is the same on every machine and run, whatever PYTHONHASHSEED."""
    return '%s:%s' % (company_id, date.isoformat())


def random_slots(size, share):
    """Return how many of `size` places of the list are drawn at random:
    round(size × share ÷ 100), half up, between 0 and size (share in %)."""
    share = min(max(share or 0, 0), 100)
    return min(size, int(math.floor(size * share / 100 + 0.5)))


def priority(candidate, max_use, max_value):
    """Return (score, main reason) of an opened box in the scored part:

        score = 0.4 × use ÷ max use + 0.3 × value ÷ max value
            + 0.3 × (100 − reliability) ÷ 100

    max use and max value are the largest among today's candidates (a
    share of 0 when they are 0). The main reason is the term that weighs
    most: 'use', 'value' or 'reliability'. Sealed boxes score 0 (reason
    None): nothing has been taken from them."""
    if not candidate.opened:
        return 0.0, None
    terms = {
        'use': USE_WEIGHT * (max(candidate.use, 0) / max_use
            if max_use > 0 else 0),
        'value': VALUE_WEIGHT * (max(candidate.value, 0) / max_value
            if max_value > 0 else 0),
        'reliability': RELIABILITY_WEIGHT * (
            100 - min(max(candidate.reliability, 0), 100)) / 100,
        }
    reason = max(['use', 'value', 'reliability'], key=lambda k: terms[k])
    return sum(terms.values()), reason


def daily_list(candidates, size=3, share=33, max_age=90, seed=None):
    """Return the boxes to weigh today: a list of (box id, reason, score)
    of at most `size` boxes, each box once.

    candidates: Candidate of every box in stock (not emptied); size: the
    shop's setting (3 by default); share: % of the list drawn at random;
    max_age: days after which a box not weighed is overdue; seed: see
    list_seed (same candidates and seed, same list).

    1. The list holds min(size, number of boxes) places, of which
       R = random_slots(size, share) are the random part, the others the
       scored part.
    2. Scored part, the highest first: boxes whose books say they hold less
       than 0 kg (reason 'impossible': certainly wrong), then opened boxes
       by `priority` (use since the last weighing, value at risk, poor
       reliability); ties go to the lower id. Boxes scoring 0 are left to
       the random part.
    3. Random part: overdue boxes (age ≥ max_age) first, the oldest first
       (reason 'overdue'); then a draw among the others, without
       replacement, each box weighing its age in days + 1 (reason
       'random': a box not weighed for long is more likely to come up). The
       draw reads Random(seed) once per remaining box in id order
       (Efraimidis–Spirakis keys u^(1/w)), so it is reproducible.
    4. When the random part has no place (share 0 or a list of 1), the last
       place of the scored part goes to the oldest overdue box, if any.

    Hence every box gets checked over time: each day at least one place
    goes to the oldest overdue box, so once chosen boxes are weighed, a box
    of N is chosen at the latest max_age + N − 1 days after its last
    weighing (property-tested).
    """
    candidates = sorted(candidates, key=lambda c: c.id)
    size = min(max(size or 0, 0), len(candidates))
    if not size:
        return []
    n_random = random_slots(size, share)
    n_scored = size - n_random
    overdue = sorted((c for c in candidates if c.age >= max_age),
        key=lambda c: (-c.age, c.id))
    if not n_random and overdue:
        n_scored -= 1
    chosen, taken = [], set()

    def take(candidate, reason, score):
        chosen.append((candidate.id, reason, round(score, 4)))
        taken.add(candidate.id)

    max_use = max((c.use for c in candidates if c.opened), default=0)
    max_value = max((c.value for c in candidates if c.opened), default=0)
    ranked = []
    for candidate in candidates:
        if candidate.theoretical < 0:
            ranked.append((2.0, 'impossible', candidate))
            continue
        score, reason = priority(candidate, max_use, max_value)
        if score > 0:
            ranked.append((score, reason, candidate))
    ranked.sort(key=lambda r: (-r[0], r[2].id))
    for score, reason, candidate in ranked[:n_scored]:
        take(candidate, reason, score)

    places = size - len(chosen)
    for candidate in overdue:
        if places <= 0:
            break
        if candidate.id not in taken:
            take(candidate, 'overdue', 0)
            places -= 1
    if places > 0:
        rng = random.Random(seed)
        keys = []
        for candidate in candidates:
            u = rng.random()
            if candidate.id in taken:
                continue
            weight = max(candidate.age, 0) + 1
            keys.append((u ** (1 / weight), candidate))
        keys.sort(key=lambda k: (-k[0], k[1].id))
        for _, candidate in keys[:places]:
            take(candidate, 'random', 0)
    return chosen


# -- partial inventory -------------------------------------------------

def plan_count(powders, size):
    """Return the box ids of a counting session, at most `size`.

    powders: list of (powder id, kg used over the window, reliability
    0–100, [box ids in stock]). Powders are ranked by

        0.5 × use ÷ max use + 0.5 × (100 − reliability) ÷ 100

    (the most used and the least reliable first; ties to the lower id) and
    taken whole, all their boxes together, so that the session gives each
    counted powder its true stock; a powder with more boxes than places
    left is skipped for the next, except the first one which is counted
    partly rather than not at all."""
    powders = [p for p in powders if p[3]]
    max_use = max((max(p[1], 0) for p in powders), default=0)

    def rank(powder):
        use = max(powder[1], 0) / max_use if max_use > 0 else 0
        return 0.5 * use + 0.5 * (100 - min(max(powder[2], 0), 100)) / 100
    powders.sort(key=lambda p: (-rank(p), p[0]))
    chosen = []
    for _, _, _, boxes in powders:
        places = size - len(chosen)
        if places <= 0:
            break
        if len(boxes) <= places:
            chosen.extend(sorted(boxes))
        elif not chosen:
            chosen.extend(sorted(boxes)[:places])
    return chosen


# -- reorder -----------------------------------------------------------

@dataclass(frozen=True)
class Reorder:
    """A reorder suggestion of one powder (see `reorder`).

    rate: kg/day; days_left: days until the stock is 0 (None: no use);
    order: whether to order now; quantity: kg to order (whole boxes when
    box_weight is known); boxes: number of boxes (None without format);
    projected: kg expected at the end of the lead time."""
    rate: float
    days_left: float
    projected: float
    order: bool
    quantity: float
    boxes: int


def consumption_rate(used, window, history=None):
    """Return the consumption rate in kg/day:

        rate = kg used over the window ÷ min(window, history)

    window: days of the window (≥ 1); history: days since the powder's
    first receipt, so that a powder stocked 10 days ago is not averaged
    over a 60-day window (None: the whole window)."""
    days = max(min(window, history) if history is not None else window, 1)
    return max(used, 0) / days


def reorder(stock, rate, lead_time, safety, cover, on_order=0,
        box_weight=None):
    """Return the Reorder of a powder.

    stock: theoretical kg in stock (may be < 0); rate: kg/day (see
    consumption_rate); lead_time: the supplier's days from order to
    delivery; safety: safety stock in kg; cover: days of consumption an
    order should cover after delivery; on_order: kg already ordered, not
    received; box_weight: kg of the box format ordered.

        days left  = stock ÷ rate                      (None if rate = 0)
        projected  = stock + on order − rate × lead time
        order now  when projected < safety   (the stock, less the safety
                   stock, runs out within the lead time)
        quantity   = rate × (lead time + cover) + safety − (stock + on order)
                     rounded up to whole boxes of box_weight (to 10 g
                     without a box weight)

    The classic order point / order-up-to level policy (the order point is
    the demand over the lead time plus the safety stock)."""
    rate = max(rate, 0)
    days_left = stock / rate if rate > 0 else None
    if days_left is not None:
        days_left = max(days_left, 0)
    projected = stock + on_order - rate * lead_time
    order = projected < safety and (rate > 0 or stock + on_order < safety)
    quantity, boxes = 0.0, None
    if order:
        quantity = max(rate * (lead_time + cover) + safety
            - (stock + on_order), 0)
        if box_weight and box_weight > 0:
            boxes = max(int(math.ceil(round(quantity / box_weight, 6))), 1)
            quantity = boxes * box_weight
        # up to KG_DIGITS, never below the need
        quantity = math.ceil(round(quantity * 10 ** KG_DIGITS, 6)) / (
            10 ** KG_DIGITS)
    return Reorder(rate=rate, days_left=days_left,
        projected=round(projected, KG_DIGITS), order=order,
        quantity=quantity, boxes=boxes)


# -- consumption -------------------------------------------------------

def _floor_kg(value):
    "Return `value` kg rounded down to KG_DIGITS (never more than held)."
    return math.floor(round(value * 10 ** KG_DIGITS, 6)) / 10 ** KG_DIGITS


def allocate(quantity, boxes):
    """Split `quantity` kg of powder over the opened boxes it comes from.

    boxes: list of (box id, theoretical kg), in the order they are used
    (the first opened first). Each box gives what it holds (never below 0),
    the last one gives the rest even beyond what it holds: the books may be
    wrong, and weighing it will tell. Returns [(box id, kg)] of the boxes
    that give something; quantity ≤ 0 or no box gives []."""
    if quantity <= 0 or not boxes:
        return []
    result, remaining = [], round(quantity, KG_DIGITS)
    for index, (box, available) in enumerate(boxes):
        if remaining <= 0:
            break
        if index == len(boxes) - 1:
            take = remaining
        else:
            take = min(remaining, _floor_kg(max(available, 0)))
        if take > 0:
            result.append((box, take))
            remaining = round(remaining - take, KG_DIGITS)
    return result


def give_back(quantity, taken):
    """Split `quantity` kg returned by a job (its figure went down) over the
    boxes it was taken from.

    taken: list of (box id, kg taken) in the order they were taken; the
    latest box gets back first, each at most what was taken from it.
    Returns [(box id, kg)]; what cannot be placed is not returned."""
    result, remaining = [], round(quantity, KG_DIGITS)
    for box, kg in reversed(taken):
        if remaining <= 0:
            break
        back = round(min(remaining, kg), KG_DIGITS)
        if back > 0:
            result.append((box, back))
            remaining = round(remaining - back, KG_DIGITS)
    return result
