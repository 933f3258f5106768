"""Oven load planning: assign a batch's parts to successive oven loads so
that no two parts touch.

Pure Python, no Tryton import. All lengths in mm, weights in kg.

Geometry. The oven's inner space is a box: x along its length (the
direction of the bars), y across its width (depth), z up its height.
Parts are boxes of length × width × height; they may be turned a quarter
about the vertical axis (length and width swapped), never tipped over.

- 'bars' ovens: a load hangs on at most `supports` bars. A bar runs along
  the whole inner length; bars are hung at any depth and height. Parts hang
  one after another along a bar with `gap` between them. Bars hung at the
  same height form a level whose height is its tallest part; levels are
  stacked with `gap` between them, bars of a level side by side in depth
  with `gap` between their widest parts.
- 'carts' ovens: a load is `supports` carts side by side along the length
  (each (L − (n − 1)·gap) / n long, `gap` apart); each cart is packed like
  the bars above (levels of rows), without a limit on the number of rows.

Heuristic: first fit decreasing. Every unit of every part (quantities are
expanded) is taken tallest first, then longest; it goes into the first load,
cart, level and row where it fits, in either orientation; else a new row,
a new level, the next cart, and last a new load. It is run three times,
trying first each part as given, its shorter side along the bar, or its
longer side, and the plan with the fewest loads is kept. A part that does not fit
an empty oven (dimension or weight) raises PartTooLarge naming the part.

Lower bound on the number of loads (`lower_bound`), the largest of:

- weight: ceil(Σ weight / max weight);
- volume: give every part a halo of gap/2 on each side. Parts at least
  `gap` apart have disjoint halos, all inside the oven grown by gap/2 on
  each side, so Σ (l+g)(w+g)(h+g) ≤ loads × (L+g)(W+g)(H+g);
- hanging surface ('bars' ovens): every part hangs on one bar and takes
  (its shorter side that fits the oven's depth + g) along it; a load offers `supports` bars of (L + g)
  (the last part needs no gap after it), so
  Σ (min(l, w) + g) ≤ loads × supports × (L + g). (Carts hold any
  number of rows, so only the weight and volume bounds apply to them.)
The ratio loads / lower bound is what the benchmark reports (1.0 is
optimal; the bound is not always reachable).
"""
import math
from typing import List, NamedTuple, Optional, Sequence


class PlanError(ValueError):
    "A load plan is impossible."


class PartTooLarge(PlanError):
    "A part fits no empty oven load."

    def __init__(self, part, reason):
        self.part = part
        self.reason = reason
        super().__init__("Part %s does not fit in the oven: %s" % (
                part.label or part.id, reason))


class Oven(NamedTuple):
    "An oven's inner space and limits."
    length: float  # mm, inner, along the bars
    width: float  # mm, inner depth
    height: float  # mm, inner
    kind: str = 'bars'  # 'bars' or 'carts'
    supports: int = 1  # bars per load, or carts per load
    gap: float = 0.  # mm, minimum distance between two parts
    max_weight: Optional[float] = None  # kg per load, None: no limit


class Part(NamedTuple):
    "One part of a batch; `quantity` identical units."
    id: object
    length: float  # mm
    width: float  # mm
    height: float  # mm
    weight: float = 0.  # kg per unit
    quantity: int = 1
    label: str = ''


class Placement(NamedTuple):
    "Where one unit of a part goes: its box in the oven of load `load`."
    load: int  # 1-based
    part: object  # Part.id
    unit: int  # 1-based, among the part's quantity
    support: int  # 1-based bar number in the load, or cart number
    x: float  # mm, from the oven's inner left wall (length axis)
    y: float  # mm, from the door (depth axis)
    z: float  # mm, from the floor
    length: float  # along x, after turning
    width: float  # along y
    height: float
    weight: float
    turned: bool  # length and width swapped


class _Row:
    __slots__ = ('y', 'depth', 'used', 'bar')

    def __init__(self, y, depth, bar):
        self.y, self.depth, self.used, self.bar = y, depth, 0., bar


class _Level:
    __slots__ = ('z', 'height', 'rows', 'depth_used')

    def __init__(self, z, height):
        self.z, self.height, self.rows, self.depth_used = z, height, [], 0.


class _Column:
    __slots__ = ('x', 'length', 'levels', 'height_used', 'number')

    def __init__(self, x, length, number):
        self.x, self.length, self.levels = x, length, []
        self.height_used, self.number = 0., number


class _Load:
    __slots__ = ('number', 'columns', 'weight', 'bars', 'placements')

    def __init__(self, number, oven):
        self.number, self.weight, self.bars = number, 0., 0
        self.placements = []
        if oven.kind == 'carts':
            n = max(oven.supports, 1)
            length = (oven.length - (n - 1) * oven.gap) / n
            self.columns = [_Column(i * (length + oven.gap), length, i + 1)
                for i in range(n)]
        else:
            self.columns = [_Column(0., oven.length, 1)]


