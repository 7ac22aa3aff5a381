"""Files at rest: every stored file is encrypted with the same key ring as the encrypted model fields.

Format (one file): a 35-byte header, then segments.

    header  = b"HGF1" | key id (8) | salt (16) | nonce prefix (7)
    segment = AES-256-GCM(segment key, nonce, plaintext[i*64KiB:(i+1)*64KiB], aad=header)
    nonce   = nonce prefix (7) | segment counter (4, big endian) | last-segment flag (1)
    segment key = HKDF-SHA256(master key, salt, info=b"huigong file segment key" | header[:12])

This is the construction of Tink's AES-GCM-HKDF streaming AEAD: a fresh key per file (random salt),
a counter and a last-segment flag in the nonce so that segments cannot be reordered, dropped or the
file truncated, and the whole header bound into every segment. Reading and writing hold one segment
in memory, never the whole file, and reads can seek (calamine and FileResponse need that).

The master keys are derived from the Fernet keys of django-fernet-encrypted-fields (SECRET_KEY and
HUIGONG_SECRET_KEY_FALLBACKS with SALT_KEY, PBKDF2 as the library does it), separated by HKDF: one
rotation procedure moves both. The key id in the header names the key that wrote the file, so that a
reader picks the right one and `reencrypt_personal_data` rewrites only files under an old key.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import os
import secrets
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.utils.crypto import get_random_string
from django.utils.deconstruct import deconstructible

MAGIC = b"HGF1"
KEY_ID_LEN, SALT_LEN, PREFIX_LEN, TAG_LEN = 8, 16, 7, 16
HEADER_LEN = len(MAGIC) + KEY_ID_LEN + SALT_LEN + PREFIX_LEN
SEGMENT = 64 * 1024
CIPHER_SEGMENT = SEGMENT + TAG_LEN
FILE_MODE, DIR_MODE = 0o600, 0o700


class FileDecryptError(Exception):
    """The file is not ours, was altered, or no configured key wrote it."""


# --- keys ------------------------------------------------------------------------------------------


def _ring_settings() -> tuple[tuple[str, ...], tuple[str, ...]]:
    salts = settings.SALT_KEY if isinstance(settings.SALT_KEY, list) else [settings.SALT_KEY]
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])), tuple(salts)


@lru_cache(maxsize=8)
def _ring_for(secret_keys: tuple[str, ...], salts: tuple[str, ...]) -> tuple[tuple[bytes, bytes], ...]:
    ring = []
    for secret in secret_keys:
        for salt in salts:
            # The very Fernet key the encrypted fields use (see encrypted_fields.fields.EncryptedFieldMixin).
            fernet_key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt.encode(),
                                    iterations=100_000).derive(secret.encode())
            master = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                          info=b"huigong file master key v1").derive(base64.urlsafe_b64encode(fernet_key))
            key_id = hmac.new(master, b"huigong file key id", hashlib.sha256).digest()[:KEY_ID_LEN]
            ring.append((key_id, master))
    return tuple(ring)


def key_ring() -> tuple[tuple[bytes, bytes], ...]:
    """(key id, master key) pairs, the current key first; follows settings (override_settings too)."""
    return _ring_for(*_ring_settings())


def current_key_id() -> bytes:
    return key_ring()[0][0]


def _segment_cipher(master: bytes, header: bytes) -> AESGCM:
    salt = header[len(MAGIC) + KEY_ID_LEN : len(MAGIC) + KEY_ID_LEN + SALT_LEN]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
               info=b"huigong file segment key" + header[: len(MAGIC) + KEY_ID_LEN]).derive(master)
    return AESGCM(key)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


# --- writing ---------------------------------------------------------------------------------------


def encrypt_stream(chunks, out) -> int:
    """Encrypts an iterable of byte chunks into the binary file `out`; returns the plaintext size."""
    key_id, master = key_ring()[0]
    prefix = secrets.token_bytes(PREFIX_LEN)
    header = MAGIC + key_id + secrets.token_bytes(SALT_LEN) + prefix
    aead = _segment_cipher(master, header)
    out.write(header)
    buf, index, size = bytearray(), 0, 0
    for chunk in chunks:
        if not chunk:
            continue
        buf += chunk
        size += len(chunk)
        # Strictly more than a segment: the last segment is written after the loop, even when empty.
        while len(buf) > SEGMENT:
            out.write(aead.encrypt(_nonce(prefix, index, False), bytes(buf[:SEGMENT]), header))
            del buf[:SEGMENT]
            index += 1
    out.write(aead.encrypt(_nonce(prefix, index, True), bytes(buf), header))
    return size


def _chunks_of(content):
    if hasattr(content, "chunks"):
        yield from content.chunks(SEGMENT)
        return
    if hasattr(content, "seek"):
        with contextlib.suppress(OSError, ValueError):
            content.seek(0)
    while chunk := content.read(SEGMENT):
        yield chunk


def _open_private(path: Path):
    """A new file only its owner can read, refused if the name is taken (no race, no follow)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    return os.fdopen(os.open(path, flags, FILE_MODE), "wb")


