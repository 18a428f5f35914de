"""Command line: ``mockserver serve``, ``mockserver proxy`` and ``mockserver contract``."""

from __future__ import annotations

import errno
import socket
import sys
from dataclasses import replace
from typing import Any

import click
import uvicorn

from mockserver.core.settings import DEFAULT_STATE_PATH, Settings, load_config
from mockserver.http.app import create_app
from mockserver.providers import PROVIDERS


class _Commands(click.Group):
    """``serve`` is built in; ``contract`` comes from the contract suite, imported only when
    it is run (so ``serve`` does not load hypothesis and schemathesis)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), "contract"])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "contract":
            from mockserver.contracts.cli import contract
            return contract
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, invoke_without_command=True)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Local stand-in for AI music-generation APIs."""
    if ctx.invoked_subcommand is None:  # a bare `mockserver` shows what it can do
        click.echo(ctx.get_help())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option("--provider", "providers", multiple=True, type=click.Choice(list(PROVIDERS)),
              help="Serve only this provider (repeatable); exactly one is served at the root.")
@click.option("--state", "state_path", default=DEFAULT_STATE_PATH, show_default=True,
              help="SQLite state file, :memory:, or a PostgreSQL URL (postgresql://user:pass@host/db)"
                   " shared by several servers.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed for every id, hash and sound.")
@click.option("--api-key", "api_keys", multiple=True,
              help="Accept only this key (repeatable); default: any non-empty key.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="YAML config file (keys, balances, origins, webhooks).")
@click.option("--clock", "clock_mode", default="real", show_default=True,
              type=click.Choice(["real", "instant", "manual"]),
              help="How jobs move: real time, at once, or only on POST /_mock/clock/advance.")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(min=0.001),
              help="Run jobs this many times faster than realistic (real clock).")
@click.option("--admin-token", envvar="MOCKSERVER_ADMIN_TOKEN",
              help="Token the admin API (/_mock) requires; default: none on loopback, a random"
                   " one (printed) on any other --host.")
@click.option("--replay", "replay", type=click.Path(exists=True, file_okay=False),
              help="Answer the requests recorded in this directory of cassettes with their"
                   " recorded answers (jobs on the mock's clock); others are synthesized.")
@click.option("--replay-strict", is_flag=True,
              help="With --replay: answer an unrecorded request with 501 naming the nearest"
                   " recorded one, instead of synthesizing it.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Serve with this many processes on the one port, sharing the --state file.")
def serve(host: str, port: int, providers: tuple[str, ...], state_path: str, seed: int,
          api_keys: tuple[str, ...], config_path: str | None, clock_mode: str,
          speed: float, admin_token: str | None, replay: str | None,
          replay_strict: bool, workers: int) -> None:
    """Start the mock server."""
    if replay_strict and replay is None:
        raise click.UsageError("--replay-strict needs --replay DIR")
    if workers > 1 and state_path == ":memory:":
        raise click.UsageError("--workers shares state through the --state file; :memory:"
                               " cannot be shared between processes: give a file (or the"
                               f" default {DEFAULT_STATE_PATH})")
    sock = listening_socket(host, port)
    port = sock.getsockname()[1]
    config = load_config(config_path)
    settings = Settings(
        host=host, port=port, providers=providers, state_path=state_path,
        seed=int(config.get("seed", seed)) if seed == 0 else seed,
        api_keys=api_keys, config=config, clock=clock_mode, speed=speed,
        admin_token=admin_token, replay=replay, replay_strict=replay_strict, workers=workers,
    )
    try:
        app = create_app(settings)
    except ValueError as exc:  # a bad config value: the message names it, no traceback
        sock.close()
        raise click.ClickException(str(exc)) from None
    for name, base in app.mounts:
        click.echo(f"{name:<12} http://{host}:{port}{base or ''}/  (docs: {base}/ui/)")
    click.echo(f"{'admin':<12} http://{host}:{port}/_mock/health")
    click.echo(f"state: {app.services.store.path}   seed: {settings.seed}   clock: {clock_mode}")
    if replay is not None:
        click.echo(f"replaying: {replay}{' (strict: unrecorded requests get 501)' if replay_strict else ''}")
    click.echo(admin_line(settings, app.admin_token))
    if workers > 1:
        from mockserver.prefork import run_workers

        click.echo(f"workers: {workers} (one port, state shared through {state_path})")
        app.services.store.close()  # checked and migrated here; each worker opens its own
        # a generated admin token is generated once, for every worker
        sys.exit(run_workers(replace(settings, admin_token=app.admin_token), sock, workers))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    server.run(sockets=[sock])


