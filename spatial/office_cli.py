"""Office administration from the command line (database from ``HEBI_DATABASE_URL``).

Examples::

    python -m spatial.office_cli add-user admin --role admin      # asks for the password
    python -m spatial.office_cli add-project 鹤壁经开区十四五
    python -m spatial.office_cli add-member 鹤壁经开区十四五 zhang
    python -m spatial.office_cli load-plan 鹤壁经开区十四五          # the shipped plan layers

Passwords are read from the terminal (or from the variable named by
``--password-env``), never from the command line, where other users could see them.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from spatial._errors import SpatialError
from spatial.auth import create_user
from spatial.cli_common import run_command
from spatial.db import ROLES, engine_from_env
from spatial.projects import add_member, create_project, project_by_name
from spatial.storage.postgis import PostGISStore

__all__ = ["load_plan_layers", "main"]


def load_plan_layers(store: PostGISStore) -> list[str]:
    """Copy every shipped catalogue layer into a project, titled as in the catalogue (Chinese)."""
    import layers

    titles: list[str] = []
    for spec in layers.all_specs():
        try:
            gdf = layers.load_layer(spec.id)
        except SpatialError:
            continue  # a layer that is declared but not shipped
        title = spec.title("zh")
        store.write_layer(title, gdf)
        titles.append(title)
    return titles


def _project(engine: object, name: str) -> int:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    pid = project_by_name(engine, name)
    if pid is None:
        raise SpatialError(f"没有项目“{name[:40]}”。", f"There is no project '{name[:40]}'.")
    return pid


def main(argv: Sequence[str] | None = None) -> int:
    """Run one administration command; exit status 2 with a bilingual message on bad input."""
    parser = argparse.ArgumentParser(prog="python -m spatial.office_cli", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("add-user", help="create an account")
    p.add_argument("username")
    p.add_argument("--role", choices=ROLES, default="viewer")
    p.add_argument("--password-env", help="read the password from this environment variable")
    p = sub.add_parser("add-project", help="create a project (规划项目)")
    p.add_argument("name")
    p = sub.add_parser("add-member", help="add an account to a project")
    p.add_argument("project")
    p.add_argument("username")
    p = sub.add_parser("load-plan", help="load the shipped plan layers into a project")
    p.add_argument("project")
    args = parser.parse_args(argv)
    return run_command(lambda: _run(args))


def _run(args: argparse.Namespace) -> None:
    """Carry out one parsed command."""
    engine = engine_from_env()
    if args.cmd == "add-user":
        if args.password_env:
            password = os.environ.get(args.password_env, "")
        else:
            password = getpass.getpass("密码 / Password: ")
        create_user(engine, args.username, password, args.role)
    elif args.cmd == "add-project":
        create_project(engine, args.name)
    elif args.cmd == "add-member":
        add_member(engine, _project(engine, args.project), args.username)
    elif args.cmd == "load-plan":
        store = PostGISStore(engine, _project(engine, args.project), actor="office_cli")
        titles = load_plan_layers(store)
        print(f"已载入 {len(titles)} 个规划图层 / loaded {len(titles)} plan layers")


if __name__ == "__main__":
    sys.exit(main())
