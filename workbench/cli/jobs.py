"""``workbench jobs``: run job notebooks, schedule them, and inspect their recorded runs."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from workbench.errors import ConfigError, JobError

app = typer.Typer(help="Run, schedule and inspect papermill job notebooks.",
                  no_args_is_help=True)

_ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]


def _settings(config: Path | None) -> Any:
    from workbench.cli import settings_from

    settings = settings_from(config)
    # kernels inherit this process's environment: give numba a writable cache
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(settings.data.dir).resolve() / ".cache"
                                                 / "numba"))
    return settings


def _store(settings: Any, *, migrate: bool) -> Any:
    from workbench.store import open_store

    store = open_store(settings)
    if migrate:
        store.upgrade()
    else:
        store.require_current()
    return store


def _grid(values: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, text in values:
        items = [v.strip() for v in text.split(",") if v.strip()]
        if not items:
            raise ConfigError(f"--grid {key} {text!r} has no values; give v1,v2,...",
                              setting="grid")
        out[key] = items
    return out


def _line(rec: Any) -> str:
    took = f"{rec.duration_s:.1f}s" if rec.duration_s is not None else "-"
    tail = f"  {rec.error}" if rec.error else ""
    return f"{rec.run_id}  {rec.status:<9} {took:>8}{tail}"


def _pairs(args: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Split ``-p NAME VALUE`` and ``-g NAME v1,v2`` pairs out of the extra arguments.

    (Typer has no option taking two values many times, so the command reads them itself.)
    """
    params: list[tuple[str, str]] = []
    grid: list[tuple[str, str]] = []
    i = 0
    while i < len(args):
        flag = args[i]
        target = (params if flag in ("-p", "--param") else grid if flag in ("-g", "--grid")
                  else None)
        if target is None:
            raise ConfigError(f"Unexpected argument {flag!r}; parameters are given as "
                              "-p NAME VALUE and sweeps as -g NAME v1,v2.", setting="param")
        if len(args) - i < 3:
            raise ConfigError(f"{flag} needs a name and a value, e.g. {flag} bars 5000.",
                              setting="param")
        target.append((args[i + 1], args[i + 2]))
        i += 3
    return params, grid


@app.command("run", context_settings={"allow_extra_args": True,
                                      "ignore_unknown_options": True})
def run_cmd(
    ctx: typer.Context,
    jobs: Annotated[list[str], typer.Argument(help="Job name(s) in notebooks/jobs, or .ipynb "
                                              "paths; then -p NAME VALUE (parameter, repeat) "
                                              "and -g NAME v1,v2,... (run every combination).")],
    cluster: Annotated[str | None, typer.Option(
        help="Dask scheduler address (tcp://host:8786): run the batch on the cluster.")] = None,
    timeout: Annotated[float | None, typer.Option(
        help="Seconds before a run is stopped (default jobs.timeout_s).")] = None,
    retries: Annotated[int | None, typer.Option(
        help="Retries after a failure (default jobs.retries; single runs only).")] = None,
    config: _ConfigOpt = None,
) -> None:
    """Execute job(s) with papermill on the workbench kernel and record each run."""
    from workbench.jobs.batch import expand_params, run_batch
    from workbench.jobs.runner import run_job_with_retries

    settings = _settings(config)
    store = _store(settings, migrate=True)
    tokens = [*jobs, *ctx.args]  # click may leave "-p ..." in the variadic argument
    first_flag = next((i for i, t in enumerate(tokens) if t.startswith("-")), len(tokens))
    jobs = tokens[:first_flag]
    if not jobs:
        raise ConfigError("Name at least one job, e.g. `workbench jobs run daily_report`.",
                          setting="jobs")
    param, grid = _pairs(tokens[first_flag:])
    sets = expand_params(dict(param), _grid(grid))
    items = [(job, p) for job in jobs for p in sets]
    if len(items) == 1 and cluster is None:
        records = run_job_with_retries(items[0][0], items[0][1], retries=retries,
                                       settings=settings, store=store, timeout_s=timeout)
        for rec in records:
            typer.echo(_line(rec))
        final = records[-1]
    else:
        records = run_batch(items, settings=settings, cluster=cluster, timeout_s=timeout)
        for rec in records:
            typer.echo(_line(rec))
        bad = [r for r in records if not r.is_ok]
        if bad:
            raise JobError(f"{len(bad)} of {len(records)} runs did not succeed: "
                           f"{', '.join(r.run_id for r in bad)}; see `workbench jobs show RUN`.",
                           run_id=bad[0].run_id)
        return
    if final.is_ok:
        typer.echo(f"notebook: {final.notebook_path}")
        if final.metrics:
            typer.echo(f"metrics: {json.dumps(final.metrics, default=str)}")
    final.check()


