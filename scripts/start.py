#!/usr/bin/env python3
"""Set everything up and start Odoo 18.0 or 19.0 with text_messaging and demo data.

    python3 scripts/start.py                  # http://localhost:8069, admin / admin
    python3 scripts/start.py --series 19.0    # the same on Odoo 19.0
    python3 scripts/start.py --reset          # drop the database and create it again
    python3 scripts/start.py --update         # upgrade the addon before starting

Environment: TM_SERIES (18.0 or 19.0, default 18.0; --series wins), TM_DB
(database, default text_messaging, text_messaging_19 on 19.0), TM_PORT (default
8069), ODOO_SRC / ODOO19_SRC (an Odoo source tree to install when Odoo is not
importable), ODOO19_PYTHON (the Python of Odoo 19.0, default
~/.cache/text_messaging/venv-19.0/bin/python, created when missing).
"""

import argparse
import os
import sys

import devenv


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_series = os.environ.get("TM_SERIES", "18.0")
    parser.add_argument(
        "--series",
        choices=devenv.SERIES,
        default=default_series if default_series in devenv.SERIES else "18.0",
        help="the Odoo series to run (default: TM_SERIES, else 18.0)",
    )
    parser.add_argument("--db", default=os.environ.get("TM_DB"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("TM_PORT", 8069))
    )
    parser.add_argument("--reset", action="store_true", help="recreate the database")
    parser.add_argument("--update", action="store_true", help="upgrade the addon")
    parser.add_argument(
        "--no-serve", action="store_true", help="set up only, do not start the server"
    )
    args = parser.parse_args()
    major = args.series.split(".")[0]
    args.db = args.db or (
        "text_messaging" if major == "18" else f"text_messaging_{major}"
    )

    try:
        devenv.ensure_postgres(start=True)
        python, package_dir = devenv.find_series(args.series, allow_install=True)
        devenv.install_python_requirements("requirements.txt", python=str(python))
    except devenv.SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    devenv.link_addon()
    config = devenv.write_config(
        "odoo" if major == "18" else f"odoo-{args.series}",
        package_dir,
        http_port=args.port,
        db_name=args.db,
        dbfilter=f"^{args.db}$",
    )
    if args.reset:
        devenv.drop_database(args.db)
    if not devenv.database_exists(args.db):
        devenv.say(f"creating database {args.db} with demo data and {devenv.ADDON}")
        init = devenv.run(
            devenv.odoo_command(
                config,
                *("-d", args.db, "-i", devenv.ADDON, "--stop-after-init"),
                *devenv.demo_args(args.series, True),
                python=python,
            )
        )
        if init.returncode != 0:
            print(
                "error: installing the addon failed (see the log above).",
                file=sys.stderr,
            )
            return 1
    elif args.update:
        update = devenv.run(
            devenv.odoo_command(
                config,
                *("-d", args.db, "-u", devenv.ADDON, "--stop-after-init"),
                python=python,
            )
        )
        if update.returncode != 0:
            print(
                "error: upgrading the addon failed (see the log above).",
                file=sys.stderr,
            )
            return 1
    if args.no_serve:
        return 0
    devenv.say(
        f"Odoo {args.series} is starting on http://localhost:{args.port} "
        "(login admin / admin)"
    )
    command = devenv.odoo_command(config, "-d", args.db, python=python)
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
