"""The `kefu` console command for operators: Django's manage.py with kefu's settings.

kefu serve          migrate, load demo data on first start, run web + websockets + worker
kefu worker         run only the background worker and scheduler (scaled-out machines)
kefu demo           build the demo organisation (and, as apps land, their data)
kefu createadmin    create an administrator
kefu apitoken USER  print a new API token for scripts
kefu backup / kefu restore FILE
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["worker"]:
        args[0] = "run_huey"
    execute_from_command_line(["kefu", *args])


if __name__ == "__main__":
    main()
