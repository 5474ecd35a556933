"""The ``publisher`` command line: parse options, call one library function, print, exit.

Exit codes: 0 success, 1 the command ran and found problems, 2 usage or configuration error.
Errors are one clear line naming the file and what to do, never a traceback.
"""

from __future__ import annotations

import json
import os
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
    from .clock import ClockError, ENV_VAR, parse_instant

    if os.environ.get(ENV_VAR):  # checked once here, so no command fails on it half-way
        try:
            parse_instant(os.environ[ENV_VAR])
        except ClockError as exc:
            raise ProjectError(str(exc)) from None
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
@click.option("--timings", is_flag=True,
              help="列出每个阶段的用时及复用情况 / Print each stage's time and what it reused from the cache.")
@click.option("--no-cache", is_flag=True,
              help="不用也不写缓存，全部重新生成（结果相同，只是更慢） / Build everything afresh without the "
                   "build cache (the same bytes, only slower).")
@click.option("--progress/--no-progress", default=None,
              help="在标准错误输出上报告进度（终端上默认开启） / Report progress on stderr (on by default on a terminal).")
@click.pass_obj
def build(project: Path, output: Path | None, timings: bool, no_cache: bool, progress: bool | None) -> None:
    """生成门户网站 / Build the portal into output/ from the releasable items."""
    from .site import BUILD_RULES, BuildError, build_site

    if progress is None:
        progress = sys.stderr.isatty()
    try:
        result = build_site(project, output, use_cache=not no_cache,
                            progress=(lambda line: click.echo(line, err=True)) if progress else None)
    except ConfigError as exc:
        raise _config_error(exc) from None
    except BuildError as exc:
        raise ProjectError(str(exc)) from None
    click.echo(result.summary())
    if timings:
        click.echo(result.timings_table())
    for finding in result.report:  # what the build itself left out (publisher check cannot show it)
        if finding.rule in BUILD_RULES:
            click.echo(finding.line())
    if result.report.errors:
        click.echo(
            f"{len(result.report.errors)} 个问题使部分内容未发布，详见 publisher check / "
            f"{len(result.report.errors)} problems kept some items unpublished; see 'publisher check'"
        )


# -- the release workflow ------------------------------------------------------------------


def _key_path(project: Path, user: str, key: Path | None) -> Path:
    from .paths import PathError, confined

    if key is not None:
        return key
    try:  # the user name becomes a file name: var/keys/<user>.key and nowhere else
        return confined(project / "var" / "keys", f"{user}.key")
    except PathError as exc:
        raise ProjectError(str(exc)) from None


def _load_key(project: Path, user: str, key: Path | None):
    from .keys import KeyFileError, load_private_key

    path = _key_path(project, user, key)
    if not path.is_file():
        raise ProjectError(f"找不到 '{user}' 的私钥 {path}（用 publisher keygen {user} 生成，或用 --key 指定） / "
                           f"no private key for '{user}' at {path} (create one with 'publisher keygen {user}' "
                           "or name it with --key)")
    passphrase = os.environ.get("PUBLISHER_PASSPHRASE")
    if passphrase is None and b"ENCRYPTED" in path.read_bytes():
        passphrase = click.prompt(f"'{user}' 的私钥口令 / passphrase for {path.name}", hide_input=True)
    try:
        return load_private_key(path, passphrase)
    except KeyFileError as exc:
        raise ProjectError(f"私钥无法使用 / the key cannot be used: {exc}") from None


def _workflow_call(func, *args, **kwargs):
    from .workflow import WorkflowError

    try:
        return func(*args, **kwargs)
    except ConfigError as exc:
        raise _config_error(exc) from None
    except WorkflowError as exc:
        click.echo(f"publisher: 已拒绝 / refused: {exc.zh} / {exc.en}", err=True)
        sys.exit(EXIT_PROBLEMS)


