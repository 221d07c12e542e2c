"""The one catalog of words the product prints and sends: documents, emails, and the assistant's replies.

Every entry is a key with its text per language (``it``, ``en``, ``ro``; the assistant speaks ``it`` and
``en``); :func:`billing_tui.domain.i18n.t` looks one up and fills in its ``{values}``. Keys are grouped by
prefix: none for what is printed on documents and their emails, ``prepaid_`` for month-end zero
invoices, ``renewal_`` and ``period`` for renewals, ``assistant_`` and ``state_`` for the assistant.
"""

from __future__ import annotations

# --- printed on documents and in their emails ------------------------------------------------------------

DOCUMENTS: dict[str, dict[str, str]] = {
    "invoice": {"it": 'Fattura', "en": 'Invoice', "ro": 'Factură'},
    "cancellation": {"it": 'Fattura di storno', "en": 'Cancellation invoice', "ro": 'Factură de stornare'},
    "credit_note": {"it": 'Nota di credito', "en": 'Credit note', "ro": 'Notă de credit'},
    "number": {"it": 'Numero', "en": 'Number', "ro": 'Număr'},
    "date": {"it": 'Data', "en": 'Date', "ro": 'Data'},
    "due_date": {"it": 'Scadenza', "en": 'Due date', "ro": 'Scadență'},
    "seller": {"it": 'Cedente / prestatore', "en": 'Seller', "ro": 'Furnizor'},
    "customer": {"it": 'Cessionario / committente', "en": 'Customer', "ro": 'Client'},
    "vat_number": {"it": 'P. IVA', "en": 'VAT no.', "ro": 'CIF'},
    "fiscal_code": {"it": 'Cod. fiscale', "en": 'Fiscal code', "ro": 'Cod fiscal'},
    "pa_office_code": {"it": 'Codice univoco ufficio', "en": 'PA office code', "ro": 'Cod oficiu PA'},
    "sdi_code": {"it": 'Codice destinatario', "en": 'SdI recipient code', "ro": 'Cod destinatar SdI'},
    "description": {"it": 'Descrizione', "en": 'Description', "ro": 'Descriere'},
    "quantity": {"it": 'Q.tà', "en": 'Qty', "ro": 'Cant.'},
    "unit_price": {"it": 'Prezzo unit.', "en": 'Unit price', "ro": 'Preț unitar'},
    "vat_rate": {"it": 'IVA %', "en": 'VAT %', "ro": 'TVA %'},
    "amount": {"it": 'Importo', "en": 'Amount', "ro": 'Valoare'},
    "vat_summary": {"it": 'Riepilogo IVA', "en": 'VAT summary', "ro": 'Sinteză TVA'},
    "taxable": {"it": 'Imponibile', "en": 'Taxable', "ro": 'Bază impozabilă'},
    "vat": {"it": 'IVA', "en": 'VAT', "ro": 'TVA'},
    "total": {"it": 'Totale documento', "en": 'Total', "ro": 'Total'},
    "amount_due": {"it": 'Netto a pagare', "en": 'Amount due', "ro": 'Total de plată'},
    "payment": {"it": 'Pagamento', "en": 'Payment', "ro": 'Plată'},
    "card": {"it": 'Carta di credito', "en": 'Credit card', "ro": 'Card bancar'},
    "bank_transfer": {"it": 'Bonifico bancario', "en": 'Bank transfer', "ro": 'Transfer bancar'},
    "paid": {"it": 'Pagata', "en": 'Paid', "ro": 'Achitată'},
    "iban": {"it": 'IBAN', "en": 'IBAN', "ro": 'IBAN'},
    "order": {"it": 'Ordine', "en": 'Order', "ro": 'Comanda'},
    "notes": {"it": 'Note', "en": 'Notes', "ro": 'Mențiuni'},
    "split_payment_note": {
        "it": "Scissione dei pagamenti ai sensi dell'art. 17-ter del DPR 633/1972: l'IVA è versata dall'ente pubblico all'Erario.",
        "en": 'Split payment under art. 17-ter of Italian Presidential Decree 633/1972: the VAT is paid by the public administration directly to the State.',
        "ro": 'Plată defalcată conform art. 17-ter DPR 633/1972 (Italia): TVA este virată de administrația publică direct la bugetul de stat.',
    },
    "cancels": {
        "it": 'Storno totale della fattura {number} del {date}',
        "en": 'Cancels invoice {number} of {date} in full',
        "ro": 'Stornează integral factura {number} din {date}',
    },
    "credits": {
        "it": 'Nota di credito sulla fattura {number} del {date}',
        "en": 'Credit note on invoice {number} of {date}',
        "ro": 'Notă de credit pentru factura {number} din {date}',
    },
    "reason": {"it": 'Causale', "en": 'Reason', "ro": 'Motiv'},
    "cancels_undated": {
        "it": 'Storno totale della fattura {number}',
        "en": 'Cancels invoice {number} in full',
        "ro": 'Stornează integral factura {number}',
    },
    "credits_undated": {
        "it": 'Nota di credito sulla fattura {number}',
        "en": 'Credit note on invoice {number}',
        "ro": 'Notă de credit pentru factura {number}',
    },
    "role_partial": {
        "it": "Fattura parziale dell'ordine {order}",
        "en": 'Partial invoice of order {order}',
        "ro": 'Factură parțială a comenzii {order}',
    },
    "role_advance": {
        "it": "Fattura di acconto sull'ordine {order}",
        "en": 'Advance invoice on order {order}',
        "ro": 'Factură de avans pentru comanda {order}',
    },
    "role_instalment": {
        "it": "Rata {seq} di {count} dell'ordine {order}",
        "en": 'Instalment {seq} of {count} of order {order}',
        "ro": 'Rata {seq} din {count} a comenzii {order}',
    },
    "role_final": {
        "it": "Fattura a saldo dell'ordine {order}",
        "en": 'Final invoice of order {order}',
        "ro": 'Factură finală a comenzii {order}',
    },
    "earlier_partial": {
        "it": 'Fattura parziale {number} del {date}: {total}',
        "en": 'Partial invoice {number} of {date}: {total}',
        "ro": 'Factură parțială {number} din {date}: {total}',
    },
    "earlier_advance": {
        "it": 'Acconto {number} del {date}: {total} (dedotto)',
        "en": 'Advance invoice {number} of {date}: {total} (deducted)',
        "ro": 'Factură de avans {number} din {date}: {total} (dedusă)',
    },
    "earlier_instalment": {
        "it": 'Rata {seq} di {count}, fattura {number} del {date}: {total}',
        "en": 'Instalment {seq} of {count}, invoice {number} of {date}: {total}',
        "ro": 'Rata {seq} din {count}, factura {number} din {date}: {total}',
    },
    "earlier_instalments_planned": {
        "it": 'Rate da 1 a {last} di questo piano, con numero e data',
        "en": 'Instalments 1 to {last} of this plan, by number and date',
        "ro": 'Ratele 1-{last} ale acestui plan, cu număr și dată',
    },
    "advance_line": {
        "it": "Acconto sull'ordine {order}",
        "en": 'Advance on order {order}',
        "ro": 'Avans pentru comanda {order}',
    },
    "less_advance": {
        "it": 'Detrazione acconto {number} del {date}',
        "en": 'Less advance {number} of {date}',
        "ro": 'Deducere avans {number} din {date}',
    },
    "instalment_line": {
        "it": 'Rata {seq} di {count}, ordine {order}',
        "en": 'Instalment {seq} of {count}, order {order}',
        "ro": 'Rata {seq} din {count}, comanda {order}',
    },
    "pec": {"it": 'PEC', "en": 'PEC (certified email)', "ro": 'PEC'},
    "page": {"it": 'Pagina {page} di {pages}', "en": 'Page {page} of {pages}', "ro": 'Pagina {page} din {pages}'},
    "mail_subject": {
        "it": '{kind} {number} di {seller}',
        "en": '{kind} {number} from {seller}',
        "ro": '{kind} {number} de la {seller}',
    },
    "mail_body": {
        "it": 'Gentile cliente,\n\nin allegato trova {kind_lower} n. {number} del {date}, totale {total}.\n\nCordiali saluti,\n{seller}\n',
        "en": 'Dear customer,\n\nplease find attached {kind_lower} no. {number} of {date}, total {total}.\n\nKind regards,\n{seller}\n',
        "ro": 'Stimate client,\n\nvă transmitem atașat {kind_lower} nr. {number} din {date}, total {total}.\n\nCu stimă,\n{seller}\n',
    },
}

