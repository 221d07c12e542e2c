"""Customers' billing profiles and the seller's settings: list, search, show, create, edit, audit (S000.4, S000.5)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.domain.profile import FIELD_KEYS
from billing_tui.services import carts, company, customers
from billing_tui.storage.shop_models import Customer
from billing_tui.storage.system_models import AuditEntry, SellerSettings
from tests.conftest import FIXED_NOW

NEW_PERSON = {
    "customer_type": "person", "name": "Mario Rossi", "fiscal_code": "RSSMRA85T10A562S",
    "email": "mario.rossi@mail.example", "address": "Via Garibaldi 3", "city": "Roma", "country": "IT",
    "language": "it", "pec": "mario.rossi@pec.example",
}


def _customer_id(ctx, name: str) -> int:  # type: ignore[no-untyped-def]
    (row,) = [r for r in customers.list_customers(ctx, search=name, limit=100).rows if r.name == name]
    return row.id


def _audit_rows(ctx) -> list[tuple]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return [tuple(r) for r in session.execute(
            select(AuditEntry.entity, AuditEntry.entity_id, AuditEntry.action, AuditEntry.changes)
            .order_by(AuditEntry.id)).all()]


def _customer_rows(ctx) -> list[dict]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return [{k: getattr(c, k) for k in (*FIELD_KEYS, "updated_at")}
                for c in session.scalars(select(Customer).order_by(Customer.id)).all()]


# --- list, search, show ---------------------------------------------------------------------

def test_list_pages_through_every_customer_by_name(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    everyone = customers.list_customers(demo_ctx, limit=1000)
    assert not everyone.has_more and len(everyone.rows) > 30
    names = [r.name for r in everyone.rows]
    assert names[0] == "Agenzia Viaggi Ricci S.r.l."
    assert names.index("Mario Rossi") < names.index("Rossi Arredamenti S.r.l.")
    seen: list[int] = []
    offset = 0
    while True:
        page = customers.list_customers(demo_ctx, offset=offset, limit=10)
        seen += [r.id for r in page.rows]
        if not page.has_more:
            break
        offset += 10
    assert seen == [r.id for r in everyone.rows]


SEARCHES = {
    "rossi": {"Rossi Arredamenti S.r.l.", "Mario Rossi"},
    "COMUNE DI": {"Comune di Bologna – Ufficio Tributi", "Comune di Città di Castello"},
    "DE136695976": {"Müller Webdesign GmbH"},
    "136695976": {"Müller Webdesign GmbH"},
    "mario.rossi@mail": {"Mario Rossi"},
    "@posta.example": {"Andrei Popescu", "Ioana Ionescu", "Mihai Stănescu", "Ana Dumitrescu", "Ștefan Țurcanu"},
    "Niccolò": {"Niccolò Galli"},
    "no such customer": set(),
}


def test_search_by_name_vat_number_or_email(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    for text, expected in SEARCHES.items():
        page = customers.list_customers(demo_ctx, search=text, limit=100)
        assert {r.name for r in page.rows} == expected, text


def test_search_by_vat_number_and_fiscal_code_of_a_demo_customer(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    rows = customers.list_customers(demo_ctx, limit=100).rows
    company = next(r for r in rows if r.customer_type == "company" and r.country == "IT")
    person = next(r for r in rows if r.customer_type == "person" and r.country == "IT")
    assert company.vat_number and person.fiscal_code
    assert [r.id for r in customers.list_customers(demo_ctx, search=company.vat_number).rows] == [company.id]
    assert [r.id for r in customers.list_customers(demo_ctx, search=person.fiscal_code.lower()).rows] == [person.id]


def test_search_ignores_the_case_of_accented_letters(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    names = {r.name for r in customers.list_customers(demo_ctx, search="ștefan").rows}
    assert names == {"Cafeneaua Ștefan S.R.L.", "Ștefan Țurcanu"}


def test_get_customer_shows_the_profile_with_its_fields_and_carts(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    pa_id = _customer_id(demo_ctx, "Comune di Bologna – Ufficio Tributi")
    detail = customers.get_customer(demo_ctx, str(pa_id))
    assert detail.id == pa_id
    assert set(detail.profile) == set(FIELD_KEYS)
    assert detail.profile["customer_type"] == "pa" and detail.profile["pa_office_code"]
    assert "pa_office_code" in detail.visible and "sdi_code" not in detail.visible
    all_carts = carts.list_carts(demo_ctx, carts.CartQuery(limit=1000)).rows
    for name in ("Mario Rossi", "Rossi Arredamenti S.r.l.", "Ștefan Țurcanu"):
        cid = _customer_id(demo_ctx, name)
        assert customers.get_customer(demo_ctx, cid).carts == sum(1 for c in all_carts if c.customer_id == cid)


def test_unknown_customer_is_not_found(ctx) -> None:  # type: ignore[no-untyped-def]
    for customer_id, words in [(99999, "no customer with id 99999"), ("abc", "not a customer id"),
                               ("", "not a customer id")]:
        with pytest.raises(NotFound) as info:
            customers.get_customer(ctx, customer_id)
        assert words in info.value.message
        with pytest.raises(NotFound):
            customers.update_customer(ctx, customer_id, {"email": "new@example.com"})
        with pytest.raises(NotFound):
            customers.customer_history(ctx, customer_id)


# --- create and update ------------------------------------------------------------------------

def test_create_customer_saves_a_valid_profile_and_audits_it(ctx) -> None:  # type: ignore[no-untyped-def]
    detail = customers.create_customer(ctx, {**NEW_PERSON, "fiscal_code": "rssmra85t10a562s"})
    again = customers.get_customer(ctx, detail.id)
    assert again.profile == detail.profile
    assert again.profile["fiscal_code"] == "RSSMRA85T10A562S"
    assert again.profile["vat_number"] is None and again.carts == 0
    assert again.created_at == again.updated_at == FIXED_NOW
    (entry,) = customers.customer_history(ctx, detail.id)
    assert entry.action == "create" and entry.actor == "tester" and entry.at == FIXED_NOW
    assert entry.changes["name"] == (None, "Mario Rossi")


def test_create_customer_refuses_an_invalid_profile_and_saves_nothing(ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as info:
        customers.create_customer(ctx, {**NEW_PERSON, "fiscal_code": "RSSMRA85T10A562T", "email": "nope"})
    assert set(info.value.errors) == {"fiscal_code", "email"}
    assert info.value.message.startswith("Nothing was saved")
    assert _customer_rows(ctx) == [] and _audit_rows(ctx) == []


def test_a_valid_change_writes_exactly_one_audit_entry(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    cid = _customer_id(demo_ctx, "Rossi Arredamenti S.r.l.")
    old_email = customers.get_customer(demo_ctx, cid).profile["email"]
    before = _audit_rows(demo_ctx)
    detail = customers.update_customer(demo_ctx, cid, {"email": " Amministrazione@Rossi.example "})
    assert detail.profile["email"] == "Amministrazione@rossi.example"
    assert detail.updated_at == FIXED_NOW
    assert customers.get_customer(demo_ctx, cid).profile["email"] == "Amministrazione@rossi.example"
    after = _audit_rows(demo_ctx)
    assert len(after) == len(before) + 1
    (entry,) = customers.customer_history(demo_ctx, cid)
    assert entry.actor == "tester" and entry.at == FIXED_NOW and entry.action == "update"
    assert entry.changes == {"email": (old_email, "Amministrazione@rossi.example")}
    # Saving the same value again changes nothing and writes nothing.
    customers.update_customer(demo_ctx, cid, {"email": "Amministrazione@rossi.example"})
    assert _audit_rows(demo_ctx) == after


def test_history_is_newest_first(ctx, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    cid = customers.create_customer(ctx, NEW_PERSON).id
    for day, email in enumerate(["a@x.example", "b@x.example", "c@x.example"], start=1):
        clock.set(FIXED_NOW + timedelta(days=day))
        customers.update_customer(ctx, cid, {"email": email})
    rows = customers.customer_history(ctx, cid)
    assert [r.action for r in rows] == ["update", "update", "update", "create"]
    assert [r.changes.get("email", (None, None))[1] for r in rows[:3]] == ["c@x.example", "b@x.example", "a@x.example"]
    assert [r.at for r in rows] == sorted((r.at for r in rows), reverse=True)


INVALID_CHANGES = [
    ("Rossi Arredamenti S.r.l.", {"vat_number": "00743110158"}, "vat_number"),
    ("Rossi Arredamenti S.r.l.", {"email": "amministrazione(at)rossi.example"}, "email"),
    ("Rossi Arredamenti S.r.l.", {"sdi_code": "", "pec": ""}, "sdi_code"),
    ("Comune di Bologna – Ufficio Tributi", {"pa_office_code": "UF01A"}, "pa_office_code"),
    ("Comune di Bologna – Ufficio Tributi", {"country": "RO"}, "country"),
    ("Mario Rossi", {"fiscal_code": "RSSMRA85T10A562T", "city": "Milano"}, "fiscal_code"),
    ("Ionescu Soft S.R.L.", {"vat_number": "RO18547291", "name": "Ionescu Soft 2"}, "vat_number"),
]


def test_an_invalid_change_is_refused_and_changes_nothing(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    profiles, audit_log = _customer_rows(demo_ctx), _audit_rows(demo_ctx)
    for name, changes, key in INVALID_CHANGES:
        cid = _customer_id(demo_ctx, name)
        with pytest.raises(ValidationFailed) as info:
            customers.update_customer(demo_ctx, cid, changes)
        assert key in info.value.errors, (name, changes)
        assert set(info.value.errors) <= set(FIELD_KEYS)
        assert info.value.errors[key] in info.value.message
        assert _customer_rows(demo_ctx) == profiles, (name, changes)
        assert _audit_rows(demo_ctx) == audit_log, (name, changes)


def test_an_unknown_field_is_refused(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    cid = _customer_id(demo_ctx, "Mario Rossi")
    profiles, audit_log = _customer_rows(demo_ctx), _audit_rows(demo_ctx)
    with pytest.raises(ValidationFailed) as info:
        customers.update_customer(demo_ctx, cid, {"email": "ok@example.com", "iban": "IT60X0542811101000000123456"})
    assert set(info.value.errors) == {"iban"}
    assert "iban" in info.value.message and "email" in info.value.message  # it lists the real fields
    assert _customer_rows(demo_ctx) == profiles and _audit_rows(demo_ctx) == audit_log


def test_a_misspelt_customer_type_is_refused_as_a_validation_error(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    cid = _customer_id(demo_ctx, "Mario Rossi")
    with pytest.raises(ValidationFailed) as info:
        customers.update_customer(demo_ctx, cid, {"customer_type": "privato"})
    assert set(info.value.errors) == {"customer_type"}


def test_changing_a_pa_into_a_company_clears_the_pa_fields(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    cid = _customer_id(demo_ctx, "Comune di Bologna – Ufficio Tributi")
    before = customers.get_customer(demo_ctx, cid).profile
    assert before["pa_office_code"] and before["split_payment"] is True
    detail = customers.update_customer(demo_ctx, cid, {"customer_type": "company", "vat_number": "00743110157",
                                                       "sdi_code": "ABC1234"})
    assert detail.profile["customer_type"] == "company"
    assert detail.profile["pa_office_code"] is None and detail.profile["split_payment"] is False
    assert "pa_office_code" not in detail.visible and "sdi_code" in detail.visible
    stored = customers.get_customer(demo_ctx, cid).profile
    assert stored == detail.profile
    (entry,) = customers.customer_history(demo_ctx, cid)
    assert entry.changes["pa_office_code"] == (before["pa_office_code"], None)
    assert entry.changes["split_payment"] == (True, False)
    assert entry.changes["customer_type"] == ("pa", "company")


def test_changing_a_company_into_a_person_drops_its_vat_number(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    cid = _customer_id(demo_ctx, "Panificio Esposito")
    detail = customers.update_customer(demo_ctx, cid, {"customer_type": "person", "name": "Gennaro Esposito",
                                                       "fiscal_code": "RSSMRA85T10A562S"})
    assert detail.profile["vat_number"] is None
    assert customers.get_customer(demo_ctx, cid).profile["vat_number"] is None


# --- the seller's settings ------------------------------------------------------------------

def _settings_audit(ctx) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [r for r in _audit_rows(ctx) if r[0] == "settings"]


def test_seller_settings_update_is_validated_saved_and_audited(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    before = company.get_company(demo_ctx).values
    assert before["company_name"] == "Pixel & Stampa S.r.l."
    view = company.update_company(demo_ctx, {"iban": "de89 3704 0044 0532 0130 00", "city": " Milano "})
    assert view.values["iban"] == "DE89370400440532013000" and view.values["city"] == "Milano"
    assert company.get_company(demo_ctx).values == view.values
    ((entity, entity_id, action, changes),) = _settings_audit(demo_ctx)
    assert (entity, entity_id, action) == ("settings", 1, "update")
    assert json.loads(changes) == {"iban": [before["iban"], "DE89370400440532013000"],
                                   "city": [before["city"], "Milano"]}
    with demo_ctx.db.read() as session:
        row = session.get(SellerSettings, 1)
        assert row is not None and row.updated_at is not None


INVALID_SELLER_CHANGES = [
    ({"iban": "IT60X0542811101000000123457"}, {"iban"}),
    ({"iban": "DE89370400440532013000", "email": "fatture(at)pixel.example"}, {"email"}),
    ({"vat_number": "02118530018"}, {"vat_number"}),
    ({"company_name": " ", "default_language": "fr"}, {"company_name", "default_language"}),
    ({"country": "Italia"}, {"country"}),
]


def test_an_invalid_seller_setting_saves_nothing(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    before = company.get_company(demo_ctx).values
    for changes, keys in INVALID_SELLER_CHANGES:
        with pytest.raises(ValidationFailed) as info:
            company.update_company(demo_ctx, changes)
        assert set(info.value.errors) == keys, changes
        assert company.get_company(demo_ctx).values == before, changes
        assert _settings_audit(demo_ctx) == [], changes


def test_seller_settings_on_a_new_database(ctx) -> None:  # type: ignore[no-untyped-def]
    empty = company.get_company(ctx).values
    assert empty["company_name"] == "" and empty["country"] == "IT"
    with pytest.raises(ValidationFailed) as info:
        company.update_company(ctx, {"iban": "IT60X0542811101000000123456"})
    assert {"company_name", "vat_number"} <= set(info.value.errors)
    with pytest.raises(ValidationFailed) as info:
        company.update_company(ctx, {"bank": "x"})
    assert set(info.value.errors) == {"bank"}
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(SellerSettings)) == 0
    view = company.update_company(ctx, {"company_name": "Ionescu Soft S.R.L.", "vat_number": "RO18547290",
                                        "country": "ro", "fiscal_code": "18547290", "default_language": "RO"})
    assert view.values["country"] == "RO" and view.values["default_language"] == "ro"
    assert company.get_company(ctx).values == view.values
    assert len(_settings_audit(ctx)) == 1
