"""Every file squareone writes or reads goes through here: nothing lost, nothing hangs.

Writing (models, parameters, plots, downloads):

* :func:`check_output` decides, *before* any work, whether a path may be written. It refuses an
  empty path, a directory, a device, FIFO or socket (``/dev/null`` included: an atomic save
  would replace the node by a regular file), a missing or unwritable directory, and an existing
  file that squareone did not write for this purpose (a text file, a PNG where a model goes, a
  model where a PNG goes) or that is read-only, unless replacing it is asked for explicitly.
* :func:`write_atomically` writes a temporary file beside the target, gives it the target's
  permissions (and owner, where allowed), and renames it over the target: the target holds the
  old file or the complete new one, never half of one. A symbolic link is written *through*:
  the file it points to is replaced, the link stays.

Reading (models, parameters, IDX data, images):

* :func:`open_regular_file` opens without blocking (``O_NONBLOCK``: opening a FIFO for reading
  otherwise waits for a writer forever) and refuses anything that is not a regular file
  (``/dev/zero`` would be read until memory runs out).
* :func:`read_safetensors` checks the 8-byte header length and every tensor's declared offsets
  against the file's size, and lets the caller check the header's metadata, before a single
  byte of the body is read: a 4 GB file that is not a model is refused at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

__all__ = ["FileKind", "PNG", "ANY_FILE", "check_output", "write_atomically", "open_regular_file",
           "read_safetensors", "read_safetensors_header", "SafetensorsLayoutError"]

PathLike = str | os.PathLike[str]
T = TypeVar("T")

#: The first 8 bytes of every PNG file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: safetensors refuses headers larger than this (100 MB); so do we, before reading one.
MAX_SAFETENSORS_HEADER = 100_000_000
#: Bytes per element of each safetensors dtype.
_SAFETENSORS_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2,
                         "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8,
                         "U64": 8, "F64": 8}


@dataclass(frozen=True)
class FileKind:
    """A kind of file squareone writes: an existing file of the kind may be replaced."""

    #: How messages name it, e.g. ``"a squareone model"``.
    name: str
    #: Tells from an open file (at offset 0) whether it is of this kind.
    recognise: Callable[[BinaryIO], bool]


PNG = FileKind("a PNG image", lambda file: file.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE)
#: For ``overwrite=True`` writes, where the kind of the replaced file does not matter.
ANY_FILE = FileKind("a file", lambda file: True)


class SafetensorsLayoutError(ValueError):
    """The file is not laid out as safetensors says (header length, offsets, sizes)."""


# --- writing ------------------------------------------------------------------------------------


def check_output(path: PathLike, kind: FileKind, *, overwrite: bool | None = None,
                 hint: str = "pass overwrite=True to replace it") -> Path:
    """Return the file to write for ``path`` (a symlink's target), or say why it must not be.

    Parameters
    ----------
    path : str or os.PathLike
        The output path as given.
    kind : FileKind
        What will be written there.
    overwrite : bool or None, default None
        ``None`` replaces an existing writable file of ``kind`` only; ``True`` replaces any
        existing regular file, read-only ones included; ``False`` replaces nothing.
    hint : str
        How the caller asks for replacing (an argument or an option), added to refusals.

    Returns
    -------
    pathlib.Path
        The path to write: ``path`` itself, or the file a symbolic link at ``path`` points to.

    Raises
    ------
    ValueError
        An empty path, or a device, FIFO or socket: never replaced, whatever ``overwrite``.
    IsADirectoryError, FileNotFoundError, PermissionError
        A directory; a missing directory; a directory that is not writable.
    FileExistsError, PermissionError
        An existing file that ``overwrite`` does not allow replacing (not of ``kind``, or
        read-only). Each error has ``reason``: the problem without the path.
    """
    if overwrite not in (None, True, False):
        raise TypeError(f"overwrite must be None, True or False, got {overwrite!r}")
    if not os.fspath(path):
        raise _refuse(ValueError, path, "the path is empty; give a file name")
    # realpath follows every link (a dangling one to the file it would create), so the file
    # the link points to is what gets checked and replaced, and the link itself stays.
    target = Path(os.path.realpath(path))
    try:
        status = target.stat()
    except FileNotFoundError:
        status = None
    except OSError as error:  # no permission to look, a link loop, a name too long...
        cls = PermissionError if isinstance(error, PermissionError) else ValueError
        raise _refuse(cls, path, error.strerror or str(error)) from None
    if status is not None:
        _check_existing(path, target, status, kind, overwrite, hint)
    directory = target.parent
    if not directory.is_dir():
        raise _refuse(FileNotFoundError, path, f"the directory {str(directory)!r} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise _refuse(PermissionError, path, f"the directory {str(directory)!r} is not writable")
    return target


def _check_existing(path, target: Path, status: os.stat_result, kind: FileKind,
                    overwrite: bool | None, hint: str) -> None:
    if stat.S_ISDIR(status.st_mode):
        raise _refuse(IsADirectoryError, path, "it is a directory")
    if not stat.S_ISREG(status.st_mode):
        raise _refuse(ValueError, path, f"it is {_file_type(status.st_mode)}, not a regular "
                      "file; squareone writes only regular files")
    if overwrite is True:
        return
    if overwrite is False:
        raise _refuse(FileExistsError, path, f"the file exists; {hint}")
    # Root may write anything, so the mode itself says whether the user protected the file.
    if not status.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise _refuse(PermissionError, path, f"the file is read-only; {hint}")
    if not _is_kind(target, kind):
        raise _refuse(FileExistsError, path, f"the file exists and is not {kind.name}, so "
                      f"squareone does not replace it; {hint}")


def _is_kind(path: Path, kind: FileKind) -> bool:
    try:
        with open_regular_file(path) as file:
            return bool(kind.recognise(file))
    except (OSError, ValueError):  # unreadable or changed meanwhile: not known to be ours
        return False


def _file_type(mode: int) -> str:
    kinds = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _refuse(cls: type[Exception], path, reason: str) -> Exception:
    """An exception of ``cls`` naming ``path``, with the bare ``reason`` kept for the CLI."""
    error = cls(f"cannot write {os.fspath(path)!r}: {reason}")
    error.reason = reason
    return error


def write_atomically(path: PathLike, write: Callable[[BinaryIO], object], kind: FileKind, *,
                     overwrite: bool | None = None,
                     hint: str = "pass overwrite=True to replace it") -> Path:
    """Write a file with ``write(file)`` so that ``path`` never holds a partial file.

    ``path`` is checked first (:func:`check_output`, with ``kind``, ``overwrite`` and
    ``hint``). The data goes to a new temporary file in the target's directory (a rename is
    atomic only within one file system), is flushed to disk, takes the mode (and, where
    allowed, the owner) of the file it replaces, and is renamed over it. On any failure,
    Ctrl-C included, the temporary file is removed and the target is untouched.

    Returns
    -------
    pathlib.Path
        The file written: ``path``, or the target of a symbolic link at ``path``.
    """
    target = check_output(path, kind, overwrite=overwrite, hint=hint)
    directory = target.parent
    temporary = directory / f".{target.name}.{secrets.token_hex(8)}.tmp"
    # O_EXCL never opens an existing file, and 0o666 (less the umask) gives a new file the
    # usual permissions, unlike mkstemp's 0600. Opened before the try: if opening fails there
    # is nothing to remove, and we must never remove a file we did not create.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with open(descriptor, "wb") as file:
            write(file)
            file.flush()
            _keep_permissions(file.fileno(), target)
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError) and error.filename is None:
            error.filename = os.fspath(path)  # "No space left on device" says where
        raise
    _fsync_directory(directory)
    return target


def _keep_permissions(descriptor: int, target: Path) -> None:
    """Give the new file the mode and owner of the file it replaces (a 0600 model stays 0600)."""
    try:
        old = target.stat()
    except FileNotFoundError:
        return
    if hasattr(os, "fchown") and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
        with contextlib.suppress(OSError):  # only root may give a file to someone else
            os.fchown(descriptor, old.st_uid, old.st_gid)
    if os.chmod in os.supports_fd:
        os.chmod(descriptor, stat.S_IMODE(old.st_mode))


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself survive a power cut, where the system allows (not Windows)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# --- reading ------------------------------------------------------------------------------------


def open_regular_file(path: PathLike, what: str = "file") -> BinaryIO:
    """Open ``path`` for reading in binary mode if it is a regular file; never block.

    Raises
    ------
    FileNotFoundError
        If nothing is at ``path``.
    IsADirectoryError
        If ``path`` is a directory.
    ValueError
        If ``path`` is a device, FIFO or socket (reading one could wait or never end).
    """
    a_what = f"{'an' if what[:1].lower() in 'aeiou' else 'a'} {what}"  # "an image file"
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait until someone writes to it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} not found: {os.fspath(path)}") from None
    except IsADirectoryError:  # Windows; elsewhere opening a directory succeeds
        raise IsADirectoryError(f"{os.fspath(path)} is a directory, not {a_what}") from None
    try:
        mode = os.fstat(descriptor).st_mode  # of what was opened: no race with a swap
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"{os.fspath(path)} is a directory, not {a_what}")
        if not stat.S_ISREG(mode):
            raise ValueError(f"{os.fspath(path)} is {_file_type(mode)}, not a regular file; "
                             f"squareone reads {a_what} only from a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return open(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_safetensors(path: PathLike, inspect: Callable[[dict], T], what: str = "file"
                     ) -> tuple[T, bytes]:
    """Read a safetensors file, checking its layout before reading its body.

    The 8-byte header length must fit in the file, the header must be a JSON object, and the
    tensors' declared offsets and sizes must cover the body exactly. Then ``inspect(header)``
    runs (it raises to refuse the file, e.g. one without squareone's metadata), and only then
    is the whole file read.

    Returns
    -------
    (result of inspect, bytes)
        What ``inspect`` returned, and the file's bytes for ``safetensors.numpy.load``.

    Raises
    ------
    SafetensorsLayoutError
        If the layout is wrong; whatever ``inspect`` raises; as :func:`open_regular_file`.
    """
    with open_regular_file(path, what) as file:
        result = inspect(read_safetensors_header(file))
        size = os.fstat(file.fileno()).st_size
        file.seek(0)
        data = file.read(size)
    if len(data) != size:
        raise SafetensorsLayoutError("the file changed while it was read")
    return result, data


def read_safetensors_header(file: BinaryIO) -> dict:
    """Return the JSON header of an open safetensors file, its layout checked; read no body.

    ``file`` is any seekable binary file: one on disk, or a ``BytesIO`` of a file's bytes.
    """
    size = file.seek(0, os.SEEK_END)
    file.seek(0)
    if size < 8:
        raise SafetensorsLayoutError(f"the file is too short ({size} bytes) for a "
                                     "safetensors header")
    length = int.from_bytes(file.read(8), "little")
    if length > min(size - 8, MAX_SAFETENSORS_HEADER):
        raise SafetensorsLayoutError(f"its first 8 bytes declare a {length:,}-byte header, "
                                     f"but the file holds {size:,} bytes")
    try:
        header = json.loads(file.read(length))
    except (ValueError, RecursionError):
        raise SafetensorsLayoutError("its safetensors header is not valid JSON") from None
    if not isinstance(header, dict):
        raise SafetensorsLayoutError("its safetensors header is not a JSON object")
    _check_offsets(header, size - 8 - length)
    return header


def _check_offsets(header: dict, body_size: int) -> None:
    """Every tensor's [begin, end) must match its shape and dtype and lie in the body."""
    end_of_data = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            begin, end = entry["data_offsets"]
            count = 1
            for dimension in entry["shape"]:
                count *= _natural(dimension)
            expected = count * _SAFETENSORS_ITEMSIZE[entry["dtype"]]
            valid = _natural(begin) <= _natural(end) <= body_size and end - begin == expected
        except (TypeError, ValueError, KeyError):
            valid = False
        if not valid:
            raise SafetensorsLayoutError(f"tensor {name!r}: its declared dtype, shape or "
                                         f"offsets do not fit the {body_size:,}-byte body")
        end_of_data = max(end_of_data, end)
    if end_of_data != body_size:
        raise SafetensorsLayoutError(f"its tensors declare {end_of_data:,} bytes of data, but "
                                     f"the file holds {body_size:,}")


def _natural(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(value)
    return value
