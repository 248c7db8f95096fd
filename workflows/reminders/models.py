"""Which daily runs are done, so the scheduler that looks every few minutes runs each once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class DailyRun(Base):
    """A job finished for a day of the company's calendar."""

    __tablename__ = "daily_job_run"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
