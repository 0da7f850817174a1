"""Tests for squareone.datasets.mnist against the real Fashion-MNIST and MNIST files.

The official files are found as ``conftest.real_data`` finds them
(``$SQUAREONE_DATA``, the cache, ``<repo>/../shared/datasets``). Without them the
tests that read them are skipped with the reason, and under CI (``CI=true``) they
fail, so a CI run cannot pass without having checked the loaders on the real data.
Downloads are only ever made from a local HTTP server or file:// URLs; an
autouse guard makes any other URL an error.
"""

from __future__ import annotations

import gzip
import shutil
import struct
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from conftest import real_data
from PIL import Image

from squareone.datasets.mnist import (
    DATASET_NAMES,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_SHA256,
    FASHION_MNIST_URL,
    MNIST_CLASSES,
    MNIST_SHA256,
    DatasetIntegrityError,
    DatasetNotFoundError,
    class_names,
    default_data_dir,
    download_dataset,
    find_dataset,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    read_idx,
)

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
ALL_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

# An address where nothing listens (the "discard" port): connecting fails at once.
UNREACHABLE = "http://127.0.0.1:9/"


def shared(name: str) -> Path:
    """The folder of the real data set ``name`` (skipped without it, failed under CI)."""
    folder = real_data(name)
    missing = [f for f in ALL_FILES if not (folder / f).is_file()]
    assert not missing, f"{folder} has the files uncompressed; these tests read the .gz files"
    return folder


def decode(path: Path, header_bytes: int) -> np.ndarray:
    """The IDX decoding recipe of the shared README, independent of squareone."""
    with gzip.open(path) as file:
        return np.frombuffer(file.read(), np.uint8, offset=header_bytes)