@cli.command()
@click.argument("user")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="私钥存放文件夹 / Folder for the key files (default: PROJECT/var/keys).")
@click.option("--no-passphrase", is_flag=True, help="不加密私钥（仅用于演示） / Leave the key unencrypted (demo only).")
@click.pass_obj
def keygen(project: Path, user: str, out: Path | None, no_passphrase: bool) -> None:
    """生成审批人或提交人的 Ed25519 密钥 / Create an approver's or submitter's Ed25519 key pair.

    The private key is written encrypted with a passphrase (mode 0600); add the printed public
    key to the person's entry under approvers or submitters in release_rules.yaml.
    """
    from .keys import write_keypair

    passphrase = None
    if not no_passphrase:
        passphrase = os.environ.get("PUBLISHER_PASSPHRASE") or click.prompt(
            "私钥口令 / passphrase", hide_input=True, confirmation_prompt=True)
    from .paths import PathError

    try:
        private, public = write_keypair(out or project / "var" / "keys", user, passphrase)
    except PathError as exc:
        raise ProjectError(str(exc)) from None
    except FileExistsError:
        raise ProjectError(f"'{user}' 的私钥已存在，未覆盖 / a key for '{user}' exists already; nothing was overwritten") from None
    click.echo(f"私钥 / private key: {private}")
    click.echo("请把公钥写入 release_rules.yaml / add the public key to release_rules.yaml:")
    click.echo(f"  approvers: {{{user}: {{public_key: {public.read_text().strip()}}}}}")
    click.echo(f"  (提交人 / or, for a submitter) submitters: {{{user}: {{public_key: {public.read_text().strip()}}}}}")


@cli.command()
@click.argument("items", nargs=-1, required=True)
@click.option("--as", "user", required=True, help="提交人 / Who submits.")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="私钥文件 / Private key file (default: PROJECT/var/keys/USER.key).")
@click.pass_obj
def submit(project: Path, items: tuple[str, ...], user: str, key: Path | None) -> None:
    """签名提交条目待审批 / Sign a submission of the current version of ITEMS for approval."""
    from .workflow import submit as submit_items

    private_key = _load_key(project, user, key)
    for entry in _workflow_call(submit_items, project, list(items), user, private_key):
        click.echo(f"已提交 / submitted: {entry.item} (log #{entry.seq}, {entry.details['digest'][:12]})")


@cli.command()
@click.argument("items", nargs=-1, required=True)
@click.option("--as", "user", required=True, help="审批人 / The approver.")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="私钥文件 / Private key file (default: PROJECT/var/keys/USER.key).")
@click.option("--role", default=None, help="以哪个角色批准 / Approve in this role (when you hold several).")
@click.option("--ack-warnings", is_flag=True, help="已逐条查看并确认全部警告 / I have reviewed every warning.")
@click.option("--note", default="", help="审批意见；新版本须说明更正内容 / Note; required for a new version.")
@click.option("--reason", type=click.Choice(["initial", "scheduled-update", "revision", "correction"]),
              default=None, help="发布原因 / Why this version is published.")
@click.option("--digest", default=None,
              help="所审阅版本的摘要（可用前缀，至少 8 位） / Digest of the version you reviewed (a prefix of 8+ hex digits).")
@click.pass_obj
def approve(project: Path, items: tuple[str, ...], user: str, key: Path | None, role: str | None,
            ack_warnings: bool, note: str, reason: str | None, digest: str | None) -> None:
    """签名批准条目待审批的提交 / Sign an approval of the submitted version of ITEMS.

    What is signed is the archived bytes of each item's newest submission (as 'publisher diff'
    shows them), never the working copy; with --digest, only if that is the version open.
    Every item is checked first: if any approval would be refused, none is recorded.
    """
    from .workflow import approve as approve_items

    if digest is not None and len(items) > 1:
        raise click.UsageError("--digest 只能用于一个条目 / --digest names the version of one item only")
    private_key = _load_key(project, user, key)
    for entry in _workflow_call(approve_items, project, list(items), user, private_key, role=role,
                                ack_warnings=ack_warnings, note=note, reason=reason, expected_digest=digest):
        click.echo(f"已批准 / approved: {entry.item} {entry.details['digest']} as {entry.details['role']} "
                   f"(log #{entry.seq})")


@cli.command()
@click.argument("item")
@click.option("--as", "user", required=True, help="审批人 / The approver.")
@click.option("--reason", required=True, help="退回原因 / Why it is sent back.")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="私钥文件 / Private key file (default: PROJECT/var/keys/USER.key).")
@click.option("--digest", default=None,
              help="所审阅版本的摘要（可用前缀） / Digest of the version you reviewed (a prefix of 8+ hex digits).")
@click.pass_obj
def reject(project: Path, item: str, user: str, reason: str, key: Path | None, digest: str | None) -> None:
    """签名退回条目待审批的提交 / Sign that an item's submitted version is sent back, with a reason."""
    from .workflow import reject as reject_item

    private_key = _load_key(project, user, key)
    entry = _workflow_call(reject_item, project, item, user, private_key, reason, expected_digest=digest)
    click.echo(f"已退回 / rejected: {item} {entry.details['digest']} (log #{entry.seq})")


