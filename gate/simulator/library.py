"""The example scenarios shipped beside the simulator, found by name, and scenario files found by path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gate.shape import closest
from gate.simulator.scenarios import Scenario, ScenarioError

# The shipped examples: one JSON scenario a file, named by its stem (and a thresholds file where one needs it).
EXAMPLES = Path(__file__).resolve().parent / "examples"


@dataclass(frozen=True)
class Chosen:
    """A scenario read, the name it goes by, and its file (its relative paths, `demo.config`, start beside it)."""

    name: str
    scenario: Scenario
    path: Path


def example_names() -> list[str]:
    """The names of the shipped example scenarios, sorted."""
    return sorted(path.stem for path in EXAMPLES.glob("*.json"))


def is_path(choice: str) -> bool:
    """A scenario given as a file (a .json name or anything with a folder in it), not a shipped name."""
    return choice.lower().endswith(".json") or "/" in choice or "\\" in choice


def choose(choice: str) -> Chosen:
    """A shipped example by name, or a scenario file by path; a ScenarioError says what is wrong and what to do."""
    # A file that is there is read as one, whatever its name (`bad.yaml` is then said not to be JSON).
    if is_path(choice) or Path(choice).expanduser().is_file():
        path = Path(choice).expanduser()
        return Chosen(path.name, Scenario.from_file(path), path.resolve())
    names = example_names()
    if choice not in names:
        close = closest(choice, names)
        hint = f"did you mean `{close}`? The names" if close else "the names"
        raise ScenarioError(
            [
                f"no example scenario has that name, and no file has it either; {hint} are {', '.join(names)} "
                "(see demo --list), or give the path of a .json scenario file"
            ],
            f"--scenario {choice}",
        )
    path = EXAMPLES / f"{choice}.json"
    return Chosen(choice, Scenario.from_file(path), path)
