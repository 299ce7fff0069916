"""The policy documents (政策文件, the 1+N+X system) the catalog's policies come from."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_policy.db_base import Base


class PolicyDocument(Base):
    """A policy document (文件) of the 1+N+X structure: level 1 the master policy, N sector policies, X rules."""

    __tablename__ = "policy_documents"
    __table_args__ = (CheckConstraint("level IN ('1', 'N', 'X')", name="ck_policy_documents_level"),)
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    doc_number: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(1))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("policy_documents.code"), nullable=True)
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
