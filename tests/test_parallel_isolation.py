"""Parallel test workers stay apart: each has its own database, so each needs its own data folder and
its own Redis namespace (channel layer prefix, Huey queue).

The cause of a chat push reaching another visitor's socket in a PostgreSQL CI run (issue 10.8): the
xdist controller imports tests/settings.py before it starts its workers, which inherit its
environment, so every worker of a run took the controller's KEFU_INSTANCE. Each worker's test
database numbers conversations from 1, and `conversation.1.visitor` in one worker was the same Redis
channel as `conversation.1.visitor` in the other: one worker's push reached the other worker's
visitor. This runs a small parallel session (two workers, the same probe on each) and checks.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = '''
import asyncio, json, os, time
from pathlib import Path

from channels.layers import get_channel_layer
from django.conf import settings

from kefu.realtime import audiences

OUT = Path(os.environ["KEFU_PROBE_DIR"])


def test_probe():
    worker = os.environ["PYTEST_XDIST_WORKER"]
    found = {
        "instance": settings.KEFU_INSTANCE,
        "data_dir": str(settings.DATA_DIR),
        "huey": settings.HUEY["name"],
        "received": asyncio.run(exchange(worker)) if settings.REDIS_URL else None,
    }
    (OUT / f"{worker}.json").write_text(json.dumps(found))


async def exchange(worker):
    """Follow the first chat's visitor group as a widget socket does, push to it once both workers
    follow theirs, and list whose pushes arrived."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = audiences.visitor_group(1)
    await layer.group_add(group, channel)
    (OUT / f"ready-{worker}").touch()
    deadline = time.monotonic() + 30
    while len(list(OUT.glob("ready-*"))) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await layer.group_send(group, {"type": "push", "payload": {"from": worker}})
    received = []
    try:
        while True:
            message = await asyncio.wait_for(layer.receive(channel), 2)
            received.append(message["payload"]["from"])
    except asyncio.TimeoutError:
        return received
'''


def test_two_parallel_workers_share_no_data_folder_and_no_redis_namespace(tmp_path):
    probe_dir = tmp_path / "out"
    probe_dir.mkdir()
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {
        k: v
        for k, v in os.environ.items()
        # A fresh run, as `./run.sh test` starts one: nothing inherited from this session's own run.
        if not k.startswith(("PYTEST_", "KEFU_TEST"))
        and k not in {"KEFU_INSTANCE", "KEFU_DATA_DIR"}
    }
    env.update(
        KEFU_PROBE_DIR=str(probe_dir),
        PYTHONPATH=str(REPO),
        DJANGO_SETTINGS_MODULE="tests.settings",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "each",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            str(tmp_path / "test_probe.py"),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    gw0, gw1 = (json.loads((probe_dir / f"gw{n}.json").read_text()) for n in (0, 1))
    assert gw0["instance"] != gw1["instance"]
    assert gw0["huey"] != gw1["huey"]
    assert gw0["data_dir"] != gw1["data_dir"]
    if gw0["received"] is not None:  # scaled mode: what a visitor socket of each worker would get
        assert (gw0["received"], gw1["received"]) == (["gw0"], ["gw1"])
