"""poolcli.remote.storage and the URL side of inputs: what needs no server (the server's side is
tests/test_distributed.py)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from poolcli.batch.inputs import Source, remote_rel
from poolcli.batch.naming import output_name
from poolcli.batch.run_options import RunOptions
from poolcli.errors import ParameterError
from poolcli.remote import faults, storage
from poolcli.spec.pool_spec import PoolSpec


def test_what_is_a_url() -> None:
    assert (
        storage.is_remote("s3://b/k")
        and storage.is_remote("GS://b")
        and storage.is_remote("https://h/x.jpg")
    )
    assert not storage.is_remote("photos/a.jpg") and not storage.is_remote("file:///tmp/a.jpg")
    assert not storage.is_remote("C:/photos") and not storage.is_remote("-")
    assert storage.local("file:///tmp/a.jpg") == "/tmp/a.jpg"


def test_outputs_below_a_url_mirror_the_tree() -> None:
    run = RunOptions(PoolSpec("max", 2), output="s3://bucket/small/")
    assert run.output_kind == "folder" and run.writes_to == "s3://bucket/small/"
    source = Source("s3://bucket/photos/a/b/x.jpg", Path("a/b/x.jpg"))
    assert output_name(source, run, "jpg", 1, (8, 8)) == "s3://bucket/small/a/b/x_max_k2_s2_p1.jpg"
    single = RunOptions(PoolSpec("max", 2), output="s3://bucket/one.png")
    assert single.output_kind == "file"
    assert (
        output_name(source, single, "png", 1, (8, 8), suffix="_unpool")
        == "s3://bucket/one_unpool.png"
    )


@pytest.mark.parametrize(
    ("key", "kept"),
    [
        ("a/b/x.jpg", "a/b/x.jpg"),
        ("x.jpg", "x.jpg"),
        ("a/../../x.jpg", None),  # would climb out of the output folder
        ("../x.jpg", None),
        ("/x.jpg", None),  # absolute
        ("a//x.jpg", None),  # an empty part: no file system holds it
        ("a/./x.jpg", None),
        ("a/", None),
    ],
)
def test_object_keys_that_would_leave_the_output_folder_are_refused(
    key: str, kept: str | None
) -> None:
    found = remote_rel(key)
    assert (str(found) if found is not None else None) == kept


def test_credentials_are_refused_as_storage_options() -> None:
    assert storage.parse_option("endpoint_url=http://h:9000") == ("endpoint_url", "http://h:9000")
    assert storage.parse_option("anon=true") == ("anon", "true")
    for bad in (
        "key=AKIA",
        "secret=x",
        "token=x",
        "aws_secret_access_key=x",
        "password=x",
        "account_key=x",
        "sas_token=x",
    ):
        with pytest.raises(ParameterError, match="credentials are not taken"):
            storage.parse_option(bad)
    with pytest.raises(ParameterError, match="KEY=VALUE"):
        storage.parse_option("endpoint_url")


def test_transient_failures_are_retried_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(faults, "BACKOFF", 0.001)
    tries = []

    def flaky() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise faults.classify("s3://b/k", OSError(errno.EBUSY, "Service Unavailable"))
        return "stored"

    assert faults.retrying("s3://b/k", flaky) == "stored" and len(tries) == 3

    def down() -> None:
        tries.append(1)
        raise faults.classify("s3://b/k", TimeoutError("read timed out"))

    tries.clear()
    with pytest.raises(
        faults.StorageError, match=r"^s3://b/k: read timed out \(gave up after 4 tries\)$"
    ):
        faults.retrying("s3://b/k", down)
    assert len(tries) == faults.ATTEMPTS

    def missing() -> None:
        tries.append(1)
        raise faults.classify("s3://b/k", FileNotFoundError("b/k"))

    tries.clear()
    with pytest.raises(faults.StorageError, match=r"^s3://b/k: no such object$"):
        faults.retrying("s3://b/k", missing)
    assert len(tries) == 1  # never retried
