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


class DepartmentSummaryOut(Schema):
    id: int
    name: str
    complaints: int
    previous: int
    delta: float | None
    percent: float | None


class DepartmentListOut(Schema):
    since: dt.date
    until: dt.date
    note: str  # why the period differs from the one asked for (cut to ten years), or ""
    departments: list[DepartmentSummaryOut]


class DepartmentCategoryOut(Schema):
    label: str
    complaints: int
    repeated: bool  # the category came up twice or more in the period


class DepartmentCauseOut(Schema):
    ticket_id: int
    number: str
    cause: str


class DepartmentSuggestionOut(Schema):
    ticket_id: int
    number: str
    subject: str


class DepartmentAnalysisOut(DepartmentSummaryOut):
    since: dt.date
    until: dt.date
    note: str
    hours_to_plan: float | None
    hours_to_close: float | None
    categories: list[DepartmentCategoryOut]
    causes: list[DepartmentCauseOut]
    suggestions: list[DepartmentSuggestionOut]
