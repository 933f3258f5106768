"""The powder stock of the coating workshop over its six weeks.

Called by demo_coating.py: `plan` turns the catalogue and the jobs to play
into powder events, played in date order among the jobs' own events:

- the opening stock, received 44 days ago (before the first job), and the
  later deliveries: 2 to 4 boxes per powder in the formats of the catalogue
  (capacity and tare), through powder.box.receive as the Receive wizard
  does;
- about once a week the day's list of boxes to weigh (powder.weigh_list,
  chosen by the module) and the weighings of most of its boxes through
  powder.weighing.record, as the weighing wizard does. The figures on the
  scale follow the habits of each powder: most match the books within a
  few grams, the metallic and textured ones are used more than the jobs'
  estimates say, and one powder is taken for test panels without a job:
  their gaps lower their reliability score.

The jobs' powder leaves the stock by itself when they reach "Prêt"
(powder_stock's consumption), from the boxes received before. These
events, the receipts and the weighings run under `clock`, so that their
stock moves, weighings and box openings are dated when they happened.
The two staple colours, bought by 5 kg boxes, have a safety stock of 12 kg,
more than is left: the reorder suggestions computed by `finish` ask for
them.
"""
import contextlib
import datetime as dt
import random
import types
from unittest import mock

#: Safety stock (kg) the shop keeps of its staple colours: RAL 7016 and
#: 9005 are bought by 5 kg boxes and must never run out.
SAFETY_STOCKS = {'T7016M': 12., 'T9005B': 12.}
#: Lead times (days) of the suppliers slower than the shop's default.
LEAD_TIMES = {'Interpon': 15, 'Oxyplast': 21}
#: How the scale compares with the books, per powder (default 'exact'):
#: 'over': used more than the estimates (overspray), 'panels': powder taken
#: for test panels without a job.
HABITS = {'T9006MET': 'over', 'I7016T': 'over', 'A5010S': 'panels'}
#: Days ago of the weighing rounds (the day's list, then its boxes).
ROUNDS = [37, 31, 24, 17, 10, 3]
#: Events of demo_coating.py that close a job (its powder leaves stock).
CLOSING = {'ready', 'delivered', 'delivered_unpaid'}
RECEIPT, WEIGH_LIST, WEIGHING = 'powder_receipt', 'powder_list', 'powder_weigh'
CODES = {RECEIPT, WEIGH_LIST, WEIGHING}


@contextlib.contextmanager
def clock(database, when, code):
    """Play the event `code` at `when` (naive, as datetime.now) with the
    shop's clock saying `when`: ir.date's today and the timestamps of the
    powder stock and audit rows. Events that move no powder run as they
    are."""
    if code not in CODES | CLOSING:
        yield
        return
    from trytond.modules.powder_stock import box, weighing
    from trytond.modules.workshop import audit
    from trytond.pool import Pool

    class Datetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return when

    shim = types.SimpleNamespace(datetime=Datetime, date=dt.date,
        timedelta=dt.timedelta)
    Date = Pool(database).get('ir.date')
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(Date, 'today',
                classmethod(lambda cls, timezone=None: when.date())))
        for module in [box, weighing, audit]:
            stack.enter_context(mock.patch.object(module, 'datetime', shim))
        yield


