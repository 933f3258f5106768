"""The compatibility key of a coating job: jobs may share a batch (one
powder load in the booth, one cure in the oven) only if their keys are
equal.

Pure Python, no Tryton import: the grouping, the tests and the benchmark
use it directly.

Why each member is in the key:

- powder (brand + reference, normalised): one powder in the booth per
  batch; changing it is the colour change a batch saves.
- ral: implied by the reference; kept so that a mistyped reference never
  mixes two colours.
- finish (matt, satin, gloss...): RAL 7016 gloss and RAL 7016 matt are two
  different powders, never one batch.
- powder_type (epoxy, polyester...): different chemistry, cure and use.
- coats (1..3), primer, varnish: the parts go through the same passes.
- cure_temperature (°C) and cure_minutes: one oven cycle per batch.
- pretreatment: the pretreatment group(s) of the job's substrates
  (ferrous, aluminium, zinc...); a job whose parts need several groups has
  the sorted '+'-joined groups ('aluminium+ferrous') and only matches
  jobs with the same mix.
"""
from typing import NamedTuple, Optional


class CompatibilityKey(NamedTuple):
    "What must be identical for two coating jobs to share a batch."
    powder: str
    ral: str
    finish: str
    powder_type: str
    coats: int
    primer: bool
    varnish: bool
    cure_temperature: float  # °C
    cure_minutes: float  # minutes at temperature
    pretreatment: str

    def label(self):
        "Return a short human description, e.g. 'RAL 7016 gloss, 180 °C 10 min'."
        parts = [("RAL %s" % self.ral) if self.ral else self.powder,
            self.finish, self.powder_type]
        if self.coats != 1:
            parts.append("%d coats" % self.coats)
        if self.primer:
            parts.append("primer")
        if self.varnish:
            parts.append("varnish")
        parts.append("%g °C %g min" % (
                self.cure_temperature, self.cure_minutes))
        parts.append(self.pretreatment)
        return ', '.join(str(p) for p in parts if p)


def normalise_reference(brand, reference):
    """Return the powder's identity as 'BRAND/REFERENCE', upper case,
    inner spaces collapsed: 'Tiger' + ' 49/71234 ' → 'TIGER/49/71234'."""
    def clean(value):
        return ' '.join((value or '').split()).upper()
    brand, reference = clean(brand), clean(reference)
    if not reference:
        return ''
    return '%s/%s' % (brand, reference) if brand else reference


def pretreatment_of(groups):
    """Return the pretreatment member of the key from the groups of a job's
    parts (iterable of str or None): the sorted distinct groups joined by
    '+', '' when no part says."""
    return '+'.join(sorted({g for g in groups if g}))


def make_key(powder, ral, finish, powder_type, coats, primer, varnish,
        cure_temperature, cure_minutes, pretreatment_groups) -> Optional[
            CompatibilityKey]:
    """Return the CompatibilityKey of a job, or None when the job is not
    ready for batching (no powder reference, finish, type, coats, cure
    temperature or minutes, or no part with a pretreatment group).

    Temperatures and minutes are rounded to 0.1 so that 180 and 180.0 are
    equal.
    """
    pretreatment = pretreatment_of(pretreatment_groups)
    if (not powder or not finish or not powder_type or not coats
            or cure_temperature is None or cure_minutes is None
            or not pretreatment):
        return None
    return CompatibilityKey(
        powder=powder, ral=ral or '', finish=finish,
        powder_type=powder_type, coats=int(coats),
        primer=bool(primer), varnish=bool(varnish),
        cure_temperature=round(float(cure_temperature), 1),
        cure_minutes=round(float(cure_minutes), 1),
        pretreatment=pretreatment)


def differences(key, other):
    """Return the names of the members that differ between two keys (list
    of str, in key order); [] when compatible."""
    return [name for name, a, b in zip(CompatibilityKey._fields, key, other)
        if a != b]
