"""GET /metrics: Prometheus text, computed from the database at each scrape.

A fresh registry per scrape, filled from one database snapshot: no process-global counters, so every
worker (and a restarted one) answers the same. All series are gauges: a row's status moves (pending →
sent), so "rows with status X" can go down; `_total` in the names means "in the table", not a counter.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from brug.api.deps import SESSION_COOKIE, NowDep, SessionDep, SettingsDep, same_secret
from brug.core.metrics import Snapshot, read_snapshot
from brug.core.models import Role
from brug.core.staff import session_of

router = APIRouter()


class SnapshotCollector(Collector):
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        updates = GaugeMetricFamily(
            "brug_updates_total", "Telegram updates in the inbox, by status.", labels=["status"]
        )
        for name, count in sorted(snap.updates.items()):
            updates.add_metric([name], count)
        yield updates

        replies = GaugeMetricFamily(
            "brug_replies_total", "Telegram calls in the outbox, by status.", labels=["status"]
        )
        for name, count in sorted(snap.replies.items()):
            replies.add_metric([name], count)
        yield replies

        yield GaugeMetricFamily("brug_outbox_pending", "Outbox rows not yet sent.", value=snap.outbox_pending)
        yield GaugeMetricFamily(
            "brug_outbox_oldest_pending_age_seconds",
            "Age of the oldest unsent outbox row; 0 when none waits.",
            value=snap.outbox_oldest_pending_age,
        )

        cases = GaugeMetricFamily(
            "brug_cases_open",
            "Open and claimed cases, by severity and status.",
            labels=["severity", "status"],
        )
        for (severity, case_status), count in sorted(snap.cases_open.items()):
            cases.add_metric([severity, case_status], count)
        yield cases

        yield GaugeMetricFamily(
            "brug_cases_urgent_unclaimed", "Urgent cases nobody has claimed.", value=snap.urgent_unclaimed
        )
        yield GaugeMetricFamily(
            "brug_cases_urgent_unclaimed_oldest_age_seconds",
            "Age of the oldest unclaimed urgent case; 0 when there is none.",
            value=snap.urgent_unclaimed_oldest_age,
        )


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _check_access(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep) -> None:
    """The metrics token (for Prometheus) or a logged-in coordinator; else 401, or 403 for other staff."""
    expected = settings.brug_metrics_token
    given = _bearer(request)
    if expected is not None and given is not None and same_secret(given, expected):
        return
    cookie = request.cookies.get(SESSION_COOKIE)
    found = session_of(session, cookie, now) if cookie else None
    if found is None:
        detail = "wrong metrics token" if given is not None else "send the metrics token or log in"
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
        )
    if found[1].role != Role.COORDINATOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only coordinators can read the metrics")


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep) -> Response:
    _check_access(request, session, now, settings)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(read_snapshot(session, now)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
