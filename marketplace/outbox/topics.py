"""The outbox topics: each names one job for one consumer, written as `area.verb_object`."""

from __future__ import annotations

SEND_MAIL = "mail.send"
INDEX_GROUP = "search.index_group"  # key: producer group id; payload: {"version": n}
SYNC_ORDER = "erp.sync_order"  # key: order id; the group's Odoo gets the order as a confirmed sale.order
SYNC_TRACE = "erp.sync_trace"  # key: order id; new trace events as chatter notes, the EPCIS file attached
SYNC_INVOICE = "erp.sync_invoice"  # key: invoice id; a posted customer invoice linked to the sale lines
SYNC_PAYMENT = "erp.sync_payment"  # key: invoice id; paid, refunded, paid out: the invoice in Odoo follows
SYNC_FEE = "erp.sync_fee"  # key: invoice id; Loom's fee on a direct payment as a vendor bill from Loom, paid, credited
TRANSFER_PAYOUT = "payments.transfer_payout"  # key: payout id; a Stripe transfer to the group's Connect account
REFUND_PAYMENT = "payments.refund_payment"  # key: refund id; a Stripe refund (and the group's transfer reversed)
READ_TRANSFER_RATE = "payments.read_transfer_rate"  # key: payout id; Stripe's exchange rate, when not read at once
IMPORT_GROUPS = "producers.import_groups"  # key: import job id; an uploaded spreadsheet's groups, batch by batch

TOPICS: frozenset[str] = frozenset(
    {
        SEND_MAIL,
        INDEX_GROUP,
        SYNC_ORDER,
        SYNC_TRACE,
        SYNC_INVOICE,
        SYNC_PAYMENT,
        SYNC_FEE,
        TRANSFER_PAYOUT,
        REFUND_PAYMENT,
        IMPORT_GROUPS,
        READ_TRANSFER_RATE,
    }
)
