"""The private parts of channels-redis and openpyxl that kefu builds on are still there.

kefu/realtime/layers.py publishes a batch of pushes through channels_redis' pub/sub shards, and the
customer import reads .xlsx files through a subclass of openpyxl's ExcelReader. pyproject.toml pins both
packages to the minor version these were written against; when a new version is taken (tools/lock.sh
--upgrade), this test says at once whether the internals moved, before a user finds out.
"""

import inspect

import channels_redis
import openpyxl
from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from packaging.requirements import Requirement
from packaging.version import Version

from kefu.realtime.layers import LocalChannelLayer, RedisPubSubLayer


def _pinned(name: str) -> Requirement:
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        if requirement.name == name:
            return requirement
    raise AssertionError(f"{name} is not a dependency")


def test_the_installed_versions_are_the_pinned_minor_versions():
    assert Version(channels_redis.__version__) in _pinned("channels-redis").specifier
    assert Version(openpyxl.__version__) in _pinned("openpyxl").specifier


def test_the_in_process_layer_still_keeps_groups_and_channel_queues_as_dicts():
    layer = LocalChannelLayer()
    assert isinstance(layer.groups, dict)
    assert isinstance(layer.channels, dict)
    assert callable(InMemoryChannelLayer._clean_expired)
    assert layer.get_capacity("x") > 0
    assert layer.expiry > 0


def test_the_redis_pubsub_layer_still_shards_and_names_group_channels_as_used():
    layer = RedisPubSubLayer(hosts=["redis://127.0.0.1:1/0"])  # never connects
    assert issubclass(RedisPubSubLayer, RedisPubSubChannelLayer)
    loop_layer = RedisPubSubLoopLayer(hosts=["redis://127.0.0.1:1/0"], channel_layer=layer)
    channel = loop_layer._get_group_channel_name("conversation.1")
    assert isinstance(channel, str) and "conversation.1" in channel
    shard = loop_layer._get_shard(channel)
    assert isinstance(shard, RedisSingleShardConnection)
    assert hasattr(shard, "_lock") and callable(shard._ensure_redis)
    assert "_redis" in inspect.getsource(RedisSingleShardConnection._ensure_redis)
    assert callable(layer._get_layer) and callable(layer.serialize)


def test_the_xlsx_reader_still_reads_shared_strings_through_the_hooks_the_import_overrides():
    assert callable(ExcelReader.read_strings)
    source = inspect.getsource(ExcelReader.read)
    assert "self.read_strings()" in source
    assert "self.shared_strings" in inspect.getsource(ExcelReader.read_worksheets)
    assert callable(ReadOnlyWorksheet.reset_dimensions)
    assert "_worksheet_path" in inspect.getsource(ReadOnlyWorksheet.__init__)
