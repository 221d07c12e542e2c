"""The words printed on documents and in their emails, in the document languages it, en and ro."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "invoice": {"it": "Fattura", "en": "Invoice", "ro": "Factură"},
    "cancellation": {"it": "Fattura di storno", "en": "Cancellation invoice", "ro": "Factură de stornare"},
    "credit_note": {"it": "Nota di credito", "en": "Credit note", "ro": "Notă de credit"},
    "number": {"it": "Numero", "en": "Number", "ro": "Număr"},
    "date": {"it": "Data", "en": "Date", "ro": "Data"},
    "due_date": {"it": "Scadenza", "en": "Due date", "ro": "Scadență"},
    "seller": {"it": "Cedente / prestatore", "en": "Seller", "ro": "Furnizor"},
    "customer": {"it": "Cessionario / committente", "en": "Customer", "ro": "Client"},
    "vat_number": {"it": "P. IVA", "en": "VAT no.", "ro": "CIF"},
    "fiscal_code": {"it": "Cod. fiscale", "en": "Fiscal code", "ro": "Cod fiscal"},
    "pa_office_code": {"it": "Codice univoco ufficio", "en": "PA office code", "ro": "Cod oficiu PA"},
    "sdi_code": {"it": "Codice destinatario", "en": "SdI recipient code", "ro": "Cod destinatar SdI"},
    "description": {"it": "Descrizione", "en": "Description", "ro": "Descriere"},
    "quantity": {"it": "Q.tà", "en": "Qty", "ro": "Cant."},
    "unit_price": {"it": "Prezzo unit.", "en": "Unit price", "ro": "Preț unitar"},
    "vat_rate": {"it": "IVA %", "en": "VAT %", "ro": "TVA %"},
    "amount": {"it": "Importo", "en": "Amount", "ro": "Valoare"},
    "vat_summary": {"it": "Riepilogo IVA", "en": "VAT summary", "ro": "Sinteză TVA"},
    "taxable": {"it": "Imponibile", "en": "Taxable", "ro": "Bază impozabilă"},
    "vat": {"it": "IVA", "en": "VAT", "ro": "TVA"},
    "total": {"it": "Totale documento", "en": "Total", "ro": "Total"},
    "amount_due": {"it": "Netto a pagare", "en": "Amount due", "ro": "Total de plată"},
    "payment": {"it": "Pagamento", "en": "Payment", "ro": "Plată"},
    "card": {"it": "Carta di credito", "en": "Credit card", "ro": "Card bancar"},
    "bank_transfer": {"it": "Bonifico bancario", "en": "Bank transfer", "ro": "Transfer bancar"},
    "paid": {"it": "Pagata", "en": "Paid", "ro": "Achitată"},
    "iban": {"it": "IBAN", "en": "IBAN", "ro": "IBAN"},
    "order": {"it": "Ordine", "en": "Order", "ro": "Comanda"},
    "notes": {"it": "Note", "en": "Notes", "ro": "Mențiuni"},
    "split_payment_note": {
        "it": "Scissione dei pagamenti ai sensi dell'art. 17-ter del DPR 633/1972: l'IVA è versata "
              "dall'ente pubblico all'Erario.",
        "en": "Split payment under art. 17-ter of Italian Presidential Decree 633/1972: the VAT is paid by the "
              "public administration directly to the State.",
        "ro": "Plată defalcată conform art. 17-ter DPR 633/1972 (Italia): TVA este virată de administrația "
              "publică direct la bugetul de stat.",
    },
    "cancels": {"it": "Storno totale della fattura {number} del {date}", "en": "Cancels invoice {number} of {date} in full",
                "ro": "Stornează integral factura {number} din {date}"},
    "credits": {"it": "Nota di credito sulla fattura {number} del {date}", "en": "Credit note on invoice {number} of {date}",
                "ro": "Notă de credit pentru factura {number} din {date}"},
    "reason": {"it": "Causale", "en": "Reason", "ro": "Motiv"},
    "cancels_undated": {"it": "Storno totale della fattura {number}", "en": "Cancels invoice {number} in full",
                        "ro": "Stornează integral factura {number}"},
    "credits_undated": {"it": "Nota di credito sulla fattura {number}", "en": "Credit note on invoice {number}",
                        "ro": "Notă de credit pentru factura {number}"},
    "role_partial": {"it": "Fattura parziale dell'ordine {order}", "en": "Partial invoice of order {order}",
                     "ro": "Factură parțială a comenzii {order}"},
    "role_advance": {"it": "Fattura di acconto sull'ordine {order}", "en": "Advance invoice on order {order}",
                     "ro": "Factură de avans pentru comanda {order}"},
    "role_instalment": {"it": "Rata {seq} di {count} dell'ordine {order}", "en": "Instalment {seq} of {count} of order {order}",
                        "ro": "Rata {seq} din {count} a comenzii {order}"},
    "role_final": {"it": "Fattura a saldo dell'ordine {order}", "en": "Final invoice of order {order}",
                   "ro": "Factură finală a comenzii {order}"},
    "earlier_partial": {"it": "Fattura parziale {number} del {date}: {total}",
                        "en": "Partial invoice {number} of {date}: {total}",
                        "ro": "Factură parțială {number} din {date}: {total}"},
    "earlier_advance": {"it": "Acconto {number} del {date}: {total} (dedotto)",
                        "en": "Advance invoice {number} of {date}: {total} (deducted)",
                        "ro": "Factură de avans {number} din {date}: {total} (dedusă)"},
    "earlier_instalment": {"it": "Rata {seq} di {count}, fattura {number} del {date}: {total}",
                           "en": "Instalment {seq} of {count}, invoice {number} of {date}: {total}",
                           "ro": "Rata {seq} din {count}, factura {number} din {date}: {total}"},
    "earlier_instalments_planned": {"it": "Rate da 1 a {last} di questo piano, con numero e data",
                                    "en": "Instalments 1 to {last} of this plan, by number and date",
                                    "ro": "Ratele 1-{last} ale acestui plan, cu număr și dată"},
    "advance_line": {"it": "Acconto sull'ordine {order}", "en": "Advance on order {order}",
                     "ro": "Avans pentru comanda {order}"},
    "less_advance": {"it": "Detrazione acconto {number} del {date}", "en": "Less advance {number} of {date}",
                     "ro": "Deducere avans {number} din {date}"},
    "instalment_line": {"it": "Rata {seq} di {count}, ordine {order}", "en": "Instalment {seq} of {count}, order {order}",
                        "ro": "Rata {seq} din {count}, comanda {order}"},
    "pec": {"it": "PEC", "en": "PEC (certified email)", "ro": "PEC"},
    "page": {"it": "Pagina {page} di {pages}", "en": "Page {page} of {pages}", "ro": "Pagina {page} din {pages}"},
    "mail_subject": {"it": "{kind} {number} di {seller}", "en": "{kind} {number} from {seller}",
                     "ro": "{kind} {number} de la {seller}"},
    "mail_body": {
        "it": "Gentile cliente,\n\nin allegato trova {kind_lower} n. {number} del {date}, totale {total}.\n\n"
              "Cordiali saluti,\n{seller}\n",
        "en": "Dear customer,\n\nplease find attached {kind_lower} no. {number} of {date}, total {total}.\n\n"
              "Kind regards,\n{seller}\n",
        "ro": "Stimate client,\n\nvă transmitem atașat {kind_lower} nr. {number} din {date}, total {total}.\n\n"
              "Cu stimă,\n{seller}\n",
    },
}
LANGUAGES = ("it", "en", "ro")


def t(key: str, language: str, **values: object) -> str:
    """The text ``key`` in ``language`` (Italian if the language is unknown), with ``values`` filled in."""
    entry = TEXTS[key]
    text = entry.get(language) or entry["it"]
    return text.format(**values) if values else text


def format_date(day: object, language: str) -> str:
    """A date as the document's language writes it (dd/mm/yyyy for it, dd.mm.yyyy for ro, ISO for en)."""
    from datetime import date

    assert isinstance(day, date)
    if language == "ro":
        return day.strftime("%d.%m.%Y")
    if language == "en":
        return day.isoformat()
    return day.strftime("%d/%m/%Y")


def format_amount(amount: object, currency: str, language: str) -> str:
    """An amount with its currency in the document's language (babel)."""
    from decimal import Decimal

    from babel.numbers import format_currency

    assert isinstance(amount, Decimal)
    locale = {"it": "it_IT", "en": "en_IE", "ro": "ro_RO"}.get(language, "it_IT")
    return format_currency(amount, currency, locale=locale)