@cli.command()
@click.argument("item")
@click.option("--as", "user", required=True, help="新闻办公室或本部门审核人 / The press office or the department's reviewer.")
@click.option("--reason", required=True, help="重新开放的原因 / Why the rejected bytes may be submitted again.")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="私钥文件 / Private key file (default: PROJECT/var/keys/USER.key).")
@click.option("--digest", default=None,
              help="被退回版本的摘要（可用前缀；默认最近一次退回） / Digest of the rejected version (default: the latest rejection).")
@click.pass_obj
def reopen(project: Path, item: str, user: str, reason: str, key: Path | None, digest: str | None) -> None:
    """重新开放被退回的版本 / Let a rejected version of ITEM be submitted again."""
    from .workflow import reopen as reopen_item

    private_key = _load_key(project, user, key)
    entry = _workflow_call(reopen_item, project, item, user, private_key, reason, digest=digest)
    click.echo(f"已重新开放 / reopened: {item} {entry.details['digest']} as {entry.details['role']} "
               f"(log #{entry.seq})")


@cli.command()
@click.argument("item")
@click.option("--as", "user", required=True, help="新闻办公室审批人 / A press-office approver.")
@click.option("--reason", required=True, help="撤回原因（公开显示） / Why it is withdrawn (shown publicly).")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="私钥文件 / Private key file (default: PROJECT/var/keys/USER.key).")
@click.pass_obj
def withdraw(project: Path, item: str, user: str, reason: str, key: Path | None) -> None:
    """签名撤回已发布的条目 / Sign the withdrawal of a published item."""
    from .workflow import withdraw as withdraw_item

    private_key = _load_key(project, user, key)
    for entry in _workflow_call(withdraw_item, project, item, user, private_key, reason):
        click.echo(f"已撤回 / withdrawn: {entry.item} (log #{entry.seq})")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def status(project: Path, fmt: str) -> None:
    """每个条目的状态 / Where every item stands."""
    from .workflow import item_states

    states, _ = _workflow_call(item_states, project)
    if fmt == "json":
        click.echo(json.dumps([s.to_dict() for s in states], ensure_ascii=False, indent=2))
        return
    for s in states:
        roles = ""
        if s.state in ("awaiting", "modified"):
            pending = [r for r in s.roles_required if r not in s.roles_done]
            roles = f"  待 / needs: {', '.join(pending)}"
        version = f" v{s.versions[-1].number}" if s.versions else ""
        click.echo(f"{s.item:<40} {s.label_zh} / {s.label_en}{version}{roles}")


@cli.command()
@click.argument("item")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def diff(project: Path, item: str, fmt: str) -> None:
    """与上一已批准版本的差异 / What changed in ITEM since its last approved version.

    Shows the submitted version open for approval (its archived bytes, the ones 'publisher
    approve' signs); with no submission open, the working copy, marked as such."""
    from .diff import item_diff

    result = _workflow_call(item_diff, project, item)
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if fmt == "json" else result.to_text())


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 / Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="端口 / Port.")
@click.option("--preview-port", type=int, default=None,
              help="预览端口（默认为端口加 1） / Port of the sandboxed previews (default: port + 1).")
@click.option("--allow-remote", is_flag=True,
              help="允许非本机地址（不建议） / Allow a non-loopback address (not recommended).")
@click.pass_obj
def review(project: Path, host: str, port: int, preview_port: int | None, allow_remote: bool) -> None:
    """打开新闻办公室审核台 / Start the press office's review console in the browser."""
    from .review import ReviewError, make_server

    try:
        server = make_server(project, host, port, allow_remote=allow_remote, preview_port=preview_port)
    except ConfigError as exc:
        raise _config_error(exc) from None
    except ReviewError as exc:
        raise ProjectError(f"{exc.zh} / {exc.en}") from None
    except OSError as exc:
        raise ProjectError(f"无法在 {host}:{port} 上监听 / cannot listen on {host}:{port}: {exc.strerror}") from None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"审核台已启动，请在浏览器中打开 / the review console is running at "
               f"http://{shown}:{getattr(server, 'effective_port', port)}/  (Ctrl+C 停止 / to stop)")
    click.echo(f"预览在另一端口上以沙箱方式提供 / previews are served sandboxed on port "
               f"{getattr(server, 'preview_port', '?')}")
    try:
        server.run()
    finally:
        server.close()


