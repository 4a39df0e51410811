"""A group's link to its own Odoo, and what Loom knows it has put there."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, created_at, intpk
from marketplace.producers.models import ProducerGroup


class ErpLink(Base):
    __tablename__ = "erp_link"

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(String(300))
    database: Mapped[str] = mapped_column(String(120))
    login: Mapped[str] = mapped_column(String(200))
    api_key_encrypted: Mapped[str] = mapped_column(Text)  # Fernet token; the key comes from LOOM_SECRETS_KEY
    protocol: Mapped[str] = mapped_column(String(10), default="auto")  # auto, jsonrpc, xmlrpc, json2
    server_version: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="unchecked")  # unchecked, connected, failing
    last_error: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[dt.datetime | None]
    last_synced_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
    # How Loom's prices map to the taxes of this Odoo, chosen by the group's admin from Odoo's own sale taxes:
    # no tax (tax_id None), or one account.tax on every line, which Loom's prices include or not.
    tax_id: Mapped[int | None]
    tax_name: Mapped[str | None] = mapped_column(String(120))
    tax_rate: Mapped[Decimal | None]  # percent, as Odoo's `amount` of the tax
    prices_include_tax: Mapped[bool] = mapped_column(default=False, server_default=false())

    group: Mapped[ProducerGroup] = relationship()


class ErpBinding(Base):
    """One Loom thing (a buyer, a SKU, an order) and the Odoo record that stands for it in one group's Odoo."""

    __tablename__ = "erp_binding"
    __table_args__ = (UniqueConstraint("group_id", "local_model", "local_key"),)

    id: Mapped[intpk]
    group_id: Mapped[int] = mapped_column(ForeignKey("producer_group.id", ondelete="CASCADE"), index=True)
    local_model: Mapped[str] = mapped_column(String(40))  # buyer, sku, order, invoice
    local_key: Mapped[str] = mapped_column(String(120))
    odoo_model: Mapped[str] = mapped_column(String(60))
    odoo_id: Mapped[int]
    created_at: Mapped[created_at]
