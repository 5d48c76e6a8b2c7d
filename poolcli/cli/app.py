"""The ``poolimg`` command: the Typer app, its commands, and the entry point.

Each command parses its options (:mod:`poolcli.cli.parsing`), hands the work to
:mod:`poolcli.batch.workers` or :mod:`poolcli.pictures.grid`, and shows what comes back through
:mod:`poolcli.cli.terminal`: lines on stderr, JSON lines on stdout and an exit code (0 done, 1 an
input failed, 2 bad usage with nothing written, 130 interrupted). numpy, Pillow and Rich are
imported inside the commands that need them, so ``poolimg --version`` and ``--help`` start fast.
"""

import contextlib
import copy
import os
import sys
from typing import Annotated, Any

import typer

from poolcli import __version__
from poolcli.batch.report import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED
from poolcli.cli.compare import compare
from poolcli.cli.explore import explore
from poolcli.cli.help_layout import PanelledCommand, enable_completion
from poolcli.cli.help_texts import EXAMPLES, SUMMARIES
from poolcli.cli.parsing import (
    fill_optional_values,
    read_files_from,
    run_options_for,
)
from poolcli.cli.pooling_args import PoolingArgs, signature_for
from poolcli.cli.terminal import Terminal, fail_usage, run_inputs
from poolcli.cli.tools import completion, plan, show
from poolcli.errors import PoolError, StdoutClosed
from poolcli.spec.pool_spec import MODES

app = typer.Typer(
    name="poolimg",
    help="Downsample images by pooling (max, avg, min, stride, sum, lp, stochastic), and see "
    "what each pass keeps.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _pool_command(mode: str) -> Any:
    def command(**given: Any) -> None:
        args = PoolingArgs(**given)
        term = Terminal(args.quiet, args.verbose, args.json_)
        try:
            run = run_options_for(mode, args)
            paths = list(args.inputs or [])
            listed = [] if args.files_from is None else read_files_from(args.files_from, args.null)
        except (PoolError, ValueError, OSError) as exc:
            fail_usage(term, str(exc))
        if not paths and not listed:
            fail_usage(term, f"no input: give image files or folders (poolimg {mode} --help)")
        if args.output == "-" and args.json_:
            fail_usage(term, "-o - and --json both want standard output; choose one")
        if args.output == "-" and run.sheet == "auto":
            fail_usage(term, "--sheet with -o - needs a PATH for the sheet")
        code = run_inputs(
            term, paths, listed, run, recursive=args.recursive, jobs=args.jobs, dask=args.dask
        )
        raise typer.Exit(code)

    command.__doc__ = f"{SUMMARIES[mode]}\n\n{EXAMPLES[mode]}"
    # Each command shows only the options its mode has: Typer reads the signature.
    command.__signature__ = signature_for(mode)  # type: ignore[attr-defined]
    return command


for _mode in MODES:
    app.command(name=_mode, no_args_is_help=True, cls=PanelledCommand)(_pool_command(_mode))


# The commands beside the pooling ones: compare.py, explore.py, tools.py.
for _tool in (compare, explore, plan, show, completion):
    app.command(no_args_is_help=True, cls=PanelledCommand)(_tool)


def _version(value: bool) -> None:
    if value:
        print(f"poolimg {__version__}")
        raise typer.Exit()


def _help_all(ctx: typer.Context, value: bool) -> None:
    """Every command's help, one after another (what a man page would hold)."""
    if not value:
        return
    group: Any = ctx.command
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        with command.make_context(name, [], parent=ctx, resilient_parsing=True) as sub:
            print(command.get_help(sub), end="\n\n")
    raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = None,
    help_all: Annotated[
        bool | None,
        typer.Option(
            "--help-all", callback=_help_all, is_eager=True, help="Print every command's help."
        ),
    ] = None,
) -> None:
    """Downsample images by pooling (max, avg, min, stride, sum, lp, stochastic), and see
    what each pass keeps.

    Numbers match PyTorch's, Keras's and Caffe's pooling layers (--compat). Each command has
    examples: poolimg max --help.
    """


def app_for(args: list[str]) -> typer.Typer:
    """``app`` with only the command that ``args`` names, if they name one.

    Typer builds the click options of every registered command on each start, which took
    50 ms of a 380-ms run on a 1-MP photo; a run needs only its own command. Anything else (no
    command, ``--help``, a mistyped name that click suggests a fix for) gets the whole app.
    """
    if not args:
        return app
    chosen = [
        info
        for info in app.registered_commands
        if args[0]
        == (info.name or typer.main.get_command_name(getattr(info.callback, "__name__", "")))
    ]
    if len(chosen) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands = chosen
    return one


def _stdout_closed(term: Terminal, exc: StdoutClosed) -> int:
    """How a run ends when standard output takes no more: quietly with 141 (128 + SIGPIPE, as
    a shell reports a program that a closed pipe stopped) when its reader closed it, with one
    line and 1 when writing failed."""
    with contextlib.suppress(OSError):  # nothing more may reach it, not even at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if exc.broken:
        return EXIT_BROKEN_PIPE
    term.error(f"{exc}; stopped, the files written so far are complete")
    return 1


def main() -> None:
    """Entry point of ``poolimg`` and ``python -m poolcli``.

    Every way out is one line on stderr and a documented exit code: click's own usage errors
    (an unknown command, ``--quality 0``) as ``poolimg: error: ...`` with 2, and a bug in
    poolimg as an internal error with 1 (its traceback only with ``POOLIMG_TRACEBACK=1``).
    """
    import warnings

    from typer.exceptions import TyperException

    term = Terminal()
    # The last guard: a warning no layer turned into a note is still one line of our own,
    # never Python's two lines with a source path.
    warnings.showwarning = lambda message, *_, **__: term.warn(str(message))
    args = fill_optional_values(sys.argv[1:])
    if args == ["--version"]:  # scripts ask it most: answered before Typer builds any command
        print(f"poolimg {__version__}")
        sys.exit(0)
    enable_completion()
    try:
        code = app_for(args)(args=args, prog_name="poolimg", standalone_mode=False)
    except TyperException as exc:  # click's errors: usage (2), or help for a bare command
        context = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and context and context.parent:
            # a command without inputs: its usage, and where the 90 lines of help are
            print(context.get_usage(), file=sys.stderr)
            print(f"Try '{context.command_path} --help' for its options and examples.",
                  file=sys.stderr)  # fmt: skip
        elif type(exc).__name__ == "NoArgsIsHelpError":
            getattr(exc, "show")()  # noqa: B009 (click's API, not in Typer's stubs)
        else:
            term.error(exc.format_message())
        code = exc.exit_code
    except KeyboardInterrupt:
        term.error("interrupted")
        code = EXIT_INTERRUPTED
    except StdoutClosed as exc:
        code = _stdout_closed(term, exc)
    except Exception as exc:
        if os.environ.get("POOLIMG_TRACEBACK"):
            raise
        term.error(
            f"internal error ({type(exc).__name__}: {exc}); please report it "
            "(POOLIMG_TRACEBACK=1 shows where)"
        )
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