def reference(name: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    folder = shared(name)
    return (
        (decode(folder / TRAIN_IMAGES, 16).reshape(-1, 28, 28), decode(folder / TRAIN_LABELS, 8)),
        (decode(folder / TEST_IMAGES, 16).reshape(-1, 28, 28), decode(folder / TEST_LABELS, 8)),
    )


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """Encode a uint8 array as IDX (written here, not with the code under test)."""
    if magic is None:
        magic = 0x0800 + array.ndim
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()


def write_idx_set(
    folder: Path,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    gz: bool = False,
) -> None:
    """Write four IDX files (raw, or gzip under the official .gz names)."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = (*train, *test)
    for name, array in zip(ALL_FILES, arrays, strict=True):
        data = idx_bytes(array)
        if gz:
            (folder / name).write_bytes(gzip.compress(data))
        else:
            (folder / name.removesuffix(".gz")).write_bytes(data)


def assert_same(loaded: Any, expected: Any) -> None:
    (X, y), (X_test, y_test) = loaded
    (eX, ey), (eX_test, ey_test) = expected
    for got, want in ((X, eX), (y, ey), (X_test, eX_test), (y_test, ey_test)):
        assert got.dtype == np.uint8
        assert got.shape == want.shape
        assert np.array_equal(got, want)


# --- fixtures ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any download that is not from this machine."""
    real_urlopen = urllib.request.urlopen

    def local_only(url: Any, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url if isinstance(url, str) else url.full_url)
        if parts.scheme != "file" and parts.hostname != "127.0.0.1":
            raise AssertionError(f"a test tried to reach the internet: {url}")
        return real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", local_only)
    # A proxy from the environment must not intercept the local test server.
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.fixture(scope="module")
def fashion() -> Any:
    return load_fashion_mnist(shared("fashion-mnist"), download=False)


@pytest.fixture(scope="module")
def fashion_reference() -> Any:
    return reference("fashion-mnist")


@pytest.fixture(scope="module")
def mnist() -> Any:
    return load_mnist(shared("mnist"), download=False)


@pytest.fixture(scope="module")
def mnist_reference() -> Any:
    return reference("mnist")


@pytest.fixture
def small(fashion_reference: Any) -> Any:
    """The first 150 train and 30 test Fashion-MNIST images, with labels."""
    (X, y), (X_test, y_test) = fashion_reference
    return (X[:150], y[:150]), (X_test[:30], y_test[:30])


@dataclass
class Server:
    root: Path  # the folder served
    url: str  # its base URL
    cut: set[str] = field(default_factory=set)  # names sent with half their body


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A local HTTP server on 127.0.0.1, shut down after the test."""
    root = tmp_path / "served"
    root.mkdir()
    cut: set[str] = set()

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

        def copyfile(self, source: Any, outputfile: Any) -> None:
            if Path(self.path).name in cut:  # Content-Length is already sent in full
                data = source.read()
                outputfile.write(data[: len(data) // 2])
                return
            super().copyfile(source, outputfile)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield Server(root, f"http://127.0.0.1:{httpd.server_address[1]}/", cut)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# --- the real data -------------------------------------------------------------


def test_fashion_mnist_shapes_and_class_counts(fashion: Any) -> None:
    (X, y), (X_test, y_test) = fashion
    assert X.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert y.shape == (60000,) and y_test.shape == (10000,)
    assert X.dtype == y.dtype == X_test.dtype == y_test.dtype == np.uint8
    assert np.bincount(y).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert X.flags.writeable  # callers may normalise in place


def test_fashion_mnist_equals_independent_decoding(fashion: Any, fashion_reference: Any) -> None:
    assert_same(fashion, fashion_reference)


def test_fashion_mnist_known_facts(fashion: Any) -> None:
    (X, y), (X_test, y_test) = fashion
    # The widely quoted normalisation constants of Fashion-MNIST's training set.
    assert abs(X.mean() / 255 - 0.2860) < 5e-4
    assert abs(X.std() / 255 - 0.3530) < 5e-4
    assert FASHION_MNIST_CLASSES[y[0]] == "Ankle boot"  # the first training image
    assert FASHION_MNIST_CLASSES[y_test[0]] == "Ankle boot"
    assert X.min() == 0 and X.max() == 255


def test_mnist_shapes_and_class_counts(mnist: Any) -> None:
    (X, y), (X_test, y_test) = mnist
    assert X.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert X.dtype == y.dtype == np.uint8
    assert np.bincount(y).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == MNIST_TEST_COUNTS


def test_mnist_equals_independent_decoding_and_known_facts(
    mnist: Any, mnist_reference: Any
) -> None:
    assert_same(mnist, mnist_reference)
    (X, y), (_, y_test) = mnist
    assert abs(X.mean() / 255 - 0.1307) < 5e-4  # the usual MNIST mean and std
    assert abs(X.std() / 255 - 0.3081) < 5e-4
    assert y[:5].tolist() == [5, 0, 4, 1, 9] and y_test[:3].tolist() == [7, 2, 1]


def test_shared_files_have_the_checksums_in_the_code() -> None:
    # download_dataset() keeps files it can verify: nothing is fetched, no error.
    for name, sums in (("fashion-mnist", FASHION_MNIST_SHA256), ("mnist", MNIST_SHA256)):
        assert sorted(sums) == sorted(ALL_FILES)
        assert download_dataset(name, shared(name), base_url=UNREACHABLE) == shared(name)


def test_raw_files_give_the_same_arrays_as_gzip(tmp_path: Path, mnist: Any) -> None:
    for name in ALL_FILES:
        with gzip.open(shared("mnist") / name) as source:
            (tmp_path / name.removesuffix(".gz")).write_bytes(source.read())
    assert_same(load_mnist(tmp_path, download=False), mnist)


def test_parent_folder_with_named_subfolder_is_accepted(tmp_path: Path, small: Any) -> None:
    write_idx_set(tmp_path / "fashion-mnist", *small)
    assert_same(load_fashion_mnist(tmp_path, download=False), small)
    assert_same(load_dataset("Fashion_MNIST", tmp_path, download=False), small)


# --- the book's PNG folders ------------------------------------------------------


def write_png_tree(root: Path, data: Any, *, name_width: int) -> None:
    for split, (images, labels) in zip(("train", "test"), data, strict=True):
        counters = [0] * 10
        for image, label in zip(images, labels, strict=True):
            folder = root / split / str(label)
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{counters[label]:0{name_width}d}.png")
            counters[label] += 1


def grouped_by_label(data: Any) -> Any:
    """What the PNG layout must give: images in label order, stable within a label."""
    result = []
    for images, labels in data:
        order = np.argsort(labels, kind="stable")
        result.append((images[order], labels[order]))
    return tuple(result)


def test_book_png_folders_match_idx(tmp_path: Path, small: Any) -> None:
    write_png_tree(tmp_path / "fashion_mnist_images", small, name_width=4)  # 0000.png
    (X, y), (X_test, y_test) = loaded = load_fashion_mnist(tmp_path, download=False)
    assert X.shape == (150, 28, 28) and X.dtype == np.uint8 and y.dtype == np.uint8
    assert_same(loaded, grouped_by_label(small))


def test_png_folders_directly_sort_names_numerically(tmp_path: Path, small: Any) -> None:
    # Unpadded names: 10.png must come after 2.png, not between 1.png and 2.png.
    write_png_tree(tmp_path, small, name_width=1)
    assert len(list(tmp_path.glob("train/*/1?.png"))) > 0  # the test needs two-digit names
    assert_same(load_fashion_mnist(tmp_path, download=False), grouped_by_label(small))


def test_png_of_wrong_size_is_named(tmp_path: Path, small: Any) -> None:
    write_png_tree(tmp_path, small, name_width=4)
    bad = tmp_path / "test" / "3" / "0000.png"
    Image.new("L", (32, 28)).save(bad)
    with pytest.raises(ValueError, match=r"0000\.png: image is 28x32 pixels, expected 28x28"):
        load_fashion_mnist(tmp_path, download=False)


def test_png_split_without_images_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "train" / "0").mkdir(parents=True)
    (tmp_path / "test").mkdir()
    with pytest.raises(ValueError, match="no PNG images found"):
        load_mnist(tmp_path, download=False)


# --- IDX validation -------------------------------------------------------------


def test_read_idx_reads_raw_and_gzip_by_content(tmp_path: Path) -> None:
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = tmp_path / "a.gz"  # misleading name: not compressed
    raw.write_bytes(idx_bytes(array))
    packed = tmp_path / "b"
    packed.write_bytes(gzip.compress(idx_bytes(array)))
    assert np.array_equal(read_idx(raw), array)
    assert np.array_equal(read_idx(packed, magic=2051), array)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_idx_is_a_clear_error(tmp_path: Path, small: Any, gz: bool) -> None:
    write_idx_set(tmp_path, *small, gz=False)
    images = tmp_path / "t10k-images-idx3-ubyte"
    data = images.read_bytes()[:-100]
    if gz:
        images.unlink()
        images = tmp_path / TEST_IMAGES
        images.write_bytes(gzip.compress(data))
    else:
        images.write_bytes(data)
    pattern = r"t10k-images-idx3-ubyte.*truncated.*30x28x28 = 23520 data bytes.*holds 23420"
    with pytest.raises(ValueError, match=pattern):
        load_fashion_mnist(tmp_path, download=False, verify=False)


def test_extra_bytes_are_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.zeros(5, np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match=r"labels: too long.*5 = 5 data bytes.*holds 6"):
        read_idx(path)


def test_cut_gzip_stream_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / TEST_LABELS
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(1000, np.uint8)))[:-20])
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz: corrupt or truncated gzip"):
        read_idx(path)


def test_swapped_files_are_caught_by_magic(tmp_path: Path, small: Any) -> None:
    write_idx_set(tmp_path, *small)
    images, labels = tmp_path / "train-images-idx3-ubyte", tmp_path / "train-labels-idx1-ubyte"
    swap = tmp_path / "swap"
    images.rename(swap)
    labels.rename(images)
    swap.rename(labels)
    with pytest.raises(
        ValueError,
        match=r"train-images-idx3-ubyte: magic number is 2049 \(IDX labels\), "
        r"expected 2051 \(IDX images\)",
    ):
        load_fashion_mnist(tmp_path, download=False)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"\x00\x00", r"too short for an IDX file \(2 bytes\)"),
        (struct.pack(">I", 0x0D03), r"magic number is 3331; not an IDX file of unsigned bytes"),
        (struct.pack(">II", 2051, 7), r"truncated IDX header"),
        (b"PK\x03\x04" + bytes(20), r"magic number is 1347093252"),
    ],
)
def test_bad_headers_are_named(tmp_path: Path, content: bytes, pattern: str) -> None:
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"bad-idx: " + pattern):
        read_idx(path)


def test_wrong_image_size_and_count_mismatch(tmp_path: Path, small: Any) -> None:
    (X, y), test = small
    write_idx_set(tmp_path / "a", (X[:, :27, :], y), test)
    with pytest.raises(ValueError, match=r"images are 27x28 pixels, expected 28x28"):
        load_fashion_mnist(tmp_path / "a", download=False)
    write_idx_set(tmp_path / "b", (X, y[:-1]), test)
    with pytest.raises(ValueError, match=r"holds 150 images but .*train-labels.* holds 149 labels"):
        load_fashion_mnist(tmp_path / "b", download=False)


def test_label_out_of_range(tmp_path: Path, small: Any) -> None:
    (X, y), test = small
    y = y.copy()
    y[3] = 10
    write_idx_set(tmp_path, (X, y), test)
    with pytest.raises(ValueError, match=r"label 10 is out of range.*0\.\.9"):
        load_fashion_mnist(tmp_path, download=False)


def test_local_gz_with_wrong_checksum(tmp_path: Path, small: Any) -> None:
    # Valid IDX content under an official .gz name, but not the official bytes.
    write_idx_set(tmp_path, *small, gz=True)
    with pytest.raises(DatasetIntegrityError, match=r"train-images-idx3-ubyte\.gz: SHA-256") as err:
        load_fashion_mnist(tmp_path, download=False)
    assert "verify=False" in str(err.value)
    assert (tmp_path / TRAIN_IMAGES).is_file()  # a user's own file is never deleted
    assert_same(load_fashion_mnist(tmp_path, download=False, verify=False), small)


# --- where the data is looked for -------------------------------------------------


def test_cache_folder_follows_squareone_data(
    tmp_path: Path, small: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQUAREONE_DATA", str(tmp_path / "cache"))
    assert default_data_dir() == tmp_path / "cache"
    assert default_data_dir("fashion-mnist") == tmp_path / "cache" / "fashion-mnist"
    assert default_data_dir("MNIST") == tmp_path / "cache" / "mnist"
    write_idx_set(tmp_path / "cache" / "fashion-mnist", *small)
    assert_same(load_fashion_mnist(download=False), small)
    assert_same(load_dataset("fashion-mnist", download=False), small)


def test_cache_folder_defaults_to_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQUAREONE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_data_dir("mnist") == tmp_path / ".cache" / "squareone" / "mnist"
    monkeypatch.setenv("SQUAREONE_DATA", "")  # empty counts as unset
    assert default_data_dir() == tmp_path / ".cache" / "squareone"


def test_find_dataset_says_where_a_load_would_find_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    images, labels = np.zeros((2, 28, 28), np.uint8), np.array([1, 2], np.uint8)
    monkeypatch.setenv("SQUAREONE_DATA", str(tmp_path / "cache"))
    assert find_dataset("mnist", [tmp_path / "elsewhere"]) is None  # nowhere yet
    write_idx_set(tmp_path / "elsewhere" / "mnist", (images, labels), (images, labels), gz=True)
    # A folder holding mnist/ counts, as path= of the loaders takes it.
    assert find_dataset("mnist", [tmp_path / "elsewhere"]) == tmp_path / "elsewhere" / "mnist"
    assert find_dataset("fashion-mnist", [tmp_path / "elsewhere"]) is None
    # The cache ($SQUAREONE_DATA) comes first; uncompressed files count too.
    write_idx_set(tmp_path / "cache" / "mnist", (images, labels), (images, labels))
    found = find_dataset("MNIST", [tmp_path / "elsewhere"])
    assert found == tmp_path / "cache" / "mnist"
    assert np.array_equal(load_mnist(found, download=False)[1][1], labels)
    # Three files of four are not a data set: a load would fail, so it is not found.
    (tmp_path / "cache" / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    assert find_dataset("mnist") is None
    assert find_dataset("mnist", [tmp_path / "elsewhere"]) == tmp_path / "elsewhere" / "mnist"
    with pytest.raises(ValueError, match="name must be one of"):
        find_dataset("cifar")


def test_missing_files_without_download(tmp_path: Path) -> None:
    folder = tmp_path / "nothing-here"
    with pytest.raises(DatasetNotFoundError) as err:
        load_fashion_mnist(folder, download=False)
    message = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    assert f"Put the official files into {folder}" in message
    assert "download=False" in message and "SQUAREONE_DATA" in message
    assert all(name in message for name in ALL_FILES)
    assert FASHION_MNIST_URL + TRAIN_IMAGES in message
    assert not folder.exists()  # nothing is created when nothing is downloaded


def test_no_network_names_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SQUAREONE_DATA", str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist(base_url=UNREACHABLE)
    message = str(err.value)
    folder = tmp_path / "mnist"
    assert f"MNIST files missing from {folder}" in message
    assert f"Put the official files into {folder}" in message
    assert f"Downloading {UNREACHABLE}{TRAIN_IMAGES} failed" in message
    assert all(name in message for name in ALL_FILES)
    assert list(folder.iterdir()) == []  # no partial files left behind


# --- downloading -------------------------------------------------------------------


def test_download_from_local_server(
    tmp_path: Path, server: Server, mnist_reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ALL_FILES:
        shutil.copyfile(shared("mnist") / name, server.root / name)
    monkeypatch.setenv("SQUAREONE_DATA", str(tmp_path / "cache"))
    assert_same(load_mnist(base_url=server.url), mnist_reference)
    folder = tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(ALL_FILES)  # no temp files
    for name in ALL_FILES:
        assert (folder / name).read_bytes() == (shared("mnist") / name).read_bytes()
    # Now cached and verified: no download is attempted.
    assert download_dataset("mnist", base_url=UNREACHABLE) == folder


def test_only_missing_files_are_downloaded(
    tmp_path: Path, server: Server, mnist_reference: Any
) -> None:
    for name in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES):
        shutil.copyfile(shared("mnist") / name, tmp_path / name)
    shutil.copyfile(shared("mnist") / TEST_LABELS, server.root / TEST_LABELS)  # only this one
    assert_same(load_dataset("mnist", tmp_path, base_url=server.url), mnist_reference)


def test_download_from_file_url(tmp_path: Path) -> None:
    folder = download_dataset(
        "fashion-mnist", tmp_path, base_url=shared("fashion-mnist").as_uri(), files=[TEST_LABELS]
    )
    assert folder == tmp_path
    assert [p.name for p in tmp_path.iterdir()] == [TEST_LABELS]
    expected = (shared("fashion-mnist") / TEST_LABELS).read_bytes()
    assert (tmp_path / TEST_LABELS).read_bytes() == expected


def test_corrupted_download_is_removed(tmp_path: Path, server: Server) -> None:
    data = bytearray((shared("fashion-mnist") / TEST_LABELS).read_bytes())
    data[100] ^= 0xFF
    (server.root / TEST_LABELS).write_bytes(bytes(data))
    target = tmp_path / "dest"
    with pytest.raises(DatasetIntegrityError, match=r"t10k-labels.*SHA-256.*removed"):
        download_dataset("fashion-mnist", target, base_url=server.url, files=[TEST_LABELS])
    assert list(target.iterdir()) == []


def test_corrupt_cached_file_is_replaced_by_download(tmp_path: Path, server: Server) -> None:
    source = shared("mnist") / TEST_LABELS
    shutil.copyfile(source, server.root / TEST_LABELS)
    (tmp_path / TEST_LABELS).write_bytes(b"junk")
    download_dataset("mnist", tmp_path, base_url=server.url, files=[TEST_LABELS])
    assert (tmp_path / TEST_LABELS).read_bytes() == source.read_bytes()


def test_truncated_download_is_removed(tmp_path: Path, server: Server) -> None:
    shutil.copyfile(shared("mnist") / TEST_LABELS, server.root / TEST_LABELS)
    server.cut.add(TEST_LABELS)
    target = tmp_path / "dest"
    with pytest.raises(DatasetIntegrityError, match=r"truncated: received 2271 of 4542 bytes"):
        download_dataset("mnist", target, base_url=server.url, files=[TEST_LABELS], timeout=10)
    assert list(target.iterdir()) == []


def test_http_error_is_dataset_not_found(tmp_path: Path, server: Server) -> None:
    # The server is up but has no files: HTTP 404.
    target = tmp_path / "dest"
    with pytest.raises(DatasetNotFoundError, match=r"404") as err:
        download_dataset("mnist", target, base_url=server.url, files=[TEST_LABELS])
    assert f"Put the official files into {target}" in str(err.value)
    assert list(target.iterdir()) == []


def test_download_rejects_unknown_file_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"files must be among .*received \['README'\]"):
        download_dataset("mnist", tmp_path, files=["README"])


# --- names -------------------------------------------------------------------------


def test_class_names() -> None:
    assert FASHION_MNIST_CLASSES == (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    )
    assert MNIST_CLASSES == tuple("0123456789")
    assert class_names("fashion-mnist") is FASHION_MNIST_CLASSES
    assert class_names("MNIST") is MNIST_CLASSES
    assert DATASET_NAMES == ("fashion-mnist", "mnist")


def test_unknown_data_set_name() -> None:
    with pytest.raises(
        ValueError,
        match=r"name must be one of \['fashion-mnist', 'mnist'\], "
        r"received 'cifar10'",
    ):
        load_dataset("cifar10")
