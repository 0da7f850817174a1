"""How the tests find Fashion-MNIST and MNIST (conftest.real_data), and what they do without.

A fresh clone with no ``../shared`` and no network must still pass the README's test command:
the real-data tests are skipped there with one clear reason per data set, except under CI,
where missing data fails. The lookup and the download are faked here; nothing is downloaded.
"""

from __future__ import annotations

import conftest
import pytest

import squareone as sq
from squareone.datasets.mnist import DatasetNotFoundError

IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No data anywhere: an empty $SQUAREONE_DATA, no ../shared, a download that fails."""
    monkeypatch.setenv("SQUAREONE_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(conftest, "SHARED_DATASETS", tmp_path / "no-shared")
    monkeypatch.setattr(conftest, "_download_failures", {})
    attempts = []

    def no_network(name, path=None, *, timeout, **_):
        attempts.append((name, timeout))
        raise DatasetNotFoundError(f"MNIST files missing. Downloading https://example/{name} "
                                   "failed: <urlopen error [Errno -2] Name or service not "
                                   "known>.\nPut the official files into ...")

    monkeypatch.setattr(sq.datasets.mnist, "download_dataset", no_network)
    return attempts


def test_without_data_the_test_is_skipped_with_one_clear_reason(nowhere, tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        conftest.real_data("fashion-mnist")
    message = str(skipped.value)
    assert message.startswith("Fashion-MNIST not found in ")
    assert str(tmp_path / "data" / "fashion-mnist") in message  # where the library looks
    assert str(tmp_path / "no-shared" / "fashion-mnist") in message
    assert "the download failed (<urlopen error [Errno -2] Name or service not known>)" in message
    assert message.endswith("set SQUAREONE_DATA or allow the download")
    # The download is tried once per data set and session, with a short timeout.
    with pytest.raises(pytest.skip.Exception) as again:
        conftest.real_data("fashion-mnist")
    assert str(again.value) == message
    assert nowhere == [("fashion-mnist", conftest.DOWNLOAD_TIMEOUT_S)]
    assert conftest.DOWNLOAD_TIMEOUT_S <= 30


def test_under_ci_missing_data_fails(nowhere, monkeypatch):
    monkeypatch.setattr(conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match=r"^MNIST not found in .*allow the download$"):
        conftest.real_data("mnist")


@pytest.mark.parametrize("suffix", [".gz", ""])  # the library reads both
def test_data_where_the_library_looks_is_found_first(nowhere, tmp_path, monkeypatch, suffix):
    shared = tmp_path / "no-shared" / "mnist"
    for folder in (tmp_path / "data" / "mnist", shared):
        folder.mkdir(parents=True)
        for name in IDX_FILES:
            (folder / (name.removesuffix(".gz") + suffix)).write_bytes(b"")
    assert conftest.real_data("mnist") == tmp_path / "data" / "mnist"
    monkeypatch.delenv("SQUAREONE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # an empty cache
    assert conftest.real_data("mnist") == shared
    assert nowhere == []  # found: no download tried


def test_three_of_four_files_are_not_the_data_set(nowhere, tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "IN_CI", False)
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    for name in IDX_FILES[:3]:
        (folder / name).write_bytes(b"")
    with pytest.raises(pytest.skip.Exception):
        conftest.real_data("mnist")
