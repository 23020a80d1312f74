"""The console script's entry point, kept free of imports so `--version` answers at once."""

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from supportctl import __version__

        print(f"supportctl {__version__}")
        return
    from supportctl.cli import main as cli_main

    cli_main()
