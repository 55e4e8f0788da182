"""Quota reservations: one conditional UPDATE each, so the contract can never be overdrawn, not even
by two reservations at the same moment (PostgreSQL test with two connections)."""
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from programs.models import TrainingContract
from programs.services.contracts import contract_release, contract_reserve
from tests.programs.factories import TrainingContractFactory


def _registered(**kwargs):
    return TrainingContractFactory(status=TrainingContract.Status.REGISTERED, **kwargs)


@pytest.mark.django_db
def test_a_reservation_takes_money_and_seats_from_the_remaining_quota():
    contract = _registered(quota_money=Decimal("100000"), quota_seats=3)
    contract = contract_reserve(contract=contract, money=Decimal("45000.50"), seats=1)
    assert (contract.reserved_money, contract.reserved_seats) == (Decimal("45000.50"), 1)
    assert (contract.remaining_money, contract.remaining_seats) == (Decimal("54999.50"), 2)


@pytest.mark.django_db
def test_the_last_rouble_and_seat_can_be_reserved_but_not_more():
    contract = _registered(quota_money=Decimal("90000"), quota_seats=2)
    contract_reserve(contract=contract, money=Decimal("45000"))
    contract = contract_reserve(contract=contract, money=Decimal("45000"))
    assert contract.remaining_money == 0
    with pytest.raises(ValidationError) as error:
        contract_reserve(contract=contract, money=Decimal("0.01"), seats=0)
    assert "исчерпана" in error.value.messages[0]
    contract.refresh_from_db()
    assert (contract.reserved_money, contract.reserved_seats) == (Decimal("90000"), 2)


@pytest.mark.django_db
def test_seats_run_out_before_money():
    contract = _registered(quota_money=Decimal("1000000"), quota_seats=1)
    contract_reserve(contract=contract, money=Decimal("1000"))
    with pytest.raises(ValidationError, match="мест: 0"):
        contract_reserve(contract=contract, money=Decimal("1000"))


@pytest.mark.django_db
def test_only_a_registered_contract_is_reserved_from():
    contract = TrainingContractFactory(status=TrainingContract.Status.SIGNED_BY_BOTH)
    with pytest.raises(ValidationError, match="не зарегистрирован"):
        contract_reserve(contract=contract, money=Decimal("1000"))
    contract.refresh_from_db()
    assert contract.reserved_money == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("money", "seats"), [(Decimal("-1"), 1), (Decimal("1"), -1), (Decimal("0"), 0)])
def test_amounts_are_checked(money, seats):
    with pytest.raises(ValidationError):
        contract_reserve(contract=_registered(), money=money, seats=seats)


@pytest.mark.django_db
def test_a_release_returns_the_quota_and_never_below_zero():
    contract = _registered(quota_money=Decimal("100000"), quota_seats=3)
    contract_reserve(contract=contract, money=Decimal("30000"))
    contract = contract_release(contract=contract, money=Decimal("30000"))
    assert (contract.reserved_money, contract.reserved_seats) == (0, 0)
    with pytest.raises(ValidationError, match="больше, чем зарезервировано"):
        contract_release(contract=contract, money=Decimal("1"))


@pytest.mark.django_db
def test_the_database_refuses_an_overdrawn_quota_whatever_the_code():
    contract = _registered(quota_money=Decimal("100"), quota_seats=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingContract.objects.filter(pk=contract.pk).update(reserved_money=Decimal("100.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingContract.objects.filter(pk=contract.pk).update(reserved_seats=2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_reservations_for_the_last_seat_never_overdraw():
    """Connection one reserves inside an open transaction and waits; connection two tries the same
    seat meanwhile: it blocks on the row, then re-checks the condition and finds no seat left."""
    contract = _registered(quota_money=Decimal("100000"), quota_seats=1)
    reserved, release_first = threading.Event(), threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():
                contract_reserve(contract=contract, money=Decimal("60000"))
                reserved.set()
                release_first.wait(10)
            results["first"] = "ok"
        finally:
            connection.close()

    def second():
        try:
            contract_reserve(contract=contract, money=Decimal("60000"))
            results["second"] = "ok"
        except ValidationError as error:
            results["second"] = error.messages[0]
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert reserved.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second reservation waits for the first one's row lock"
    release_first.set()
    one.join(10)
    two.join(10)

    assert results["first"] == "ok"
    assert "исчерпана" in results["second"]
    contract.refresh_from_db()
    assert (contract.reserved_money, contract.reserved_seats) == (Decimal("60000"), 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_parallel_reservations_stop_exactly_at_the_quota():
    contract = _registered(quota_money=Decimal("50000"), quota_seats=100)
    outcomes = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker():
        try:
            start.wait(10)
            for _ in range(3):
                try:
                    contract_reserve(contract=contract, money=Decimal("10000"))
                    result = True
                except ValidationError:
                    result = False
                with lock:
                    outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    contract.refresh_from_db()
    assert outcomes.count(True) == 5
    assert (contract.reserved_money, contract.reserved_seats) == (Decimal("50000"), 5)