@main.command()
@click.argument("provider", type=click.Choice(list(PROVIDERS)))
@click.option("--upstream", required=True,
              help="The provider's base URL, with its spec's server path"
                   " (e.g. https://api.musicgpt.com/api/public).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option("--state", "state_path", default=":memory:", show_default=True,
              help="SQLite file for the journal and the violations, or :memory:.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False),
              help="Write the violations as JUnit XML here when the proxy stops.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False),
              help="Write the violations as markdown here when the proxy stops.")
@click.option("--public-url",
              help="The proxy's URL as the provider reaches it, for webhook relays"
                   " (default: the URL the app used).")
@click.option("--record", "record_dir", type=click.Path(file_okay=False),
              help="Save every exchange here as a cassette (keys, signatures and tokens"
                   " redacted), for `mockserver serve --replay`.")
@click.option("--admin-token", envvar="MOCKSERVER_ADMIN_TOKEN",
              help="Token the proxy's /_mock (journal, violations) requires; default: none on"
                   " loopback, a random one (printed) on any other --host. The webhook relays"
                   " stay open.")
def proxy(provider: str, upstream: str, host: str, port: int, state_path: str,
          junit_path: str | None, markdown_path: str | None, public_url: str | None,
          record_dir: str | None, admin_token: str | None) -> None:
    """Stand between your app and the real provider: forward every request, check requests,
    responses, webhooks and audio against the spec, and report each violation by name."""
    from mockserver.http.admin_access import AdminAccess
    from mockserver.proxy.app import create_proxy_app

    settings = Settings(host=host, admin_token=admin_token)
    try:
        access = AdminAccess.for_settings(settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    sock = listening_socket(host, port)
    port = sock.getsockname()[1]
    try:
        proxy_app = create_proxy_app(PROVIDERS[provider], upstream, state_path, junit_path,
                                     markdown_path, public_url, echo=click.echo, access=access)
    except ValueError as exc:
        sock.close()
        raise click.ClickException(str(exc)) from None
    app: Any = proxy_app
    if record_dir is not None:
        from mockserver.recording.recorder import Recorder
        app = Recorder(proxy_app, record_dir, proxy_app.locate,
                       sensitive_headers=PROVIDERS[provider].sensitive_headers)
    click.echo(f"{provider:<12} http://{host}:{port}{proxy_app.base}/  ->  {upstream}")
    if record_dir is not None:
        click.echo(f"{'recording':<12} {record_dir}  (replay: mockserver serve --replay {record_dir})")
    click.echo(f"{'violations':<12} http://{host}:{port}/_mock/violations")
    click.echo(f"state: {state_path}   (keys pass through and are never stored)")
    click.echo(admin_line(settings, access.token))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    server.run(sockets=[sock])


def admin_line(settings: Settings, token: str | None) -> str:
    """What the banner says about access to the admin API."""
    if token is None:
        return "admin API: open to this machine only (listening on loopback)"
    how = "send `Authorization: Bearer <token>` or `X-Mock-Admin-Token: <token>`"
    if settings.admin_token is None and settings.config.get("admin_token") is None:
        return f"admin token: {token}  (generated for this run; {how}; fix it with --admin-token)"
    return f"admin token: the one you set ({how})"


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port), before anything is printed; a port in use or an
    address that cannot be bound is a clear error (exit status 1), not a traceback."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(bind_error(host, port, exc)) from None
    sock.set_inheritable(True)
    return sock


def bind_error(host: str, port: int, exc: OSError) -> str:
    """What to tell the user when (host, port) cannot be bound."""
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (another mockserver?);"
                f" pick another with --port, e.g. --port {port + 1}")
    if exc.errno == errno.EACCES:
        return f"no permission to listen on port {port} on {host}; pick a port above 1023"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; use --host 127.0.0.1"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


if __name__ == "__main__":
    main()
