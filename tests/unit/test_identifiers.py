"""Tax identifiers, addresses and bank codes are accepted, normalised or refused with a reason (S000.4, S000.5)."""

from __future__ import annotations

import pytest

from billing_tui.domain import identifiers as ids

# (validator, arguments, expected normalised value)
VALID = [
    pytest.param(ids.check_it_vat, ("00743110157",), "00743110157", id="it-vat"),
    pytest.param(ids.check_it_vat, ("12345670033",), "12345670033", id="it-vat-2"),
    pytest.param(ids.check_it_vat, (" IT 00743110157 ",), "00743110157", id="it-vat-prefixed-spaced"),
    pytest.param(ids.check_it_fiscal_code, ("RSSMRA85T10A562S",), "RSSMRA85T10A562S", id="it-cf-person"),
    pytest.param(ids.check_it_fiscal_code, ("rssmra 85t10 a562s",), "RSSMRA85T10A562S", id="it-cf-lowercase-spaced"),
    pytest.param(ids.check_it_fiscal_code, ("00743110157",), "00743110157", id="it-cf-company-11-digits"),
    pytest.param(ids.check_ro_cif, ("RO18547290",), "RO18547290", id="ro-cif-prefixed"),
    pytest.param(ids.check_ro_cif, ("18547290",), "18547290", id="ro-cif"),
    pytest.param(ids.check_ro_cnp, ("1800101221144",), "1800101221144", id="ro-cnp"),
    pytest.param(ids.check_eu_vat, ("DE136695976",), "DE136695976", id="eu-vat-prefixed"),
    pytest.param(ids.check_eu_vat, ("de 136 695 976",), "DE136695976", id="eu-vat-lower-spaced"),
    pytest.param(ids.check_eu_vat, ("136695976", "DE"), "DE136695976", id="eu-vat-country-given"),
    pytest.param(ids.check_eu_vat, ("DE136695976", "DE"), "DE136695976", id="eu-vat-prefixed-and-country"),
    pytest.param(ids.check_email, (" mario.rossi@Example.COM ",), "mario.rossi@example.com", id="email"),
    pytest.param(ids.check_pa_office_code, (" uf01a1 ",), "UF01A1", id="pa-office-code"),
    pytest.param(ids.check_sdi_code, ("abc1234",), "ABC1234", id="sdi-code"),
    pytest.param(ids.check_sdi_code, ("0000000",), "0000000", id="sdi-code-none"),
    pytest.param(ids.check_iban, ("IT60X0542811101000000123456",), "IT60X0542811101000000123456", id="iban"),
    pytest.param(ids.check_iban, ("IT60 X054 2811 1010 0000 0123 456",), "IT60X0542811101000000123456", id="iban-spaced"),
    pytest.param(ids.check_vat_for_country, ("IT00743110157", "it"), "00743110157", id="vat-for-IT"),
    pytest.param(ids.check_vat_for_country, ("RO18547290", "RO"), "RO18547290", id="vat-for-RO"),
    pytest.param(ids.check_vat_for_country, ("136695976", "DE"), "DE136695976", id="vat-for-DE"),
    pytest.param(ids.check_vat_for_country, ("CHE-123.456.788", "CH"), "CHE-123.456.788", id="vat-outside-EU"),
]

