"""/healthz names database, channel layer and worker; the worker's storage works in both modes."""

import pytest
from django.conf import settings
from huey import RedisHuey, SqliteHuey
from huey.contrib.djhuey import HUEY
from huey.utils import load_class

from kefu.core import worker


def configured_huey(**overrides):
    """A Huey on the storage the settings configure (SQLite file or Redis), not the immediate one."""
    config = {
        k: v for k, v in settings.HUEY.items() if k not in {"huey_class", "consumer", "immediate"}
    }
    config["name"] = f"{config['name']}-probe"
    config.update(overrides)
    return load_class(settings.HUEY["huey_class"])(immediate=False, **config)


@pytest.mark.django_db
def test_healthz_is_ok_and_names_each_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "worker"}
    assert body["checks"]["database"]["engine"] == (
        "postgresql" if settings.DATABASE_URL.startswith("postgres") else "sqlite"
    )
    expected_layer = "RedisPubSubLayer" if settings.REDIS_URL else "LocalChannelLayer"
    assert body["checks"]["channel_layer"] == {"state": "ok", "backend": expected_layer}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_worker_has_no_heartbeat(client, monkeypatch):
    idle = configured_huey()
    idle.flush()
    monkeypatch.setattr("kefu.web.views.HUEY", idle)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"state": "down", "error": "no heartbeat"}
    worker.record_heartbeat(idle)
    assert client.get("/healthz").status_code == 200
    idle.flush()


def test_the_configured_storage_queues_and_runs_tasks():
    huey = configured_huey()
    huey.flush()
    done = []

    @huey.task()
    def add(a, b):
        done.append(a + b)
        return a + b

    result = add(2, 3)
    assert huey.pending_count() == 1
    huey.execute(huey.dequeue())
    assert done == [5]
    assert result.get() == 5
    expected = RedisHuey if settings.REDIS_URL else SqliteHuey
    assert isinstance(huey, expected)  # scaled mode: a RedisHuey that keeps tasks through an outage
    huey.flush()


def test_a_stale_heartbeat_is_reported_down(monkeypatch):
    huey = configured_huey()
    huey.put(worker.HEARTBEAT_KEY, 0.0)  # 1970
    state = worker.worker_state(huey)
    assert state["state"] == "down" and state["heartbeat_age_seconds"] > 1e6
    huey.flush()


def test_tests_run_tasks_immediately():
    assert HUEY.immediate


@pytest.mark.django_db
@pytest.mark.asyncio
async def test_healthz_probes_leave_no_channel_behind():
    """Monitoring calls /healthz every few seconds for months: each probe must let its channel go."""
    from django.test import AsyncClient

    client = AsyncClient()
    for _ in range(3):
        assert (await client.get("/healthz")).status_code in (200, 503)
    if settings.REDIS_URL:
        import redis.asyncio as aioredis

        connection = aioredis.from_url(settings.REDIS_URL)
        assert [c for c in await connection.pubsub_channels() if b"healthz." in c] == []
        await connection.aclose()
    else:
        from channels.layers import get_channel_layer

        assert [c for c in get_channel_layer().channels if "healthz." in c] == []
