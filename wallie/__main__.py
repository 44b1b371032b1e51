"""`python -m wallie`: the same as the `wallie` command."""

from wallie.cli import main

main()
