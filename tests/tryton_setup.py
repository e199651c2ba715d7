"""What a Tryton database needs before Folio posts to it, made with proteus (Tryton's own client
library) straight on the database: a company in EUR, the 2026 fiscal year with monthly periods,
the accounts of the contract suite's chart (tests/gl_support.rs `chart()`, same codes), the
cost centres as analytic accounts under a `cost_centre` root, the tax `V19` and a supplier.

Run by tests/gl_support.rs once per template database:
    python tryton_setup.py CONFIG DATABASE
"""

import datetime
import sys
from decimal import Decimal

from proteus import Model, Wizard, config as pconfig


def main(conf, database):
    config = pconfig.set_trytond(database, config_file=conf)
    from trytond.modules.company.tests.tools import create_company, get_company
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, get_accounts)

    create_company(currency='EUR')
    company = get_company()
    fiscalyear = create_fiscalyear(
        company, (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)))
    fiscalyear.click('create_period')
    create_chart(company)
    minimal = get_accounts(company)

    Account = Model.get('account.account')
    Type = Model.get('account.account.type')
    root, = Account.find([('parent', '=', None)], limit=1)
    expense_type = minimal['expense'].type
    asset_type, = Type.find(
        [('statement', '=', 'balance'), ('assets', '=', True),
         ('receivable', '=', False), ('parent', '!=', None)], limit=1)
    liability_type, = Type.find(
        [('statement', '=', 'balance'), ('assets', '=', False),
         ('payable', '=', False), ('parent', '!=', None)], limit=1)
    # A heading: no type, so nothing can be posted to it (proteus would copy the parent's).
    heading = Account(
        name='Operating expenses', code='4000', parent=root, company=company)
    heading.type = None
    heading.save()
    for code, name, kind in [
            ('1576', 'Input VAT 19 %', asset_type),
            ('1600', 'Trade payables', liability_type),
            ('4930', 'Office supplies', expense_type),
            ('4964', 'IT and software (subscriptions)', expense_type),
            ('4990', 'Rounding differences', expense_type)]:
        account = Account(
            name=name, code=code, type=kind, company=company,
            parent=root)
        account.party_required = False
        account.save()

    Analytic = Model.get('analytic_account.account')
    centres = Analytic(
        name='cost_centre', code='cost_centre', type='root', state='opened',
        company=company)
    centres.save()
    for code in ['CC-100', 'CC-200']:
        Analytic(name='Cost centre ' + code, code=code, type='normal',
            state='opened', root=centres, parent=centres,
            company=company).save()

    vat, = Account.find([('code', '=', '1576')])
    Tax = Model.get('account.tax')
    tax = Tax(name='V19', description='Input VAT 19 %', type='percentage',
        rate=Decimal('0.19'), invoice_account=vat, credit_note_account=vat, company=company)
    tax.save()

    Party = Model.get('party.party')
    Party(name='Bürobedarf Nord GmbH').save()


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
