"""Coordinators' pages (people, canned replies, audit log, dashboard) and each key person's account."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