# --- month-end zero invoices of prepaid credit -----------------------------------------------------------

PREPAID: dict[str, dict[str, str]] = {
    "prepaid_used": {
        "it": 'Credito prepagato utilizzato – {month}',
        "en": 'Prepaid credit used – {month}',
        "ro": 'Credit preplătit utilizat – {month}',
    },
    "prepaid_storno": {
        "it": 'Storno acconto: fattura {number} del {date}',
        "en": 'Reversal of advance: invoice {number} of {date}',
        "ro": 'Stornare avans: factura {number} din {date}',
    },
    "prepaid_note": {
        "it": "Fattura a totale zero: riepiloga il credito prepagato utilizzato in {month} e storna la quota corrispondente dell'acconto già fatturato.",
        "en": 'Zero-total invoice: it reports the prepaid credit used in {month} and reverses the matching share of the advance already invoiced.',
        "ro": 'Factură cu total zero: raportează creditul preplătit utilizat în {month} și stornează partea corespunzătoare din avansul deja facturat.',
    },
    "prepaid_detail": {
        "it": 'Credito utilizzato con IVA {rate}%: imponibile {taxable}, IVA {vat}, totale {gross}',
        "en": 'Credit used at {rate}% VAT: taxable {taxable}, VAT {vat}, total {gross}',
        "ro": 'Credit utilizat cu TVA {rate}%: bază impozabilă {taxable}, TVA {vat}, total {gross}',
    },
}

