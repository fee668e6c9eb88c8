"""The release's action.yml rewrite, on the real file, checked against the published schema."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("pin_action_image", ROOT / ".ci" / "pin_action_image.py")
assert SPEC and SPEC.loader
pin_action_image = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(pin_action_image)
DIGEST = "sha256:" + "ab" * 32


def test_the_real_action_yml_is_pinned_and_nothing_else_changes(tmp_path: Path) -> None:
    original = (ROOT / "action.yml").read_text()
    target = tmp_path / "action.yml"
    target.write_text(original)
    code = pin_action_image.main(
        [str(target), "--image", "ghcr.io/octo/playdash-gate", "--version", "v1.2.3", "--digest", DIGEST]
    )
    assert code == 0
    pinned = target.read_text()
    assert yaml.safe_load(pinned)["runs"] == {
        "using": "docker",
        "image": f"docker://ghcr.io/octo/playdash-gate:1.2.3@{DIGEST}",
    }
    changed = [(a, b) for a, b in zip(original.splitlines(), pinned.splitlines(), strict=True) if a != b]
    assert changed == [("  image: Dockerfile", f"  image: docker://ghcr.io/octo/playdash-gate:1.2.3@{DIGEST}")]
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name("check-jsonschema"))
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-actions", str(target)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("image", "version", "digest", "problem"),
    [
        ("ghcr.io/octo/playdash-gate", "1.2", DIGEST, "semantic version"),
        ("ghcr.io/octo/playdash-gate", "1.2.3", "sha256:abc", "64 lower-case hex"),
        ("ghcr.io/octo/playdash-gate", "1.2.3", "sha256:" + "AB" * 32, "64 lower-case hex"),
        ("GHCR.io/Octo/x", "1.2.3", DIGEST, "lower-case image name"),
        ("playdash-gate", "1.2.3", DIGEST, "lower-case image name"),
        ("ghcr.io/o/x:latest", "1.2.3", DIGEST, "lower-case image name"),
    ],
)
def test_bad_arguments_are_refused(image: str, version: str, digest: str, problem: str) -> None:
    with pytest.raises(pin_action_image.PinError, match=problem):
        pin_action_image.pin("runs:\n  using: docker\n  image: Dockerfile\n", image, version, digest)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: x\n", "no top-level `runs:`"),
        ("runs:\n  using: docker\n", "exactly one `image:` line, found 0"),
        (f"runs:\n  using: docker\n  image: docker://ghcr.io/o/x:1.0.0@{DIGEST}\n", "already pinned"),
    ],
)
def test_files_that_are_not_a_fresh_action_are_refused(text: str, problem: str) -> None:
    with pytest.raises(pin_action_image.PinError, match=problem):
        pin_action_image.pin(text, "ghcr.io/o/x", "1.0.0", DIGEST)


def test_an_image_key_outside_runs_is_left_alone() -> None:
    text = "inputs:\n  image:\n    description: d\nruns:\n  using: docker\n  image: 'Dockerfile'\n"
    pinned = pin_action_image.pin(text, "ghcr.io/o/x", "2.0.0", DIGEST)
    assert pinned.startswith("inputs:\n  image:\n    description: d\n")
    assert pinned.endswith(f"  image: docker://ghcr.io/o/x:2.0.0@{DIGEST}\n")


def test_the_version_is_one_source_of_truth() -> None:
    from gate import __version__

    assert pin_action_image.VERSION.match(__version__)
    assert 'version = { attr = "gate.__version__" }' in (ROOT / "pyproject.toml").read_text()
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