def plan(company_id, events):
    """Set the shop's reorder settings of the powders and return the powder
    events to play among `events` (the jobs' (when, job id, code)): the
    receipts, the weighing rounds and their weighings."""
    from trytond.pool import Pool
    pool = Pool()
    Product = pool.get('product.product')
    Template = pool.get('product.template')
    Order = pool.get('service.order')
    rng = random.Random('powder stock of %s' % company_id)
    powders = {p.template.powder_reference: p for p in Product.search([
                ('template.powder', '=', True),
                ('template.powder_company', '=', company_id)])}
    for reference, kg in SAFETY_STOCKS.items():
        if reference in powders:
            Template.write([powders[reference].template],
                {'powder_safety_stock': kg})
    for product in powders.values():
        lead = LEAD_TIMES.get(product.template.powder_brand)
        if lead:
            Template.write([product.template], {'powder_lead_time': lead})
    # Powder the jobs closed over the period will take, per reference.
    closed = {o for _, o, code in events if code == 'ready'}
    use = {}
    for order in Order.browse(sorted(closed)):
        if order.powder:
            reference = order.powder.template.powder_reference
            use[reference] = use.get(reference, 0) + (
                order.powder_estimate or 0)
    today = dt.datetime.combine(dt.date.today(), dt.time(8))
    result = []
    busiest = sorted(use, key=lambda r: (-use[r], r))[:1]
    for reference, product in sorted(powders.items()):
        formats = sorted(product.template.powder_formats,
            key=lambda f: (-f.weight, f.id))
        large, small = formats[0], formats[-1]
        if reference in SAFETY_STOCKS:
            boxes = [(44, small), (rng.randint(15, 30), small)]
        elif reference in use:
            boxes = [(44, large), (rng.randint(12, 30), large)]
            if small != large or reference in busiest:
                boxes.append((rng.randint(5, 20), small))
            if reference in busiest:
                boxes.append((44, small))
        else:
            boxes = [(44, large), (rng.randint(20, 40), small)]
        for days, format_ in boxes:
            when = today - dt.timedelta(days=days, minutes=rng.randint(0, 90))
            result.append((when, (product.id, format_.id, 1), RECEIPT))
    for days in ROUNDS:
        start = today - dt.timedelta(days=days, minutes=10)
        result.append((start, None, WEIGH_LIST))
        for index in range(3):
            result.append((start + dt.timedelta(minutes=15 + 12 * index),
                    index, WEIGHING))
    return result


def play(company_id, when, payload, code):
    "Play the powder event `code` of `payload` at `when` (see `plan`)."
    from trytond.pool import Pool
    pool = Pool()
    Company = pool.get('company.company')
    Box = pool.get('powder.box')
    Product = pool.get('product.product')
    Format = pool.get('coating.powder.format')
    WeighList = pool.get('powder.weigh_list')
    company = Company(company_id)
    if code == RECEIPT:
        product_id, format_id, count = payload
        product = Product(product_id)
        Box.receive(company, product, count, format_=Format(format_id),
            unit_cost=product.list_price, date=when.date())
    elif code == WEIGH_LIST:
        WeighList.for_day(company, when.date())
    elif code == WEIGHING:
        list_ = WeighList.for_day(company, when.date())
        lines = sorted(list_.lines, key=lambda l: l.sequence)
        # The operator weighs most of the day's boxes.
        rng = random.Random('%s %s' % (when.isoformat(), payload))
        if payload < len(lines) and rng.random() < 0.85:
            weigh(lines[payload].box, rng)


def weigh(box, rng):
    """Weigh `box` with what the scale shows given the habits of its
    powder (HABITS) and record it (powder.weighing.record)."""
    from trytond.pool import Pool
    pool = Pool()
    Box = pool.get('powder.box')
    Weighing = pool.get('powder.weighing')
    if box.state not in {'sealed', 'opened'}:
        return
    theoretical = Box.theoretical_quantities([box])[box.id]
    used = Box.uses_since_weighing([box])[box.id]
    habit = HABITS.get(box.product.template.powder_reference, 'exact')
    if box.state == 'sealed':
        # the supplier's boxes hold their weight to a few tens of grams
        net = box.capacity + rng.choice([0, 0, 0.02, -0.02, 0.04, -0.03])
    elif habit == 'over':
        net = theoretical - used * rng.uniform(0.3, 0.6)
    elif habit == 'panels':
        net = theoretical - used * rng.uniform(0, 0.1) - rng.uniform(1.4, 2.6)
    else:
        net = theoretical - used * rng.uniform(-0.04, 0.06) + rng.choice(
            [0, 0.01, -0.01, 0.02, -0.03])
    net = min(max(net, 0.1), box.capacity + 0.04)
    Weighing.record(box, round(net + box.tare, 2))


def finish(company_id):
    """Make today's list of boxes to weigh, compute the reorder
    suggestions and print the powder stock's figures."""
    from trytond.pool import Pool
    pool = Pool()
    Company = pool.get('company.company')
    Box = pool.get('powder.box')
    Weighing = pool.get('powder.weighing')
    WeighList = pool.get('powder.weigh_list')
    Reorder = pool.get('powder.reorder')
    company = Company(company_id)
    today = WeighList.for_day(company)
    suggestions = Reorder.compute(company)
    print("Powder boxes: %s, weighings: %s, to weigh today: %s, "
        "to reorder: %s (%s)" % (
            Box.search_count([('company', '=', company_id)]),
            Weighing.search_count([('company', '=', company_id)]),
            len(today.lines), len(suggestions),
            ', '.join('%s %s box(es)' % (
                    s.product.template.powder_reference, s.boxes)
                for s in suggestions)))
