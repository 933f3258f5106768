import sys
from trytond.pool import Pool
from trytond.transaction import Transaction
dbname, *shops = sys.argv[1:]
Pool.start()
pool = Pool(dbname)
with Transaction().start(dbname, 0, readonly=True):
    pool.init()
with Transaction().start(dbname, 0, context={'_check_access': False}) as transaction:
    Currency = pool.get('currency.currency')
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    currency, = Currency.create([{'name': 'Euro', 'code': 'EUR', 'symbol': '€'}])
    for name in shops:
        party, = Party.create([{'name': name}])
        Company.create([{'party': party.id, 'currency': currency.id}])
    transaction.commit()