@app.command("list")
def list_cmd(
    job: Annotated[str | None, typer.Option(help="Only this job.")] = None,
    status: Annotated[str | None, typer.Option(
        help="Only runs with this status (succeeded, failed, timeout, running).")] = None,
    limit: Annotated[int, typer.Option(help="Newest runs to show.")] = 20,
    config: _ConfigOpt = None,
) -> None:
    """Recorded runs, newest first."""
    from workbench.jobs.runner import RunRecord, load_runs

    store = _store(_settings(config), migrate=False)
    frame = load_runs(store, job=job, status=status, limit=limit)
    if frame.empty:
        typer.echo("no runs recorded")
        return
    for row in frame.to_dict("records"):
        rec = RunRecord.from_row(row)
        when = rec.started.strftime("%Y-%m-%d %H:%M:%S") if rec.started is not None else "-"
        typer.echo(f"{when}  {_line(rec)}")


@app.command("show")
def show_cmd(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    config: _ConfigOpt = None,
) -> None:
    """One run: status, parameters, metrics, error and the executed notebook."""
    from workbench.jobs.runner import load_run

    rec = load_run(_store(_settings(config), migrate=False), run_id)
    typer.echo(f"run       {rec.run_id}")
    typer.echo(f"job       {rec.job} (attempt {rec.attempt})")
    typer.echo(f"status    {rec.status}")
    typer.echo(f"started   {rec.started}")
    typer.echo(f"finished  {rec.finished}")
    took = "-" if rec.duration_s is None else f"{rec.duration_s:.2f}s"
    typer.echo(f"duration  {took}")
    typer.echo(f"notebook  {rec.notebook_path or '-'}")
    if rec.error:
        typer.echo(f"error     {rec.error}")
    typer.echo(f"params    {json.dumps(rec.params, default=str)}")
    typer.echo(f"metrics   {json.dumps(rec.metrics, indent=2, default=str)}")


@app.command("params")
def params_cmd(
    job: Annotated[str, typer.Argument(help="Job name or .ipynb path.")],
) -> None:
    """The parameters a job takes, with defaults and help."""
    from workbench.jobs.notebooks import find_notebook, notebook_parameters

    for p in notebook_parameters(find_notebook(job)).values():
        typer.echo(f"{p.name:<16} {p.type_name:<6} {p.default!r:<24} {p.help}")


@app.command("available")
def available_cmd() -> None:
    """Job notebooks that can be run."""
    from workbench.jobs.notebooks import job_names

    for name in job_names():
        typer.echo(name)


@app.command("schedule")
def schedule_cmd(
    max_seconds: Annotated[float | None, typer.Option(
        help="Stop after this long (default: until Ctrl-C or SIGTERM).")] = None,
    poll: Annotated[float, typer.Option(help="Seconds between schedule checks.")] = 1.0,
    config: _ConfigOpt = None,
) -> None:
    """Run jobs on the cron expressions of jobs.schedule (one run per job at a time)."""
    from workbench.jobs.scheduler import Scheduler

    settings = _settings(config)
    store = _store(settings, migrate=True)
    sched = Scheduler(settings.jobs.schedule, settings=settings, store=store)
    for job, when in sched.next_fire_times().items():
        typer.echo(f"{job:<16} {settings.jobs.schedule[job]:<16} next {when.isoformat()}")
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    if max_seconds is not None:
        threading.Timer(max_seconds, stop.set).start()
    sched.run_forever(stop, poll_s=poll)
    typer.echo(f"scheduler stopped: {len(sched.started)} runs started, "
               f"{len(sched.skipped)} skipped")
