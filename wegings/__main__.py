"""Run wegings as `python -m wegings`."""

from wegings.cli import main

if __name__ == "__main__":
    main()
