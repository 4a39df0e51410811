"""A creating form's one-time token and the page that shows what its first submission made."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, created_at


class Submission(Base):
    """One use of a form's hidden `submission` token: who sent it, and where its result is to be seen."""

    __tablename__ = "submission"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    result_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[created_at]
