"""Where a zarr store lives: a local folder, or an fsspec URL on object storage.

A cohort store is a folder of small files (zarr). On one machine it is a
path; past one machine it is a URL that every worker of a cluster can reach:
``s3://bucket/study.zarr`` (Amazon S3 and S3-compatible servers, through
``s3fs``), ``gs://...`` (``gcsfs``), ``abfs://...`` (``adlfs``), or
``memory://...`` for tests. :class:`StoreLocation` is the one place that
tells the two apart, so :func:`asleep_nb.data.store.to_zarr`,
:func:`asleep_nb.data.store.open_cohort` and the archive streamer treat
both alike.

``storage_options`` are passed to fsspec unchanged (credentials, endpoint,
region). They never appear in a ``repr``, a message or an error: only the
URL is shown, without any ``user:password@`` part.

Examples
--------
>>> from asleep_nb.data.location import StoreLocation
>>> StoreLocation.of("study.zarr").remote
False
>>> where = StoreLocation.of("s3://lab:hunter2@bucket/study.zarr", {"secret": "s3cr3t"})
>>> where.remote, str(where)
(True, 's3://bucket/study.zarr')
>>> where
StoreLocation('s3://bucket/study.zarr')
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["StoreLocation", "StorageOptions"]

#: fsspec options (credentials, endpoint, ...), passed through unchanged.
StorageOptions = Mapping[str, Any]

_URL = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<rest>.*)$")
_USERINFO = re.compile(r"^[^/@]*@")
#: Files of a store's root that make it readable; written last when a store is moved into place.
_ROOT_METADATA = ("zarr.json", ".zmetadata", ".zgroup", ".zattrs")


@dataclass(frozen=True)
class StoreLocation:
    """A zarr store's place: a local path or an fsspec URL, with its storage options.

    Parameters
    ----------
    target
        The path or URL as given.
    storage_options
        fsspec options for a URL (ignored for a local path); never shown.
    """

    target: str
    storage_options: StorageOptions = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, path: str | os.PathLike[str], storage_options: StorageOptions | None = None) -> StoreLocation:
        """The location of ``path`` (a path or URL) with ``storage_options``.

        Raises
        ------
        ValueError
            When ``storage_options`` are given for a local path (they would
            be silently ignored).

        Examples
        --------
        >>> StoreLocation.of("memory://cohort.zarr").remote
        True
        """
        target = os.fspath(path)
        location = cls(target, dict(storage_options or {}))
        if storage_options and not location.remote:
            raise ValueError(
                "storage_options apply to URLs (s3://, gs://, memory://, ...), "
                f"not to the local path {target!r}"
            )
        return location

    @property
    def remote(self) -> bool:
        """Whether the store is reached through fsspec (a URL) rather than the local file system."""
        return _URL.match(self.target) is not None

    def __str__(self) -> str:
        match = _URL.match(self.target)
        if match is None:
            return self.target
        return f"{match['scheme']}://{_USERINFO.sub('', match['rest'])}"

    def __repr__(self) -> str:
        return f"StoreLocation({str(self)!r})"

    def zarr_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``xarray``'s ``to_zarr`` / ``open_zarr``: the store and its options."""
        if self.remote:
            return {"store": self.target, "storage_options": dict(self.storage_options)}
        return {"store": self.target}

    def _fs(self) -> tuple[Any, str]:
        from fsspec.core import url_to_fs

        return url_to_fs(self.target, **self.storage_options)

    def exists(self) -> bool:
        """Whether anything is stored at this location.

        Examples
        --------
        >>> StoreLocation.of("memory://nothing-here.zarr").exists()
        False
        """
        if not self.remote:
            return os.path.exists(self.target)
        fs, path = self._fs()
        return bool(fs.exists(path))

    def sibling(self, name: str) -> StoreLocation:
        """The location ``name`` in the same folder (or under the same URL prefix).

        Examples
        --------
        >>> str(StoreLocation.of("memory://lab/study.zarr").sibling(".study.zarr.partial"))
        'memory://lab/.study.zarr.partial'
        """
        head, _, _ = self.target.rstrip("/").rpartition("/")
        if not self.remote:
            head = os.path.dirname(os.path.abspath(self.target))
            return StoreLocation(os.path.join(head, name))
        return StoreLocation(f"{head}/{name}", self.storage_options)

    @property
    def name(self) -> str:
        """The last part of the path: the store's own name."""
        return self.target.rstrip("/").rpartition("/")[2] if self.remote else os.path.basename(self.target)

    def remove(self) -> None:
        """Delete the store here, if any (nothing happens when there is none)."""
        if not self.remote:
            shutil.rmtree(self.target, ignore_errors=True)
            return
        fs, path = self._fs()
        if fs.exists(path):
            fs.rm(path, recursive=True)

    def move_to(self, target: StoreLocation) -> None:
        """Move the complete store here to ``target``, replacing what is there.

        On a local disk this is one ``os.replace`` of the folder (atomic). On
        object storage, which has no rename, the files are copied one by one
        with the root metadata last (a reader sees either no store or the
        whole one, never a store missing a chunk), then the source is
        deleted; ``target`` is emptied first, so for that moment no store is
        there.
        """
        target.remove()
        if not self.remote:
            os.replace(self.target, target.target)
            return
        fs, src = self._fs()
        _, dst = target._fs()
        files = sorted(fs.find(src))
        for source in sorted(files, key=lambda f: _is_root_metadata(f, src)):  # root metadata last
            fs.copy(source, dst + source[len(src) :])
        fs.rm(src, recursive=True)


def _is_root_metadata(path: str, root: str) -> bool:
    rel = path[len(root) :].lstrip("/")
    return rel in _ROOT_METADATA
