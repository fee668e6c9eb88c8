"""Every link the gate writes is http or https: the CI's job link from each CI's own variables, hostile,
through main() in-process against the simulator, in every sink (console, step summary, Markdown, JSON,
JUnit, outputs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.simulator import SimRun
from tests.conftest import CI_LINKS as CI
from tests.conftest import gate_env

HOSTILE = [
    "javascript:alert('PWNED')",
    "JAVASCRIPT:alert('PWNED')",
    " javascript:alert('PWNED')",
    "java\tscript:alert('PWNED')",
    "data:text/html,<script>PWNED</script>",
    "vbscript:PWNED",
    "//evil.example/PWNED",
    "https://x) [y](javascript:alert('PWNED'))",
    "https://github.com@evil.example/PWNED",
]
# A Markdown link's target, an autolink, an HTML link.
_TARGETS = re.compile(r"\]\(\s*([^)\s]*)|<([A-Za-z][A-Za-z0-9+.-]*:[^>\s]*)>|href\s*=\s*[\"']?([^\"'\s>]*)", re.I)


def links_in(text: str) -> list[str]:
    return [next(group for group in match.groups() if group is not None) for match in _TARGETS.finditer(text)]


def every_sink(result, tmp_path: Path) -> dict[str, str]:
    sinks = {"console": result.output, "summary": result.summary, "json": result.json_path.read_text()}
    for name in ("report.md", "junit.xml", "outputs"):
        if (tmp_path / name).exists():
            sinks[name] = (tmp_path / name).read_text()
    return sinks


def run_in(system: str, value: str, simulator, run_cli, tmp_path: Path):
    env, variable = CI[system]
    (tmp_path / "outputs").write_text("")
    extra = {"GITHUB_OUTPUT": str(tmp_path / "outputs")} if system == "GitHub Actions" else {}
    sim = simulator(SimRun(counts={"passed": 3, "failed": 1}))
    return run_cli(
        "--markdown-file",
        "report.md",
        "--junit-file",
        "junit.xml",
        env={**gate_env(sim), **env, **extra, variable: value},
    )


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("system", sorted(CI))
def test_a_job_link_that_is_not_http_reaches_no_sink(simulator, run_cli, tmp_path: Path, system: str, value: str):
    result = run_in(system, value, simulator, run_cli, tmp_path)
    assert result.code == 1, result.output
    sinks = every_sink(result, tmp_path)
    for name, text in sinks.items():
        assert "PWNED" not in text, name
        assert all(target.lower().startswith(("http://", "https://")) for target in links_in(text)), name
    assert result.verdict["ci"] == {**result.verdict["ci"], "name": system, "job_url": None}
    assert f"[{system} job]" not in result.summary


@pytest.mark.parametrize("system", sorted(CI))
def test_an_http_job_link_is_a_link_everywhere(simulator, run_cli, tmp_path: Path, system: str) -> None:
    url = "https://ci.example.com/acme/shop/jobs/7"
    value = "https://ci.example.com" if system == "GitHub Actions" else url
    result = run_in(system, value, simulator, run_cli, tmp_path)
    job = result.verdict["ci"]["job_url"]
    assert job.startswith(value)
    assert f"[{system} job]({job})" in result.summary
    assert job in result.stdout