def _make_private_dirs(directory: Path) -> None:
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for d in missing:
        with contextlib.suppress(OSError):
            d.chmod(DIR_MODE)


# --- reading ---------------------------------------------------------------------------------------


def read_header(raw) -> bytes | None:
    """The header of an encrypted file, or None when the file does not start with one (plaintext)."""
    raw.seek(0)
    header = raw.read(HEADER_LEN)
    return header if len(header) == HEADER_LEN and header[: len(MAGIC)] == MAGIC else None


class DecryptingReader(io.RawIOBase):
    """A seekable, read-only view of the plaintext of an encrypted file; one segment in memory."""

    def __init__(self, raw, name: str = "") -> None:
        super().__init__()
        self._raw = raw
        self.name = name
        header = read_header(raw)
        if header is None:
            raise FileDecryptError(f"{name}: not an encrypted file")
        key_id = header[len(MAGIC) : len(MAGIC) + KEY_ID_LEN]
        master = next((m for k, m in key_ring() if hmac.compare_digest(k, key_id)), None)
        if master is None:
            raise FileDecryptError(f"{name}: no configured key wrote this file")
        self.key_id = key_id
        self._header = header
        self._prefix = header[-PREFIX_LEN:]
        self._aead = _segment_cipher(master, header)
        body = raw.seek(0, os.SEEK_END) - HEADER_LEN
        if body < TAG_LEN:
            raise FileDecryptError(f"{name}: truncated")
        self._segments = -(-body // CIPHER_SEGMENT)
        self.size = body - self._segments * TAG_LEN
        self._pos = 0
        self._seg_index = -1
        self._seg = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        pos = base + offset
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def _segment(self, index: int) -> bytes:
        if index != self._seg_index:
            self._raw.seek(HEADER_LEN + index * CIPHER_SEGMENT)
            sealed = self._raw.read(CIPHER_SEGMENT)
            last = index == self._segments - 1
            try:
                self._seg = self._aead.decrypt(_nonce(self._prefix, index, last), sealed, self._header)
            except InvalidTag:
                raise FileDecryptError(f"{self.name}: segment {index} was altered") from None
            self._seg_index = index
        return self._seg

    def readinto(self, b) -> int:
        if self._pos >= self.size:
            # Authenticate the last segment even when nothing is left to read: a truncated file fails.
            self._segment(self._segments - 1)
            return 0
        index, offset = divmod(self._pos, SEGMENT)
        seg = self._segment(index)
        n = min(len(b), len(seg) - offset)
        b[:n] = seg[offset : offset + n]
        self._pos += n
        return n

    def readall(self) -> bytes:
        out = bytearray()
        while chunk := self.read(SEGMENT):
            out += chunk
        return bytes(out)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._raw.close()
        super().close()


class PlainReader(io.BufferedReader):
    """The buffered plaintext; `size` is the plaintext size (Django's File asks for it)."""

    @property
    def size(self) -> int:
        return self.raw.size


def open_decrypted(path: str | os.PathLike, name: str = "") -> PlainReader:
    raw = open(path, "rb")  # noqa: SIM115 - the reader owns it
    try:
        return PlainReader(DecryptingReader(raw, name or str(path)), buffer_size=SEGMENT)
    except Exception:
        raw.close()
        raise


def encrypt_file_in_place(path: Path, *, source_encrypted: bool) -> None:
    """Rewrites one file under the current key (from plaintext, or from an older key), atomically."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with _open_private(tmp) as out:
            if source_encrypted:
                with open_decrypted(path) as src:
                    encrypt_stream(iter(lambda: src.read(SEGMENT), b""), out)
            else:
                with open(path, "rb") as src:
                    encrypt_stream(iter(lambda: src.read(SEGMENT), b""), out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


# --- the storage -----------------------------------------------------------------------------------


@deconstructible(path="huigong.core.files.EncryptedFileSystemStorage")
class EncryptedFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files are encrypted (see the module docstring), written 0600 in 0700
    directories, under random names (an uploaded file's own name may say whose it is). `url()` is
    refused: these files are served only by views that check scope and leave an access row."""

    encrypted = True

    def generate_filename(self, filename: str) -> str:
        filename = super().generate_filename(filename)
        directory, base = os.path.split(filename)
        ext = os.path.splitext(base)[1].lower()[:10]
        return os.path.join(directory, get_random_string(24) + ext).replace("\\", "/")

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("encrypted files are written through save(), never opened for writing")
        return File(open_decrypted(self.path(name), name), name=name)

    def _save(self, name: str, content) -> str:
        while True:
            full = Path(self.path(name))
            _make_private_dirs(full.parent)
            try:
                out = _open_private(full)
            except FileExistsError:
                name = self.get_available_name(name)
                continue
            try:
                with out:
                    encrypt_stream(_chunks_of(content), out)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    full.unlink()
                raise
            return str(name).replace("\\", "/")

    def size(self, name: str) -> int:
        with open_decrypted(self.path(name), name) as f:
            return f.size

    def url(self, name):
        raise ValueError("encrypted files have no public URL; serve them through a scoped view")


def is_encrypted_storage(storage) -> bool:
    return getattr(storage, "encrypted", False) is True


@contextlib.contextmanager
def plaintext_path(field_file):
    """A local plaintext copy of a stored file for readers that need a path (calamine, the sniffers):
    in a private temp directory (0700, file 0600), deleted when the block ends."""
    directory = tempfile.mkdtemp(prefix="huigong-")
    try:
        target = Path(directory) / ("plain" + Path(field_file.name).suffix.lower()[:10])
        with _open_private(target) as out, field_file.open("rb") as src:
            shutil.copyfileobj(src, out, SEGMENT)
        yield str(target)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def file_fields(app_registry=None):
    """(model, field) for every FileField of every installed model (of a migration's registry too)."""
    from django.apps import apps
    from django.db import models

    for model in (app_registry or apps).get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                yield model, f


def stored_files(app_registry=None):
    """(model, field, name, absolute path) of every file named by a FileField row."""
    for model, field in file_fields(app_registry):
        names = (model._base_manager.exclude(**{field.name: ""}).exclude(**{f"{field.name}__isnull": True})
                 .values_list(field.attname, flat=True).iterator())
        for name in names:
            yield model, field, name, Path(field.storage.path(name))


def rotate_files(*, dry_run: bool = False, plaintext_only: bool = False, app_registry=None) -> dict[str, int]:
    """Brings every stored file under the current key: files under an older key of the ring are
    rewritten, plaintext files (written before encryption at rest) are encrypted, files already under
    the current key are only checked when dry_run. Missing files are counted, not fatal (a purged or
    lost file is reported). Raises FileDecryptError when a file no configured key opens.
    plaintext_only (the migration that turned encryption on): encrypted files are left as they are."""
    counts = {"current": 0, "rotated": 0, "encrypted": 0, "missing": 0}
    current = current_key_id()
    for _model, field, _name, path in stored_files(app_registry):
        try:
            raw = open(path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            counts["missing"] += 1
            continue
        with raw:
            header = read_header(raw)
        if header is None:
            counts["encrypted"] += 1
            if not dry_run:
                encrypt_file_in_place(path, source_encrypted=False)
        elif plaintext_only or header[len(MAGIC) : len(MAGIC) + KEY_ID_LEN] == current:
            counts["current"] += 1
        else:
            counts["rotated"] += 1
            if dry_run:
                with open_decrypted(path) as src:  # every segment authenticates under a ring key
                    while src.read(SEGMENT):
                        pass
            else:
                encrypt_file_in_place(path, source_encrypted=True)
        with contextlib.suppress(OSError):
            path.chmod(FILE_MODE)
            # Directories made before encryption at rest were 0755: private from here on.
            root = Path(field.storage.location).resolve()
            for d in path.resolve().parents:
                if d == root or root not in d.parents:
                    break
                d.chmod(DIR_MODE)
    return counts


# --- serving ---------------------------------------------------------------------------------------


def file_response(field_file, *, actor, object_type: str, object_id, node_path: str, purpose: str,
                  content_type: str, filename: str, as_attachment: bool = True, access_logged: bool = False):
    """The one way a stored file leaves the server: decrypted as it streams, after the caller's scoped
    selector found the object, with an access row (who, which file, for what, from which subtree).
    A file missing on disk (purged or lost) is a 404 and leaves no row. `access_logged`: the caller's
    selector already wrote the row."""
    from django.http import FileResponse, Http404

    from huigong.core.audit import log_access

    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    if not access_logged:
        log_access(actor=actor, object_type=object_type, object_id=str(object_id), fields=[field_file.field.name],
                   purpose=purpose, node_path=node_path)
    response = FileResponse(handle, content_type=content_type, as_attachment=as_attachment, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    if not as_attachment:
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
