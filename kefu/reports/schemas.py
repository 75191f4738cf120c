"""Shapes of the reports API (kefu/reports/api.py)."""

import datetime as dt

from ninja import Schema


class FigureOut(Schema):
    key: str
    label: str
    unit: str
    description: str
    dimensions: list[str]


class PointOut(Schema):
    date: dt.date
    value: float | None


class GroupOut(Schema):
    key: str
    label: str
    value: float | None
    previous: float | None
    delta: float | None
    percent: float | None


class ReportOut(Schema):
    key: str
    label: str
    unit: str
    since: dt.date
    until: dt.date
    total: float | None
    previous: float | None
    delta: float | None
    percent: float | None
    granularity: str  # day | month
    series: list[PointOut]
    by: str
    groups: list[GroupOut]
    ignored_filters: list[str]


class IssuedOut(Schema):
    id: int
    kind: str
    period_start: dt.date
    period_end: dt.date
    issued_at: dt.datetime


class IssuedFigureGroupOut(Schema):
    label: str
    value: float | None
    previous: float | None
    delta: float | None
    percent: float | None


class IssuedFigureOut(Schema):
    key: str
    label: str
    unit: str
    total: float | None
    previous: float | None
    delta: float | None
    percent: float | None
    by: str
    rows: list[IssuedFigureGroupOut]


class IssuedDetailOut(IssuedOut):
    figures: list[IssuedFigureOut]
