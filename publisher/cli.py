"""The ``publisher`` command line: parse options, call one library function, print, exit.

Exit codes: 0 success, 1 the command ran and found problems, 2 usage or configuration error.
Errors are one clear line naming the file and what to do, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .config import ConfigError
from .report import Report

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class ProjectError(click.ClickException):
    """A configuration or usage problem: printed as one line, exit code 2."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:  # type: ignore[override]
        click.echo(f"publisher: {self.format_message()}", err=True)


def _config_error(exc: ConfigError) -> ProjectError:
    return ProjectError("\n".join(f.line() for f in exc.findings if f.severity.value == "error"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="项目文件夹 / The portal project folder (with release_rules.yaml and content/).",
)
@click.version_option(package_name="publisher")
@click.pass_context
def cli(ctx: click.Context, project: Path) -> None:
    """生态环境监测信息统一发布 · Publish a city's environmental monitoring information.

    Departments submit datasets and bulletins into content/; `check` tests them against
    release_rules.yaml; `build` renders the public portal into output/.
    """
    ctx.obj = project.resolve()


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """创建一个新的空门户 / Create a new, empty portal in DIRECTORY."""
    from .project import init_project

    try:
        created = init_project(directory)
    except FileExistsError as exc:
        raise ProjectError(str(exc)) from None
    click.echo(f"已创建新门户 / Created a new portal: {created}")
    click.echo(f"下一步 / Next: publisher --project {directory} build")


@cli.command()
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="输出文件夹 / Where to write the site (default: PROJECT/output).")
@click.pass_obj
def build(project: Path, output: Path | None) -> None:
    """生成门户网站 / Build the portal into output/ from the releasable items."""
    from .site import BuildError, build_site

    try:
        result = build_site(project, output)
    except ConfigError as exc:
        raise _config_error(exc) from None
    except BuildError as exc:
        raise ProjectError(str(exc)) from None
    click.echo(result.summary())
    if result.report.errors:
        click.echo(
            f"{len(result.report.errors)} 个问题使部分内容未发布，详见 publisher check / "
            f"{len(result.report.errors)} problems kept some items unpublished; see 'publisher check'"
        )


def _exit_for(report: Report) -> int:
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("已中断 / interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
