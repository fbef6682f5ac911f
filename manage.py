#!/usr/bin/env python
"""Django's manage.py; same as the `beacon` command."""

from beacon.__main__ import main

if __name__ == "__main__":
    main()