# --- renewals: the period, and the customer's emails when a charge fails ---------------------------------

RENEWALS: dict[str, dict[str, str]] = {
    "renewal_declined_subject": {
        "it": 'Rinnovo non riuscito: {product}',
        "en": 'Renewal failed: {product}',
        "ro": 'Reînnoire eșuată: {product}',
    },
    "renewal_declined_body": {
        "it": 'Gentile {name},\n\nnon siamo riusciti ad addebitare {amount} sulla sua carta per il rinnovo di {product} ({period}): {reason}.\n\nAggiorni la carta di pagamento salvata: riproveremo il {next}.\n\n{seller}',
        "en": 'Dear {name},\n\nwe could not charge {amount} to your card for the renewal of {product} ({period}): {reason}.\n\nPlease update your saved card: we will try again on {next}.\n\n{seller}',
        "ro": 'Stimate {name},\n\nnu am putut debita {amount} de pe cardul dumneavoastră pentru reînnoirea {product} ({period}): {reason}.\n\nVă rugăm să actualizați cardul salvat: vom încerca din nou pe {next}.\n\n{seller}',
    },
    "renewal_suspended_subject": {
        "it": 'Abbonamento sospeso: {product}',
        "en": 'Subscription suspended: {product}',
        "ro": 'Abonament suspendat: {product}',
    },
    "renewal_suspended_body": {
        "it": "Gentile {name},\n\nnon siamo riusciti ad addebitare {amount} per il rinnovo di {product} ({period}) dopo più tentativi: {reason}.\n\nL'abbonamento è sospeso. Aggiorni la carta di pagamento e ci contatti per riattivarlo.\n\n{seller}",
        "en": 'Dear {name},\n\nwe could not charge {amount} for the renewal of {product} ({period}) after several attempts: {reason}.\n\nThe subscription is suspended. Please update your card and contact us to reactivate it.\n\n{seller}',
        "ro": 'Stimate {name},\n\nnu am putut debita {amount} pentru reînnoirea {product} ({period}) după mai multe încercări: {reason}.\n\nAbonamentul este suspendat. Vă rugăm să actualizați cardul și să ne contactați pentru reactivare.\n\n{seller}',
    },
    "period": {"it": 'periodo', "en": 'period', "ro": 'perioada'},
}

