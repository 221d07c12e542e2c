"""Billing profiles: which fields a customer type shows, and what a profile must contain to be saved (S000.4, S000.5)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_tui.domain.profile import (
    FIELD_KEYS,
    CustomerType,
    validate_field,
    validate_profile,
    visible_fields,
)

IT_COMPANY = {
    "customer_type": "company", "name": "Rossi Arredamenti S.r.l.", "vat_number": "00743110157",
    "fiscal_code": "00743110157", "sdi_code": "abc1234", "email": "fatture@rossi.example",
    "address": "Via Roma 1", "city": "Torino", "postcode": "10121", "province": "TO", "country": "it",
    "language": "it",
}
IT_PERSON = {
    "customer_type": "person", "name": "Mario Rossi", "fiscal_code": "rssmra85t10a562s",
    "email": "mario.rossi@mail.example", "address": "Via Garibaldi 3", "city": "Roma", "country": "IT",
    "language": "it",
}
IT_PA = {
    "customer_type": "pa", "name": "Comune di Bologna", "fiscal_code": "01232710374", "pa_office_code": "uf01a1",
    "split_payment": "yes", "email": "protocollo@comune.bologna.example", "address": "Piazza Maggiore 6",
    "city": "Bologna", "country": "IT", "language": "it",
}
RO_COMPANY = {
    "customer_type": "company", "name": "Ionescu Soft S.R.L.", "vat_number": "RO18547290", "fiscal_code": "18547290",
    "email": "facturi@ionescu.example", "address": "Strada Mihai Eminescu 5", "city": "Cluj-Napoca",
    "country": "RO", "language": "ro",
}
RO_PERSON = {
    "customer_type": "person", "name": "Ioana Ionescu", "fiscal_code": "1800101221144",
    "email": "ioana@posta.example", "address": "Bulevardul Unirii 9", "city": "București", "country": "RO",
    "language": "ro",
}
DE_COMPANY = {
    "customer_type": "company", "name": "Müller Webdesign GmbH", "vat_number": "136695976",
    "email": "rechnung@mueller.example", "address": "Friedrichstraße 44", "city": "Berlin", "country": "DE",
    "language": "en",
}
VALID_PROFILES = {
    "it-company": IT_COMPANY, "it-person": IT_PERSON, "it-pa": IT_PA,
    "ro-company": RO_COMPANY, "ro-person": RO_PERSON, "de-company": DE_COMPANY,
}


# --- which fields the form shows ----------------------------------------------------------

def test_public_administration_shows_office_code_and_split_payment_but_no_sdi_or_pec() -> None:
    fields = visible_fields("pa", "IT")
    assert "pa_office_code" in fields and "split_payment" in fields
    assert "sdi_code" not in fields and "pec" not in fields
    assert "vat_number" in fields and "fiscal_code" in fields


@pytest.mark.parametrize("customer_type", ["company", "person"])
def test_italian_company_and_person_show_sdi_code_and_pec_but_no_pa_fields(customer_type: str) -> None:
    for country in ("IT", "it", " IT "):
        fields = visible_fields(customer_type, country)
        assert "sdi_code" in fields and "pec" in fields
        assert "pa_office_code" not in fields and "split_payment" not in fields


@pytest.mark.parametrize("customer_type", ["company", "person"])
def test_outside_italy_neither_sdi_code_nor_pec_nor_pa_fields(customer_type: str) -> None:
    for country in ("RO", "DE"):
        fields = visible_fields(customer_type, country)
        for key in ("sdi_code", "pec", "pa_office_code", "split_payment"):
            assert key not in fields


@pytest.mark.parametrize("country", ["IT", "RO", "DE"])
def test_a_person_has_no_vat_number_a_company_has_one(country: str) -> None:
    assert "vat_number" not in visible_fields("person", country)
    assert "vat_number" in visible_fields("company", country)


@pytest.mark.parametrize("customer_type", ["company", "person", "pa"])
def test_visible_fields_are_known_keys_in_form_order(customer_type: str) -> None:
    fields = visible_fields(customer_type, "IT")
    assert set(fields) <= set(FIELD_KEYS)
    assert list(fields) == [k for k in FIELD_KEYS if k in fields]
    for always in ("customer_type", "name", "email", "address", "city", "country", "language"):
        assert always in fields


# --- whole profiles ------------------------------------------------------------------------

@pytest.mark.parametrize("profile", VALID_PROFILES.values(), ids=VALID_PROFILES.keys())
def test_valid_profiles_are_accepted(profile: dict[str, object]) -> None:
    clean, errors = validate_profile(profile)
    assert errors == {}
    assert set(clean) == set(FIELD_KEYS)
    assert clean["customer_type"] == profile["customer_type"]


def test_valid_profiles_come_back_normalised() -> None:
    company, _ = validate_profile(IT_COMPANY)
    assert company["country"] == "IT" and company["sdi_code"] == "ABC1234"
    person, _ = validate_profile(IT_PERSON)
    assert person["fiscal_code"] == "RSSMRA85T10A562S"
    pa, _ = validate_profile(IT_PA)
    assert pa["pa_office_code"] == "UF01A1" and pa["split_payment"] is True
    de, _ = validate_profile(DE_COMPANY)
    assert de["vat_number"] == "DE136695976"


@pytest.mark.parametrize(
    ("base", "changes", "keys"),
    [
        pytest.param(IT_COMPANY, {"vat_number": "00743110158"}, {"vat_number"}, id="company-vat-check-digit"),
        pytest.param(IT_COMPANY, {"vat_number": ""}, {"vat_number"}, id="company-without-vat"),
        pytest.param(IT_COMPANY, {"email": "not-an-email"}, {"email"}, id="bad-email"),
        pytest.param(IT_COMPANY, {"email": ""}, {"email"}, id="no-email"),
        pytest.param(IT_COMPANY, {"pec": "pec-without-at"}, {"pec"}, id="bad-pec"),
        pytest.param(IT_COMPANY, {"sdi_code": "ABC12"}, {"sdi_code"}, id="bad-sdi"),
        pytest.param(IT_COMPANY, {"name": "  "}, {"name"}, id="no-name"),
        pytest.param(IT_COMPANY, {"name": "x" * 201}, {"name"}, id="name-too-long"),
        pytest.param(IT_COMPANY, {"address": "", "city": ""}, {"address", "city"}, id="no-address"),
        pytest.param(IT_COMPANY, {"country": "ITA"}, {"country"}, id="bad-country"),
        pytest.param(IT_COMPANY, {"language": "de"}, {"language"}, id="bad-language"),
        pytest.param(IT_PERSON, {"fiscal_code": "RSSMRA85T10A562T"}, {"fiscal_code"}, id="person-cf-check"),
        pytest.param(IT_PERSON, {"fiscal_code": ""}, {"fiscal_code"}, id="it-person-without-cf"),
        pytest.param(IT_PERSON, {"fiscal_code": "00743110157"}, {"fiscal_code"}, id="person-with-company-code"),
        pytest.param(IT_PA, {"pa_office_code": "UF01A"}, {"pa_office_code"}, id="pa-office-5-chars"),
        pytest.param(IT_PA, {"pa_office_code": ""}, {"pa_office_code"}, id="pa-without-office"),
        pytest.param(IT_PA, {"split_payment": "maybe"}, {"split_payment"}, id="pa-split-not-yes-no"),
        pytest.param(IT_PA, {"fiscal_code": ""}, {"fiscal_code"}, id="pa-without-cf"),
        pytest.param(RO_COMPANY, {"vat_number": "RO18547291"}, {"vat_number"}, id="ro-cif-check-digit"),
        pytest.param(RO_COMPANY, {"fiscal_code": "18547291"}, {"fiscal_code"}, id="ro-company-cf"),
        pytest.param(RO_PERSON, {"fiscal_code": "1800101221145"}, {"fiscal_code"}, id="ro-cnp-check-digit"),
        pytest.param(DE_COMPANY, {"vat_number": "DE136695977"}, {"vat_number"}, id="de-vat-check-digit"),
    ],
)
def test_invalid_profiles_name_the_wrong_fields(base: dict, changes: dict, keys: set[str]) -> None:
    _clean, errors = validate_profile({**base, **changes})
    assert set(errors) == keys
    for reason in errors.values():
        assert isinstance(reason, str) and reason.strip()


def test_unknown_customer_type_is_refused() -> None:
    clean, errors = validate_profile({**IT_COMPANY, "customer_type": ""})
    assert clean == {} and set(errors) == {"customer_type"}


@pytest.mark.parametrize("bad_type", ["bogus", "privato", "pa office"])
def test_a_misspelt_customer_type_is_an_error_not_a_crash(bad_type: str) -> None:
    _clean, errors = validate_profile({**IT_COMPANY, "customer_type": bad_type})
    assert set(errors) == {"customer_type"}
    assert validate_field("customer_type", bad_type, {**IT_COMPANY, "customer_type": bad_type})[1]


def test_the_customer_type_is_read_in_any_case() -> None:
    clean, errors = validate_profile({**IT_COMPANY, "customer_type": " Company "})
    assert errors == {} and clean["customer_type"] == "company"


def test_italian_company_needs_an_sdi_code_or_a_pec() -> None:
    without = {**IT_COMPANY, "sdi_code": "", "pec": None}
    _clean, errors = validate_profile(without)
    assert set(errors) == {"sdi_code"}
    assert "PEC" in errors["sdi_code"]
    assert validate_profile({**without, "pec": "rossi@pec.example"})[1] == {}
    assert validate_profile({**without, "sdi_code": "0000000"})[1] == {}


def test_romanian_company_needs_neither_sdi_code_nor_pec() -> None:
    clean, errors = validate_profile({**RO_COMPANY, "sdi_code": "", "pec": ""})
    assert errors == {}
    assert clean["sdi_code"] is None and clean["pec"] is None


@pytest.mark.parametrize("country", ["RO", "DE", "FR"])
def test_public_administration_outside_italy_is_refused(country: str) -> None:
    _clean, errors = validate_profile({**IT_PA, "country": country})
    assert "country" in errors
    assert "Public Administration" in errors["country"]


def test_a_company_never_keeps_pa_fields() -> None:
    clean, errors = validate_profile({**IT_COMPANY, "pa_office_code": "UF01A1", "split_payment": True})
    assert errors == {}
    assert clean["pa_office_code"] is None
    assert clean["split_payment"] is False


def test_a_person_never_keeps_a_vat_number_or_pa_fields() -> None:
    clean, errors = validate_profile({**IT_PERSON, "vat_number": "00743110157", "pa_office_code": "UF01A1",
                                      "split_payment": "yes"})
    assert errors == {}
    assert clean["vat_number"] is None and clean["pa_office_code"] is None and clean["split_payment"] is False


def test_a_public_administration_never_keeps_sdi_code_or_pec() -> None:
    clean, errors = validate_profile({**IT_PA, "sdi_code": "ABC1234", "pec": "x@pec.example"})
    assert errors == {}
    assert clean["sdi_code"] is None and clean["pec"] is None
    assert clean["pa_office_code"] == "UF01A1"


def test_hidden_fields_are_not_validated() -> None:
    # A wrong PA office code on a company is irrelevant: it is dropped, not reported.
    clean, errors = validate_profile({**IT_COMPANY, "pa_office_code": "??"})
    assert errors == {} and clean["pa_office_code"] is None


@pytest.mark.parametrize(("text", "flag"), [("yes", True), ("Sì", True), ("1", True), (True, True),
                                             ("no", False), ("", False), ("0", False), (False, False)])
def test_split_payment_reads_yes_and_no(text: object, flag: bool) -> None:
    clean, errors = validate_profile({**IT_PA, "split_payment": text})
    assert errors == {}
    assert clean["split_payment"] is flag


# --- properties ----------------------------------------------------------------------------

_field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=40),
    st.sampled_from(["IT", "RO", "DE", "it", "", " ", "00743110157", "RSSMRA85T10A562S", "RO18547290",
                     "1800101221144", "UF01A1", "ABC1234", "a@b.example", "yes", "²³", "١٢٣٤٥٦٧٨٩٠١"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    customer_type=st.sampled_from([t.value for t in CustomerType]),
    values=st.fixed_dictionaries({k: _field_values for k in FIELD_KEYS if k != "customer_type"}),
)
def test_validate_profile_never_raises_and_reports_only_known_fields(customer_type: str, values: dict) -> None:
    clean, errors = validate_profile({**values, "customer_type": customer_type})
    assert set(errors) <= set(FIELD_KEYS)
    assert all(isinstance(r, str) and r for r in errors.values())
    assert set(clean) == set(FIELD_KEYS)
    visible = visible_fields(customer_type, str(clean["country"] or values.get("country") or ""))
    for key in set(FIELD_KEYS) - set(visible):
        # Whatever was typed into a field that does not apply, it is not kept.
        assert clean[key] in (None, False)
        assert key not in errors


@settings(max_examples=150, deadline=None)
@given(profile=st.sampled_from(list(VALID_PROFILES.values())))
def test_validating_a_clean_profile_again_changes_nothing(profile: dict) -> None:
    clean, errors = validate_profile(profile)
    assert errors == {}
    again, errors_again = validate_profile(clean)
    assert errors_again == {} and again == clean
