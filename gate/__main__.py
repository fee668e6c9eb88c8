"""`python -m gate` runs the command-line interface."""

from gate.cli import console_main

console_main()
