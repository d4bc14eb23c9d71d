"""Test data for cost bearers, made through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fortycrm.models import CostBearer, CustomerCostBearer
from fortycrm.services import payers

VALID_IK = "260326822"  # the example of the ARGE IK circular
VALID_KVNR = "A123456780"


def bearer(name: str = "AOK Pflegekasse", kind: str = "care_insurer", ik: str = VALID_IK, **kwargs) -> CostBearer:
    return payers.cost_bearer_save(cost_bearer=CostBearer(name=name, kind=kind, ik=ik, **kwargs))


def assign(customer, cost_bearer, *, valid_from=dt.date(2025, 1, 1), valid_until=None, share=None, budget=None, **kwargs) -> CustomerCostBearer:
    link = CustomerCostBearer(
        customer=customer,
        cost_bearer=cost_bearer,
        valid_from=valid_from,
        valid_until=valid_until,
        share_percent=Decimal(share) if share is not None else None,
        monthly_budget=Decimal(budget) if budget is not None else None,
        **kwargs,
    )
    return payers.assignment_save(link=link)
