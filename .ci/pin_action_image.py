#!/usr/bin/env python3
"""Point a release's action.yml at the image the release pushed, by digest, instead of building it.

    python .ci/pin_action_image.py action.yml --image ghcr.io/playdash-gate/playdash-gate --version 1.2.3 \\
        --digest sha256:<64 hex>

On `main`, action.yml keeps `image: Dockerfile` so that `uses: ./` tests the tree; the release commit
gets `image: docker://IMAGE:VERSION@DIGEST`, so that every job using the action pulls a prebuilt,
immutable image in seconds instead of building one. Only the `image:` line of `runs:` changes; the
rest of the file (comments, order, quoting) is kept as it is.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
IMAGE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$")
IMAGE_LINE = re.compile(r"^(?P<indent>[ \t]+)image:[ \t]*(?P<value>\S.*?)[ \t]*$", re.MULTILINE)


class PinError(Exception):
    """The arguments or the file are not what a release expects."""


def pin(text: str, image: str, version: str, digest: str) -> str:
    """action.yml text with `runs.image` pointing at IMAGE:VERSION@DIGEST."""
    version = version.removeprefix("v")
    if not VERSION.match(version):
        raise PinError(f"--version must be a semantic version such as 1.2.3, not {version!r}")
    if not DIGEST.match(digest):
        raise PinError(f"--digest must be sha256: and 64 lower-case hex digits, not {digest!r}")
    if not IMAGE.match(image):
        raise PinError(f"--image must be a lower-case image name such as ghcr.io/owner/playdash-gate, not {image!r}")
    runs = re.search(r"^runs:[ \t]*$", text, re.MULTILINE)
    if runs is None:
        raise PinError("action.yml has no top-level `runs:`")
    following = re.search(r"^\S", text[runs.end() :], re.MULTILINE)
    block_end = runs.end() + following.start() if following else len(text)
    matches = list(IMAGE_LINE.finditer(text, runs.end(), block_end))
    if len(matches) != 1:
        raise PinError(f"`runs:` must have exactly one `image:` line, found {len(matches)}")
    line = matches[0]
    if line.group("value").strip("'\"") != "Dockerfile":
        raise PinError(f"`runs.image` is {line.group('value')!r}, not Dockerfile: is this file already pinned?")
    pinned = f"{line.group('indent')}image: docker://{image}:{version}@{digest}"
    return text[: line.start()] + pinned + text[line.end() :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", type=Path, help="the action.yml to rewrite in place")
    parser.add_argument("--image", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--digest", required=True)
    args = parser.parse_args(argv)
    try:
        text = args.action.read_text(encoding="utf-8")
        args.action.write_text(pin(text, args.image, args.version, args.digest), encoding="utf-8")
    except (OSError, PinError) as error:
        print(f"pin_action_image: {error}", file=sys.stderr)
        return 2
    print(f"{args.action}: image: docker://{args.image}:{args.version.removeprefix('v')}@{args.digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