@cli.group()
def audit() -> None:
    """审计记录 / The audit trail."""


@audit.command("log")
@click.argument("item", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def audit_log(project: Path, item: str | None, fmt: str) -> None:
    """显示审计记录 / Show the history, of one item or of all."""
    from .workflow import open_log

    with open_log(project) as log:
        entries = log.entries(item)
    if fmt == "json":
        click.echo(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=2))
        return
    for e in entries:
        extra = e.details.get("role") or e.details.get("reason") or ""
        click.echo(f"#{e.seq:<5} {e.time}  {e.event:<12} {e.item:<36} {e.actor:<16} {extra}")


@audit.command("verify")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def audit_verify(project: Path, fmt: str) -> None:
    """核验审计记录未被篡改 / Check that the audit trail is intact (and extends what the site published)."""
    from .workflow import LOG_FILE, var_dir, verified_log

    path = var_dir(project) / LOG_FILE
    if not path.is_file():
        raise ProjectError(f"没有审计记录 {path} / there is no audit log at {path}")
    result = verified_log(project, project / "output").result  # as the build checks it
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if fmt == "json" else result.line())
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


@cli.command()
@click.argument("items", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="报告格式 / Report format: text for people, json for programs.")
@click.pass_obj
def check(project: Path, items: tuple[str, ...], fmt: str) -> None:
    """检查内容是否符合发布规则 / Check ITEMs (default: all) against release_rules.yaml.

    Exit code 0: no errors (warnings must still be acknowledged at approval); 1: errors found;
    2: the rules file is broken, or an ITEM does not exist.
    """
    import json

    from .check import UnknownItemError, check_items

    try:
        result = check_items(project, list(items))
    except ConfigError as exc:
        raise _config_error(exc) from None
    except UnknownItemError as exc:
        raise ProjectError(f"没有这些内容 / no such items: {', '.join(exc.items)}") from None
    report = result.report
    if fmt == "json":
        payload = {"ok": report.ok, "counts": report.counts(), "items": result.items,
                   "findings": [f.to_dict() for f in report]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        click.echo(report.to_text(result.items))
    sys.exit(_exit_for(report))


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="门户网站的文件夹（含 log/） / The portal's folder on disk, holding log/ (default: PROJECT/output).")
@click.option("--checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="以前保存的检查点 / A checkpoint saved earlier: prove the log only grew since.")
@click.option("--vkey", default=None, help="可信的日志公钥 / The log's verifier key from a trusted source.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def verify(project: Path, file: Path, site_dir: Path | None, checkpoint: Path | None, vkey: str | None,
           fmt: str) -> None:
    """核验下载的文件 / Check a downloaded file against the portal's published audit log."""
    from .verify import verify_file

    saved = checkpoint.read_text(encoding="utf-8") if checkpoint else None
    verdict = verify_file(file, site_dir or project / "output", vkey=vkey, saved_checkpoint=saved)
    if fmt == "json":
        click.echo(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(verdict.lines()))
    sys.exit(EXIT_OK if verdict.ok else EXIT_PROBLEMS)


@cli.group()
def draft() -> None:
    """起草公报 / Draft bulletins from the data."""


@draft.command("bulletin")
@click.argument("kind", type=click.Choice(["air-monthly", "water-quarterly"]))
@click.option("--month", default=None, help="月份 / The month, e.g. 2025-10 (air-monthly).")
@click.option("--quarter", default=None, help="季度 / The quarter, e.g. 2025-Q3 (water-quarterly).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出文件 / Where to write (default: content/bulletins/<id>.md); never overwritten.")
@click.pass_obj
def draft_bulletin_command(project: Path, kind: str, month: str | None, quarter: str | None, out: Path | None) -> None:
    """按数据起草公报 / Write a draft bulletin whose every number is a figure computed from the data."""
    from .drafting import DraftError, draft_bulletin

    period = month if kind == "air-monthly" else quarter
    if not period:
        raise ProjectError("请给出 --month（air-monthly）或 --quarter（water-quarterly） / give --month or --quarter")
    try:
        path = draft_bulletin(project, kind, period, out)
    except ConfigError as exc:
        raise _config_error(exc) from None
    except DraftError as exc:
        raise ProjectError(str(exc)) from None
    click.echo(f"已起草 / Drafted: {path}")
    click.echo(f"下一步 / Next: publisher check {path.name.removesuffix('.md')}")


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