# --- the assistant's replies (it, en) and the states it names --------------------------------------------

ASSISTANT: dict[str, dict[str, str]] = {
    "assistant_not_understood": {
        "en": 'I did not understand that. I can do these, for example:',
        "it": 'Non ho capito. Posso fare queste cose, per esempio:',
    },
    "assistant_examples": {"en": 'I can do these, for example:', "it": 'Posso fare queste cose, per esempio:'},
    "assistant_confirm_issue": {
        "en": 'Type yes to issue, no to stop.',
        "it": 'Scrivi sì per emettere, no per fermarti.',
    },
    "assistant_confirm_plan": {
        "en": 'Type yes to make the plan, no to stop.',
        "it": 'Scrivi sì per creare il piano, no per fermarti.',
    },
    "assistant_confirm_ship": {
        "en": 'Type yes to ship it, no to stop.',
        "it": 'Scrivi sì per spedirlo, no per fermarti.',
    },
    "assistant_confirm_cancel": {
        "en": 'Type yes to cancel it, no to keep it.',
        "it": 'Scrivi sì per annullarlo, no per tenerlo.',
    },
    "assistant_nothing_issued": {"en": 'Nothing was issued.', "it": 'Non è stato emesso nulla.'},
    "assistant_nothing_changed": {"en": 'Nothing was changed.', "it": 'Non è stato cambiato nulla.'},
    "assistant_stopped": {"en": 'Stopped: nothing was done.', "it": 'Fermato: non ho fatto nulla.'},
    "assistant_stop_hint": {
        "en": '(Or type "stop" to drop this request.)',
        "it": '(Oppure scrivi "annulla" per lasciar perdere.)',
    },
    "assistant_ship": {
        "en": 'Order {order} of {customer} ({state}, total {total}) will be marked shipped: afterwards it is billed by its final invoice or in instalments, and no more lines can be added.',
        "it": "L'ordine {order} di {customer} ({state}, totale {total}) sarà segnato come spedito: poi si fattura con la fattura finale o a rate, e non si possono più aggiungere righe.",
    },
    "assistant_cancel": {
        "en": 'Order {order} of {customer} ({state}, total {total}) will be cancelled: it will never be invoiced.',
        "it": "L'ordine {order} di {customer} ({state}, totale {total}) sarà annullato: non sarà mai fatturato.",
    },
    "assistant_shipped": {
        "en": 'Order {order} is shipped. Bill it with its final invoice or in instalments.',
        "it": "L'ordine {order} è spedito. Fatturalo con la fattura finale o a rate.",
    },
    "assistant_cancelled": {
        "en": 'Order {order} is cancelled; it will not be invoiced.',
        "it": "L'ordine {order} è annullato; non sarà fatturato.",
    },
    "assistant_issued_one": {
        "en": 'Issued invoice {numbers}; its email is queued.',
        "it": "Emessa la fattura {numbers}; l'email è in coda.",
    },
    "assistant_issued_many": {
        "en": 'Issued {n} invoices: {numbers}; their emails are queued.',
        "it": 'Emesse {n} fatture: {numbers}; le email sono in coda.',
    },
    "assistant_planned": {
        "en": 'The plan is made: {n} instalments, each issued and emailed by the scheduler on its date.',
        "it": 'Il piano è creato: {n} rate, ciascuna emessa e inviata dallo scheduler alla sua data.',
    },
    "assistant_issued_now": {"en": 'Issued now: {numbers}.', "it": 'Emesse ora: {numbers}.'},
    "assistant_after": {
        "en": 'Order {order} is now {state}; left to bill {left}.',
        "it": "Ora l'ordine {order} è {state}; resta da fatturare {left}.",
    },
    "assistant_order_head": {
        "en": 'Order {order} of {customer}: {state}, created {created}.',
        "it": 'Ordine {order} di {customer}: {state}, creato il {created}.',
    },
    "assistant_order_totals": {
        "en": 'Total {total} (net {net}, VAT {vat}); invoiced {invoiced}; left to bill {left}.',
        "it": 'Totale {total} (imponibile {net}, IVA {vat}); fatturato {invoiced}; da fatturare {left}.',
    },
    "assistant_lines": {"en": 'Lines:', "it": 'Righe:'},
    "assistant_no_lines": {"en": 'No lines yet.', "it": 'Nessuna riga.'},
    "assistant_locked": {"en": 'billed by {number}', "it": 'fatturata da {number}'},
    "assistant_invoices": {"en": 'Invoices:', "it": 'Fatture:'},
    "assistant_no_invoices": {"en": 'No invoices yet.', "it": 'Nessuna fattura.'},
    "assistant_plan": {"en": 'Instalments:', "it": 'Rate:'},
    "assistant_more": {"en": '… and {n} more', "it": '… e altre {n}'},
    "assistant_orders_head": {"en": 'The latest orders, newest first:', "it": 'Gli ultimi ordini, dal più recente:'},
    "assistant_orders_cols": {
        "en": 'Order  Date       Customer           State       Total       Left',
        "it": 'Ordine Data       Cliente            Stato       Totale      Resta',
    },
    "assistant_no_orders": {"en": 'There are no orders yet.', "it": 'Non ci sono ancora ordini.'},
    "assistant_more_orders": {"en": 'More in the orders list.', "it": "Altri nell'elenco degli ordini."},
    "assistant_invoice_head": {
        "en": '{kind} {number} to {customer}: {status}, mail {mail}.',
        "it": '{kind} {number} a {customer}: {status}, email {mail}.',
    },
    "assistant_invoice_dates": {
        "en": 'Dated {issued}{due}; total {total} (net {net}, VAT {vat}).',
        "it": 'Data {issued}{due}; totale {total} (imponibile {net}, IVA {vat}).',
    },
    "assistant_due": {"en": ', due {due}', "it": ', scadenza {due}'},
    "assistant_of_cart": {"en": 'Cart {cart}.', "it": 'Carrello {cart}.'},
    "assistant_refers_to": {
        "en": 'Refers to {kind} {number} of {date}.',
        "it": 'Si riferisce a {kind} {number} del {date}.',
    },
    "assistant_linked": {
        "en": 'Linked: {kind} {number} of {date}, {total}.',
        "it": 'Collegata: {kind} {number} del {date}, {total}.',
    },
    "assistant_creditable": {"en": 'Still creditable: {amount}.', "it": 'Ancora accreditabile: {amount}.'},
    "assistant_cart_head": {
        "en": 'Cart {cart} of {customer}: {status}, created {created}.',
        "it": 'Carrello {cart} di {customer}: {status}, creato il {created}.',
    },
    "assistant_cart_states": {
        "en": 'Payment: {method}, {payment}. Order: {order}. Invoice: {invoice}.',
        "it": 'Pagamento: {method}, {payment}. Ordine: {order}. Fattura: {invoice}.',
    },
    "assistant_cart_totals": {
        "en": 'Total {total} (net {net}, VAT {vat}).',
        "it": 'Totale {total} (imponibile {net}, IVA {vat}).',
    },
    "state_draft": {"en": 'draft', "it": 'bozza'},
    "state_in_planning": {"en": 'in planning', "it": 'in pianificazione'},
    "state_in_progress": {"en": 'in progress', "it": 'in corso'},
    "state_shipped": {"en": 'shipped', "it": 'spedito'},
    "state_completed": {"en": 'completed', "it": 'completato'},
    "state_cancelled": {"en": 'cancelled', "it": 'annullato'},
    "state_planned": {"en": 'planned', "it": 'pianificata'},
    "state_issued": {"en": 'issued', "it": 'emessa'},
    "state_none": {"en": 'none', "it": 'nessuna'},
    "state_queued": {"en": 'queued', "it": 'in coda'},
    "state_sent": {"en": 'sent', "it": 'inviata'},
    "state_failed": {"en": 'failed', "it": 'non riuscita'},
}

TEXTS: dict[str, dict[str, str]] = {**DOCUMENTS, **PREPAID, **RENEWALS, **ASSISTANT}
"""Every text, by key."""
