"""Fashion-MNIST and MNIST: the real image data sets the book trains on.

Both data sets are 60,000 training and 10,000 test images of 28x28 gray
pixels (0 = background, 255 = full ink) with a label 0-9 each. They are read
from any of these layouts, looked for in this order in a data folder:

1. the four official IDX files, gzip-compressed (``train-images-idx3-ubyte.gz``
   ...) or uncompressed (the same names without ``.gz``);
2. the book's folders of PNG files, ``fashion_mnist_images/{train,test}/<label>/*.png``
   (``mnist_images/...`` for MNIST) or directly ``{train,test}/<label>/*.png``.

The data folder is `path` when given, otherwise ``$SQUAREONE_DATA/<name>`` or
``~/.cache/squareone/<name>``. Missing IDX files are downloaded there from the
official servers (``download=True``), checked against the SHA-256 checksums
below and written atomically, so a half-finished download never looks like a
finished one.

Examples
--------
>>> (X, y), (X_test, y_test) = load_fashion_mnist()  # doctest: +SKIP
>>> X.shape, X.dtype, FASHION_MNIST_CLASSES[y[0]]  # doctest: +SKIP
((60000, 28, 28), dtype('uint8'), 'Ankle boot')
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import struct
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np

from squareone._files import ANY_FILE, open_regular_file, write_atomically
from squareone.datasets.images import load_image

__all__ = [
    "DATASET_NAMES",
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_SHA256",
    "FASHION_MNIST_URL",
    "MNIST_CLASSES",
    "MNIST_SHA256",
    "MNIST_URL",
    "DatasetIntegrityError",
    "DatasetNotFoundError",
    "class_names",
    "default_data_dir",
    "download_dataset",
    "find_dataset",
    "load_dataset",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
]

PathLike = str | os.PathLike[str]
Split = tuple[np.ndarray, np.ndarray]

FASHION_MNIST_CLASSES: Final[tuple[str, ...]] = (
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
MNIST_CLASSES: Final[tuple[str, ...]] = tuple(str(digit) for digit in range(10))

FASHION_MNIST_URL: Final = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
MNIST_URL: Final = "https://ossci-datasets.s3.amazonaws.com/mnist/"

# SHA-256 of the official .gz files (their MD5s match the ones the publishers
# list). Only these exact bytes are accepted from a download or cache.
FASHION_MNIST_SHA256: Final[dict[str, str]] = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",  # noqa: E501
}
MNIST_SHA256: Final[dict[str, str]] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",  # noqa: E501
}

# IDX magic numbers: two zero bytes, a type byte (0x08 = unsigned byte) and the
# number of dimensions: 3 for images (count, rows, cols), 1 for labels.
_IMAGES_MAGIC: Final = 0x0803  # 2051
_LABELS_MAGIC: Final = 0x0801  # 2049
_IMAGE_SHAPE: Final = (28, 28)

_SPLITS: Final = ("train", "test")
# (images, labels) file names without ".gz", per split.
_IDX_STEMS: Final[dict[str, tuple[str, str]]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

_CHUNK: Final = 1 << 20  # bytes per read while hashing or downloading
# Deflate (gzip) expands data at most 1032-fold, so a larger promise is a corrupt header.
_MAX_DEFLATE_RATIO: Final = 1032


class DatasetNotFoundError(FileNotFoundError):
    """The data set's files are not on disk and could not be downloaded.

    Besides its message it keeps the facts, for callers that word their own (the command
    line names its options): ``title``, ``folder``, ``missing`` (file names), ``source``
    (the download folder URL) and ``download_failure`` (None when downloading was off).
    """

    def __init__(self, message: str, *, title: str = "", folder: Path | None = None,
                 missing: Sequence[str] = (), source: str = "",
                 download_failure: str | None = None) -> None:
        super().__init__(message)
        self.title, self.folder, self.missing = title, folder, tuple(missing)
        self.source, self.download_failure = source, download_failure


class DatasetIntegrityError(ValueError):
    """A data file is corrupt, truncated or not the official file."""


@dataclass(frozen=True)
class _Dataset:
    name: str  # as in load_dataset() and the cache sub-folder
    title: str  # for messages
    url: str
    sha256: dict[str, str]
    classes: tuple[str, ...]
    png_folder: str  # the book's folder of PNGs inside the data folder


_DATASETS: Final[dict[str, _Dataset]] = {
    "fashion-mnist": _Dataset(
        "fashion-mnist",
        "Fashion-MNIST",
        FASHION_MNIST_URL,
        FASHION_MNIST_SHA256,
        FASHION_MNIST_CLASSES,
        "fashion_mnist_images",
    ),
    "mnist": _Dataset("mnist", "MNIST", MNIST_URL, MNIST_SHA256, MNIST_CLASSES, "mnist_images"),
}
DATASET_NAMES: Final[tuple[str, ...]] = tuple(_DATASETS)


# ---------------------------------------------------------------------------
# Public loaders
# ---------------------------------------------------------------------------


def load_fashion_mnist(
    path: PathLike | None = None,
    *,
    download: bool = True,
    verify: bool = True,
    base_url: str | None = None,
) -> tuple[Split, Split]:
    """Load Fashion-MNIST (Zalando's 28x28 clothing images, 10 classes).

    Parameters
    ----------
    path : str or os.PathLike, optional
        Folder holding the data (IDX files or the book's PNG folders), or a
        folder with a ``fashion-mnist`` sub-folder holding it. Defaults to
        ``$SQUAREONE_DATA/fashion-mnist``, else ``~/.cache/squareone/fashion-mnist``.
    download : bool, default True
        Download missing IDX files into the data folder.
    verify : bool, default True
        Check each ``.gz`` file's SHA-256 against the official one before
        reading it. Uncompressed files are checked through their IDX headers.
    base_url : str, optional
        Where to download from instead of :data:`FASHION_MNIST_URL`: a mirror
        or a ``file://`` URL.

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of numpy.ndarray
        uint8 images of shape (60000, 28, 28) and (10000, 28, 28), 0 =
        background; uint8 labels 0-9 (see :data:`FASHION_MNIST_CLASSES`).

    Raises
    ------
    DatasetNotFoundError
        If files are missing and downloading is off or fails. The message
        says which files, where to put them and where to get them.
    DatasetIntegrityError
        If a ``.gz`` file's checksum is wrong, or a download is truncated.
    ValueError
        If a file is not a valid IDX file (the message names it and the problem).
    """
    return _load(_DATASETS["fashion-mnist"], path, download, verify, base_url)


def load_mnist(
    path: PathLike | None = None,
    *,
    download: bool = True,
    verify: bool = True,
    base_url: str | None = None,
) -> tuple[Split, Split]:
    """Load MNIST (LeCun, Cortes and Burges' 28x28 handwritten digits 0-9).

    Parameters and errors are those of :func:`load_fashion_mnist`, with
    ``mnist`` as the data folder's name, :data:`MNIST_URL` as the download
    location and ``mnist_images`` as the book-style PNG folder.

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of numpy.ndarray
        uint8 images of shape (60000, 28, 28) and (10000, 28, 28); uint8
        labels, the digit shown.
    """
    return _load(_DATASETS["mnist"], path, download, verify, base_url)


def load_dataset(
    name: str,
    path: PathLike | None = None,
    *,
    download: bool = True,
    verify: bool = True,
    base_url: str | None = None,
) -> tuple[Split, Split]:
    """Load a real image data set by name (handy for command lines).

    Parameters
    ----------
    name : str
        ``"fashion-mnist"`` or ``"mnist"`` (case and ``-``/``_`` do not matter).
    path, download, verify, base_url
        As in :func:`load_fashion_mnist`.

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of tuples of numpy.ndarray
        See :func:`load_fashion_mnist`.

    Raises
    ------
    ValueError
        If `name` is not a known data set.
    """
    return _load(_dataset(name), path, download, verify, base_url)


def class_names(name: str) -> tuple[str, ...]:
    """Names of the 10 classes of a data set, indexed by label.

    Parameters
    ----------
    name : str
        ``"fashion-mnist"`` or ``"mnist"``.

    Returns
    -------
    tuple of str
        :data:`FASHION_MNIST_CLASSES` or :data:`MNIST_CLASSES`.
    """
    return _dataset(name).classes


def default_data_dir(name: str | None = None) -> Path:
    """The folder data sets are cached in.

    Parameters
    ----------
    name : str, optional
        A data set name; its sub-folder is returned.

    Returns
    -------
    pathlib.Path
        ``$SQUAREONE_DATA`` if that environment variable is set and not
        empty, else ``~/.cache/squareone``; plus ``/<name>`` if given.
    """
    root = Path(os.environ.get("SQUAREONE_DATA") or "~/.cache/squareone").expanduser()
    return root / _dataset(name).name if name is not None else root


def find_dataset(name: str, folders: Sequence[PathLike] = ()) -> Path | None:
    """The folder that holds a data set, where the loaders would find it, or None.

    Nothing is read or downloaded: this only says whether a load would find the files.

    Parameters
    ----------
    name : str
        ``"fashion-mnist"`` or ``"mnist"``.
    folders : sequence of str or os.PathLike
        More places to look after :func:`default_data_dir`, each as ``path=`` of the
        loaders takes it: the data folder itself or a folder holding ``<name>/``.

    Returns
    -------
    pathlib.Path or None
        The first folder holding all four IDX files (``.gz`` or uncompressed) or the PNG
        layout; None if there is none.
    """
    spec = _dataset(name)
    for place in [default_data_dir(spec.name), *folders]:
        folder = _data_folder(spec, place)
        if all(_find_idx_files(folder).values()) or _find_png_root(spec, folder) is not None:
            return folder
    return None


# ---------------------------------------------------------------------------
# Finding and reading the files
# ---------------------------------------------------------------------------


def _load(
    spec: _Dataset,
    path: PathLike | None,
    download: bool,
    verify: bool,
    base_url: str | None,
) -> tuple[Split, Split]:
    folder = _data_folder(spec, path)
    files = _find_idx_files(folder)
    missing = [stem + ".gz" for stem, found in files.items() if found is None]
    if missing:
        png_root = _find_png_root(spec, folder)
        if png_root is not None:
            train, test = (_read_png_split(png_root / split, spec) for split in _SPLITS)
            return train, test
        if not download:
            raise DatasetNotFoundError(
                _missing_message(spec, folder, missing, "Downloading is off (download=False)."),
                **_missing_facts(spec, folder, missing),
            )
        download_dataset(spec.name, folder, base_url=base_url, files=missing)
        files = _find_idx_files(folder)
    if verify:
        for file in files.values():
            _verify_known_gz(spec, file)
    train, test = (_read_idx_split(files, split, spec) for split in _SPLITS)
    return train, test


def _dataset(name: str) -> _Dataset:
    key = str(name).strip().lower().replace("_", "-")
    if key not in _DATASETS:
        raise ValueError(f"name must be one of {list(DATASET_NAMES)}, received {name!r}")
    return _DATASETS[key]


def _data_folder(spec: _Dataset, path: PathLike | None) -> Path:
    if path is None:
        return default_data_dir(spec.name)
    folder = Path(path).expanduser()
    # Also accept the parent of the data folder, laid out like the cache
    # (e.g. a shared "datasets/" holding "fashion-mnist/" and "mnist/").
    nested = folder / spec.name
    if nested.is_dir() and not _has_data(spec, folder):
        return nested
    return folder


def _has_data(spec: _Dataset, folder: Path) -> bool:
    return any(_find_idx_files(folder).values()) or _find_png_root(spec, folder) is not None


def _find_idx_files(folder: Path) -> dict[str, Path | None]:
    """Map each IDX file stem to its .gz file, else its raw file, else None."""
    found: dict[str, Path | None] = {}
    for stems in _IDX_STEMS.values():
        for stem in stems:
            candidates = (folder / (stem + ".gz"), folder / stem)
            found[stem] = next((p for p in candidates if p.is_file()), None)
    return found


def _find_png_root(spec: _Dataset, folder: Path) -> Path | None:
    for root in (folder / spec.png_folder, folder):
        if (root / "train").is_dir() and (root / "test").is_dir():
            return root
    return None


def _read_idx_split(files: dict[str, Path | None], split: str, spec: _Dataset) -> Split:
    images_path, labels_path = (files[stem] for stem in _IDX_STEMS[split])
    assert images_path is not None and labels_path is not None  # _load downloaded them
    images = read_idx(images_path, magic=_IMAGES_MAGIC)
    labels = read_idx(labels_path, magic=_LABELS_MAGIC)
    if images.shape[1:] != _IMAGE_SHAPE:
        rows, cols = images.shape[1:]
        raise ValueError(f"{images_path}: images are {rows}x{cols} pixels, expected 28x28")
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; they must match"
        )
    _check_labels(labels, spec, labels_path)
    return images, labels


def _check_labels(labels: np.ndarray, spec: _Dataset, source: Path) -> None:
    if labels.size and int(labels.max()) >= len(spec.classes):
        raise ValueError(
            f"{source}: label {int(labels.max())} is out of range; {spec.title} labels "
            f"are 0..{len(spec.classes) - 1}"
        )


def read_idx(path: PathLike, *, magic: int | None = None) -> np.ndarray:
    """Read an IDX file of unsigned bytes, gzip-compressed or not.

    IDX is the format of the (Fashion-)MNIST files: a big-endian header (int32
    magic number, then one int32 size per dimension) followed by the raw data.
    Compression is recognised by the content, not the file name.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    magic : int, optional
        The magic number required, e.g. 2051 for images or 2049 for labels.

    Returns
    -------
    numpy.ndarray
        A writable uint8 array with the shape given in the header.

    Raises
    ------
    ValueError
        If the file is not a uint8 IDX file, has the wrong magic number, is
        shorter or longer than its header says, or is corrupt gzip data.
    """
    path = Path(path)
    try:
        with open_regular_file(path, "IDX data file") as raw:
            compressed = raw.read(2) == b"\x1f\x8b"  # the gzip signature
            raw.seek(0)
            size = os.fstat(raw.fileno()).st_size
            with gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw as stream:
                shape = _read_idx_header(stream, path, magic)
                expected = math.prod(shape)
                # Sizes are checked before the data is read, which is then read only up to
                # what the header promises: a wrong header costs no time and no memory.
                _check_idx_size(path, shape, expected, size - 4 - 4 * len(shape), compressed)
                data = _read_at_most(stream, expected + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from exc
    if len(data) != expected:
        _size_error(path, shape, expected, len(data), more=len(data) > expected)
    # .copy(): an array over immutable bytes would be read-only.
    return np.frombuffer(data, dtype=np.uint8).reshape(shape).copy()


def _check_idx_size(path: Path, shape: tuple[int, ...], expected: int, stored: int,
                    compressed: bool) -> None:
    """Refuse a file whose size cannot match what its IDX header promises."""
    if not compressed:
        if stored != expected:
            _size_error(path, shape, expected, stored)
    elif expected > stored * _MAX_DEFLATE_RATIO:
        raise ValueError(
            f"{path}: the IDX header promises {'x'.join(map(str, shape))} = {expected} data "
            f"bytes, more than the file's {stored} compressed bytes can hold"
        )


def _size_error(path: Path, shape: tuple[int, ...], expected: int, found: int,
                more: bool = False) -> None:
    problem = "truncated" if found < expected else "too long"
    raise ValueError(
        f"{path}: {problem}: the IDX header promises {'x'.join(map(str, shape))} = "
        f"{expected} data bytes, the file holds {'more than ' if more else ''}"
        f"{expected if more else found}"
    )


def _read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """Read up to ``limit`` bytes in chunks, so memory follows the data, not a header's claim."""
    chunks = []
    remaining = limit
    while remaining and (chunk := stream.read(min(remaining, _CHUNK))):
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_idx_header(stream: BinaryIO, path: Path, magic: int | None) -> tuple[int, ...]:
    head = stream.read(4)
    if len(head) < 4:
        raise ValueError(f"{path}: too short for an IDX file ({len(head)} bytes)")
    found = int.from_bytes(head, "big")
    kinds = {_IMAGES_MAGIC: "IDX images", _LABELS_MAGIC: "IDX labels"}
    if magic is not None and found != magic:
        what = kinds.get(found, "not an IDX file we know")
        raise ValueError(
            f"{path}: magic number is {found} ({what}), expected {magic} ({kinds[magic]})"
        )
    # Two zero bytes, then the element type: 0x08 = unsigned byte.
    if head[:3] != b"\x00\x00\x08" or head[3] == 0:
        raise ValueError(
            f"{path}: magic number is {found}; not an IDX file of unsigned bytes "
            f"(expected {_IMAGES_MAGIC} for images or {_LABELS_MAGIC} for labels)"
        )
    ndim = head[3]
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header (expected {ndim} dimension sizes)")
    shape = struct.unpack(f">{ndim}I", dims)
    if any(size == 0 for size in shape[1:]):
        raise ValueError(f"{path}: IDX header gives an empty item shape {shape[1:]}")
    return shape


def _read_png_split(split_dir: Path, spec: _Dataset) -> Split:
    """Read the book's ``<split>/<label>/<number>.png`` layout."""
    label_dirs = sorted(
        (d for d in split_dir.iterdir() if d.is_dir() and d.name.isdigit()),
        key=lambda d: int(d.name),
    )
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label_dir in label_dirs:
        label = int(label_dir.name)
        for file in sorted(label_dir.glob("*.png"), key=_numeric_name_key):
            images.append(_read_png(file))
            labels.append(label)
    if not images:
        raise ValueError(
            f"{split_dir}: no PNG images found; expected label folders 0..."
            f"{len(spec.classes) - 1} holding files such as 0000.png"
        )
    label_array = np.asarray(labels, dtype=np.uint8)
    _check_labels(label_array, spec, split_dir)
    return np.stack(images), label_array


def _numeric_name_key(file: Path) -> tuple[int, int, str]:
    # 2.png before 10.png; names that are not numbers go last, by name.
    stem = file.stem
    return (0, int(stem), file.name) if stem.isdigit() else (1, 0, file.name)


def _read_png(file: Path) -> np.ndarray:
    pixels = load_image(file, size=None, invert=False)
    if pixels.shape != _IMAGE_SHAPE:
        rows, cols = pixels.shape
        raise ValueError(f"{file}: image is {rows}x{cols} pixels, expected 28x28")
    return pixels


# ---------------------------------------------------------------------------
# Checksums and downloading
# ---------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular_file(path, "data file") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verify_known_gz(spec: _Dataset, path: Path | None) -> None:
    if path is None or path.name not in spec.sha256:
        return  # uncompressed: validated by its IDX header instead
    actual = _sha256(path)
    if actual != spec.sha256[path.name]:
        raise DatasetIntegrityError(
            f"{path}: SHA-256 is {actual}, but the official {spec.title} file's is "
            f"{spec.sha256[path.name]}; the file is corrupt or a different file. "
            "Delete it (a missing file is downloaded again) or pass verify=False."
        )


def download_dataset(
    name: str,
    path: PathLike | None = None,
    *,
    base_url: str | None = None,
    files: Sequence[str] | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download a data set's official IDX ``.gz`` files and check their SHA-256.

    Files already present with the right checksum are kept. Each file is
    written to a temporary file in the same folder and renamed into place only
    once complete and verified, so an interrupted or corrupt download never
    leaves a file that looks valid.

    Parameters
    ----------
    name : str
        ``"fashion-mnist"`` or ``"mnist"``.
    path : str or os.PathLike, optional
        Folder to download into (created if needed); default
        ``default_data_dir(name)``.
    base_url : str, optional
        URL of the folder holding the files (``http://``, ``https://`` or
        ``file://``); default :data:`FASHION_MNIST_URL` or :data:`MNIST_URL`.
    files : sequence of str, optional
        Which ``.gz`` file names to fetch; default all four.
    timeout : float, default 60.0
        Seconds to wait for the server before giving up.

    Returns
    -------
    pathlib.Path
        The folder holding the files.

    Raises
    ------
    DatasetNotFoundError
        If the server cannot be reached or refuses (no network, HTTP error).
        The message says which files are missing and where to put them.
    DatasetIntegrityError
        If a downloaded file is truncated or its checksum is wrong; the bad
        file is removed.
    ValueError
        If `name` or a name in `files` is unknown.
    """
    spec = _dataset(name)
    folder = Path(path).expanduser() if path is not None else default_data_dir(spec.name)
    wanted = list(spec.sha256) if files is None else list(files)
    unknown = [f for f in wanted if f not in spec.sha256]
    if unknown:
        raise ValueError(f"files must be among {list(spec.sha256)}, received {unknown}")
    todo = [f for f in wanted if not _is_verified(folder / f, spec.sha256[f])]
    base = (base_url or spec.url).rstrip("/") + "/"
    folder.mkdir(parents=True, exist_ok=True)
    for index, file_name in enumerate(todo):
        url = base + file_name
        try:
            _fetch(url, folder / file_name, spec.sha256[file_name], timeout)
        except (OSError, http.client.HTTPException) as exc:  # URLError is an OSError
            reason = f"Downloading {url} failed: {exc}."
            raise DatasetNotFoundError(
                _missing_message(spec, folder, todo[index:], reason, base),
                **_missing_facts(spec, folder, todo[index:], base, download_failure=str(exc)),
            ) from exc
    return folder


def _is_verified(path: Path, sha256: str) -> bool:
    return path.is_file() and _sha256(path) == sha256


def _fetch(url: str, target: Path, sha256: str, timeout: float) -> None:
    def download(out: BinaryIO) -> None:
        received, declared, actual = _stream_to(url, out, timeout)
        if declared is not None and received != declared:
            raise DatasetIntegrityError(
                f"download of {url} is truncated: received {received} of {declared} bytes; "
                "the partial file was removed, try again"
            )
        if actual != sha256:
            raise DatasetIntegrityError(
                f"download of {url} has SHA-256 {actual}, expected {sha256}; "
                "the corrupt file was removed"
            )

    # squareone's one atomic writer: readers see no file or the whole, checked file.
    # overwrite=True: the file there, if any, failed its checksum and is to be replaced.
    write_atomically(target, download, ANY_FILE, overwrite=True)


def _stream_to(url: str, out: BinaryIO, timeout: float) -> tuple[int, int | None, str]:
    """Copy `url` into `out`; return bytes received, bytes announced, SHA-256."""
    digest = hashlib.sha256()
    received = 0
    with urllib.request.urlopen(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        declared = int(length) if length is not None else None
        try:
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                received += len(chunk)
        except http.client.IncompleteRead:
            # The server hung up early. Not an error here: the caller compares
            # the byte count and checksum and reports the truncation.
            pass
    return received, declared, digest.hexdigest()


def _missing_facts(
    spec: _Dataset,
    folder: Path,
    missing: Sequence[str],
    base_url: str | None = None,
    download_failure: str | None = None,
) -> dict:
    return {"title": spec.title, "folder": folder, "missing": missing,
            "source": (base_url or spec.url).rstrip("/") + "/",
            "download_failure": download_failure}


def _missing_message(
    spec: _Dataset,
    folder: Path,
    missing: Sequence[str],
    reason: str,
    base_url: str | None = None,
) -> str:
    base = (base_url or spec.url).rstrip("/") + "/"
    return (
        f"{spec.title} files missing from {folder}: {', '.join(missing)}. {reason}\n"
        f"Put the official files into {folder} (gzip-compressed, or uncompressed "
        "without the .gz), or pass path= to the folder holding them, or set the "
        f"SQUAREONE_DATA environment variable to a folder with a '{spec.name}' "
        f"sub-folder holding them. Get them from {base} (e.g. {base}{missing[0]})."
    )
