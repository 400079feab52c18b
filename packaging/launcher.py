"""The frozen bundle's entry point: what the ``signoff`` command runs (desktop_app.__main__)."""

from desktop_app.__main__ import main

if __name__ == "__main__":
    main()
