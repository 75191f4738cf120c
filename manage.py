#!/usr/bin/env python
"""Django's manage.py for developers; operators use the `kefu` command (kefu/cli.py)."""

from kefu.cli import main

if __name__ == "__main__":
    main()