def cart_length(oven):
    "Return the length of one cart slot of a 'carts' oven (mm)."
    n = max(oven.supports, 1)
    return (oven.length - (n - 1) * oven.gap) / n


def check_oven(oven):
    "Raise PlanError if the oven's figures are unusable."
    if min(oven.length, oven.width, oven.height) <= 0:
        raise PlanError("The oven's inner dimensions must be positive.")
    if oven.supports < 1:
        raise PlanError("The oven needs at least one bar or cart per load.")
    if oven.gap < 0:
        raise PlanError("The gap between parts cannot be negative.")
    if oven.kind == 'carts' and cart_length(oven) <= 0:
        raise PlanError("The carts do not fit the oven's length.")


def _orientations(part, prefer='given'):
    """Yield (along x, along y, turned) of `part`: as given first, or its
    shorter side along x first ('narrow'), or its longer one ('long')."""
    options = [(part.length, part.width, False)]
    if part.width != part.length:
        options.append((part.width, part.length, True))
        if (prefer == 'narrow' and part.width < part.length
                or prefer == 'long' and part.width > part.length):
            options.reverse()
    return options


def hanging_orientation(dimensions, oven):
    """Return (length, width, height) in mm to plan a part whose three
    dimensions are `dimensions` (any order): the way flat and long parts
    are hung, longest side along the bar, thinnest across the depth, the
    middle one vertical; if that does not fit an empty oven, the first
    other arrangement that does (long side vertical, lying flat...); if
    none fits, the hanging one (and plan() names the part)."""
    a, b, c = sorted((d or 0 for d in dimensions), reverse=True)
    options = [(a, c, b), (b, c, a), (a, b, c), (c, b, a), (b, a, c),
        (c, a, b)]
    for l, w, h in options:
        if _fits_empty(Part(None, l, w, h), oven) is None:
            return l, w, h
    return options[0]


def _fits_empty(part, oven):
    "Return None if one unit fits an empty load, else the reason (str)."
    if oven.max_weight is not None and part.weight > oven.max_weight:
        return "%g kg per part, the oven takes %g kg per load" % (
            part.weight, oven.max_weight)
    length = cart_length(oven) if oven.kind == 'carts' else oven.length
    if part.height > oven.height:
        return "%g mm high, the oven is %g mm high" % (
            part.height, oven.height)
    for l, w, _ in _orientations(part):
        if l <= length and w <= oven.width:
            return None
    return "%g × %g mm, the oven (or cart) offers %g × %g mm" % (
        part.length, part.width, length, oven.width)


def _try_place(load, part, oven, unit, prefer='given'):
    "Place one unit of `part` in `load` if it fits; return True if placed."
    gap = oven.gap
    if (oven.max_weight is not None
            and load.weight + part.weight > oven.max_weight + 1e-9):
        return False
    max_bars = oven.supports if oven.kind == 'bars' else None
    for column in load.columns:
        for l, w, turned in _orientations(part, prefer):
            if l > column.length or w > oven.width or (
                    part.height > oven.height):
                continue
            # 1. an existing row of an existing level
            for level in column.levels:
                if part.height > level.height:
                    continue
                for row in level.rows:
                    if w > row.depth:
                        continue
                    start = row.used + (gap if row.used else 0.)
                    if start + l <= column.length + 1e-9:
                        _put(load, column, level, row, part, unit,
                            start, l, w, turned)
                        return True
            # 2. a new row in an existing level
            if max_bars is None or load.bars < max_bars:
                for level in column.levels:
                    if part.height > level.height:
                        continue
                    y = level.depth_used + (gap if level.rows else 0.)
                    if y + w <= oven.width + 1e-9:
                        row = _new_row(load, level, y, w)
                        _put(load, column, level, row, part, unit,
                            0., l, w, turned)
                        return True
                # 3. a new level
                z = column.height_used + (gap if column.levels else 0.)
                if z + part.height <= oven.height + 1e-9:
                    level = _Level(z, part.height)
                    column.levels.append(level)
                    column.height_used = z + part.height
                    row = _new_row(load, level, 0., w)
                    _put(load, column, level, row, part, unit,
                        0., l, w, turned)
                    return True
    return False


def _new_row(load, level, y, depth):
    load.bars += 1
    row = _Row(y, depth, load.bars)
    level.rows.append(row)
    level.depth_used = y + depth
    return row