# (validator, arguments, words the reason must contain: the field's name first)
INVALID = [
    pytest.param(ids.check_it_vat, ("00743110158",), ("Italian VAT", "check digit"), id="it-vat-check-digit"),
    pytest.param(ids.check_it_vat, ("0074311015",), ("Italian VAT", "number of characters"), id="it-vat-short"),
    pytest.param(ids.check_it_vat, ("007431101570",), ("Italian VAT", "number of characters"), id="it-vat-long"),
    pytest.param(ids.check_it_vat, ("0074311015A",), ("Italian VAT",), id="it-vat-letter"),
    pytest.param(ids.check_it_fiscal_code, ("RSSMRA85T10A562T",), ("Fiscal code", "check digit"), id="it-cf-check"),
    pytest.param(ids.check_it_fiscal_code, ("RSSMRA85T10A562",), ("Fiscal code", "number of characters"),
                 id="it-cf-short"),
    pytest.param(ids.check_it_fiscal_code, ("00743110158",), ("Fiscal code", "check digit"), id="it-cf-11-check"),
    pytest.param(ids.check_ro_cif, ("18547291",), ("Romanian CIF", "check digit"), id="ro-cif-check-digit"),
    pytest.param(ids.check_ro_cnp, ("1800101221145",), ("Romanian CNP", "check digit"), id="ro-cnp-check-digit"),
    pytest.param(ids.check_ro_cnp, ("180010122114",), ("Romanian CNP", "number of characters"), id="ro-cnp-short"),
    pytest.param(ids.check_eu_vat, ("DE136695977",), ("EU VAT", "check digit"), id="eu-vat-check-digit"),
    pytest.param(ids.check_eu_vat, ("136695976",), ("EU VAT",), id="eu-vat-no-country"),
    pytest.param(ids.check_email, ("mario.example.com",), ("Email", "@"), id="email-no-at"),
    pytest.param(ids.check_email, ("mario@",), ("Email",), id="email-no-domain"),
    pytest.param(ids.check_email, ("mario rossi@example.com",), ("Email",), id="email-space"),
    pytest.param(ids.check_pa_office_code, ("UF01A",), ("PA office code", "6"), id="pa-5-chars"),
    pytest.param(ids.check_pa_office_code, ("UF01A12",), ("PA office code", "6"), id="pa-7-chars"),
    pytest.param(ids.check_pa_office_code, ("UF-01A",), ("PA office code",), id="pa-punctuation"),
    pytest.param(ids.check_sdi_code, ("ABC123",), ("SdI", "7"), id="sdi-6-chars"),
    pytest.param(ids.check_sdi_code, ("ABC12345",), ("SdI", "7"), id="sdi-8-chars"),
    pytest.param(ids.check_iban, ("IT60X0542811101000000123457",), ("IBAN", "check digit"), id="iban-altered"),
    pytest.param(ids.check_iban, ("IT60X05428111010000001234",), ("IBAN",), id="iban-short"),
    pytest.param(ids.check_vat_for_country, ("00743110158", "IT"), ("Italian VAT", "check digit"), id="vat-for-IT"),
    pytest.param(ids.check_vat_for_country, ("18547291", "RO"), ("Romanian CIF",), id="vat-for-RO"),
    pytest.param(ids.check_vat_for_country, ("136695977", "DE"), ("EU VAT",), id="vat-for-DE"),
    pytest.param(ids.check_vat_for_country, ("!", "CH"), ("VAT number",), id="vat-outside-EU"),
]


@pytest.mark.parametrize(("check", "args", "normalised"), VALID)
def test_valid_value_is_accepted_and_normalised(check, args, normalised) -> None:  # type: ignore[no-untyped-def]
    value, reason = check(*args)
    assert reason is None
    assert value == normalised


@pytest.mark.parametrize(("check", "args", "words"), INVALID)
def test_invalid_value_is_refused_with_a_reason_naming_the_field(check, args, words) -> None:  # type: ignore[no-untyped-def]
    value, reason = check(*args)
    assert isinstance(reason, str) and reason.strip()
    assert reason.startswith(words[0]), reason
    for word in words[1:]:
        assert word in reason, reason
    # The user's input comes back untouched, so the form can show what was typed.
    assert value == args[0]


def test_a_private_persons_fiscal_code_cannot_be_a_company_number() -> None:
    _value, reason = ids.check_it_fiscal_code("00743110157", allow_numeric=False)
    assert reason is not None and "16" in reason
    assert ids.check_it_fiscal_code("RSSMRA85T10A562S", allow_numeric=False) == ("RSSMRA85T10A562S", None)


@pytest.mark.parametrize(("country", "eu"), [("IT", True), ("ro", True), ("DE", True), ("CH", False), ("GB", False)])
def test_eu_membership(country: str, eu: bool) -> None:
    assert ids.is_eu_country(country) is eu
