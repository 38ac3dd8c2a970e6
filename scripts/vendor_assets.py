"""Refreshes the console's pinned browser assets from the npm registry: each package's tarball
is checked against the registry's sha512 integrity, and only the files we serve (and the
licence) are kept in app/static/vendor/<name>/, with a VERSION line saying where they came from.

    python scripts/vendor_assets.py            # the pinned versions below
Bump a version here, run it, and commit the changed files together."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "app" / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"

# (npm package, version, folder, files to keep as "path in the tarball": "name served")
# htmx stays on 2.x: htmx 4 changes how error responses are swapped
PACKAGES = [
    ("htmx.org", "2.0.11", "htmx", {"dist/htmx.min.js": "htmx.min.js", "LICENSE": "LICENSE"}),
    (
        "htmx-ext-sse",
        "2.2.4",
        "htmx-ext-sse",
        {"dist/sse.min.js": "sse.min.js", "LICENSE": "LICENSE"},
    ),
    (
        "@picocss/pico",
        "2.1.1",
        "pico",
        {"css/pico.min.css": "pico.min.css", "LICENSE.md": "LICENSE.md"},
    ),
]


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 (a fixed https host)
        return answer.read()


def vendor(package: str, version: str, folder: str, files: dict[str, str]) -> None:
    meta = json.loads(fetch(f"{REGISTRY}/{package}/{version}"))
    tarball_url = meta["dist"]["tarball"]
    tarball = fetch(tarball_url)
    algorithm, _, expected = meta["dist"]["integrity"].partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if digest != expected:
        sys.exit(f"{package}@{version}: the tarball does not match the registry's integrity")
    target = VENDOR / folder
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        for source, name in files.items():
            member = archive.extractfile(f"package/{source}")
            if member is None:
                sys.exit(f"{package}@{version} has no {source}")
            (target / name).write_bytes(member.read())
    licence = meta.get("license", "see LICENSE")
    (target / "VERSION").write_text(f"{package} {version} (npm), {licence}: {tarball_url}\n")
    print(f"{package}@{version} -> {target.relative_to(VENDOR.parent.parent.parent)}")


if __name__ == "__main__":
    for spec in PACKAGES:
        vendor(*spec)