def _put(load, column, level, row, part, unit, start, l, w, turned):
    row.used = start + l
    load.weight += part.weight
    support = row.bar if len(load.columns) == 1 else column.number
    load.placements.append(Placement(
            load=load.number, part=part.id, unit=unit, support=support,
            x=column.x + start, y=row.y, z=level.z,
            length=l, width=w, height=part.height, weight=part.weight,
            turned=turned))


def plan(parts: Sequence[Part], oven: Oven) -> List[List[Placement]]:
    """Return the load plan of `parts` in `oven`: a list of loads, each a
    list of Placement (every unit of every part exactly once).

    Raises PartTooLarge for a part that fits no empty load, PlanError for
    an unusable oven.
    """
    check_oven(oven)
    for part in parts:
        if part.quantity and part.quantity > 0:
            reason = _fits_empty(part, oven)
            if reason:
                raise PartTooLarge(part, reason)
    units = [(part, unit) for part in parts
        for unit in range(1, int(part.quantity or 0) + 1)]
    units.sort(key=lambda u: (-u[0].height, -max(u[0].length, u[0].width),
            -min(u[0].length, u[0].width), -u[0].weight, u[1]))
    best = None
    for prefer in PREFERENCES:
        loads = _first_fit(units, oven, prefer)
        if best is None or len(loads) < len(best):
            best = loads
    return [load.placements for load in best]


#: Orientation preferences tried by `plan`, which keeps the fewest loads.
PREFERENCES = ('given', 'narrow', 'long')


def _first_fit(units, oven, prefer):
    loads = []
    for part, unit in units:
        for load in loads:
            if _try_place(load, part, oven, unit, prefer):
                break
        else:
            load = _Load(len(loads) + 1, oven)
            loads.append(load)
            if not _try_place(
                    load, part, oven, unit, prefer):  # pragma: no cover
                raise PartTooLarge(part, "no room in an empty load")
    return loads


def _shortest_along(part, oven):
    "The shortest length along x of `part` among orientations that fit."
    return min((l for l, w, _ in _orientations(part)
            if l <= oven.length and w <= oven.width),
        default=min(part.length, part.width))


def lower_bound(parts: Sequence[Part], oven: Oven) -> int:
    "Return the lower bound on the number of loads of the module docstring."
    units = [(p, int(p.quantity or 0)) for p in parts]
    if not any(n > 0 for _, n in units):
        return 0
    gap = oven.gap
    bounds = [1]
    if oven.max_weight:
        weight = sum(p.weight * n for p, n in units)
        bounds.append(math.ceil(weight / oven.max_weight - 1e-9))
    volume = sum((p.length + gap) * (p.width + gap) * (p.height + gap) * n
        for p, n in units)
    capacity = (oven.length + gap) * (oven.width + gap) * (oven.height + gap)
    bounds.append(math.ceil(volume / capacity - 1e-9))
    if oven.kind == 'bars':
        hanging = sum((_shortest_along(p, oven) + gap) * n
            for p, n in units)
        bounds.append(math.ceil(
                hanging / (oven.supports * (oven.length + gap)) - 1e-9))
    return max(bounds)


def _separated(a, b, gap):
    return (a.x + a.length + gap <= b.x + 1e-6
        or b.x + b.length + gap <= a.x + 1e-6
        or a.y + a.width + gap <= b.y + 1e-6
        or b.y + b.width + gap <= a.y + 1e-6
        or a.z + a.height + gap <= b.z + 1e-6
        or b.z + b.height + gap <= a.z + 1e-6)


def violations(loads, oven):
    """Return the list of problems (str) of a load plan: a part outside the
    oven, two parts closer than the gap, a load over the weight limit, more
    bars than the oven has. [] for a valid plan. Used by the tests."""
    problems = []
    for number, load in enumerate(loads, 1):
        weight = 0.
        for p in load:
            weight += p.weight
            if (p.x < -1e-6 or p.y < -1e-6 or p.z < -1e-6
                    or p.x + p.length > oven.length + 1e-6
                    or p.y + p.width > oven.width + 1e-6
                    or p.z + p.height > oven.height + 1e-6):
                problems.append("load %d: %s/%s outside the oven" % (
                        number, p.part, p.unit))
        if oven.max_weight is not None and weight > oven.max_weight + 1e-6:
            problems.append("load %d: %g kg > %g kg" % (
                    number, weight, oven.max_weight))
        if oven.kind == 'bars' and load and max(
                p.support for p in load) > oven.supports:
            problems.append("load %d: more than %d bars" % (
                    number, oven.supports))
        for i, a in enumerate(load):
            for b in load[i + 1:]:
                if not _separated(a, b, oven.gap):
                    problems.append("load %d: %s/%s and %s/%s touch" % (
                            number, a.part, a.unit, b.part, b.unit))
    return problems
