"""Shell completion: the scripts ``poolimg completion SHELL`` prints, the answers poolimg gives
through them (commands, options, the words of an option, files), and bash running it for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def complete(words: str, shell: str = "bash", cwd: Path | None = None) -> list[str]:
    """What poolimg answers a shell completing ``words`` (the last one unfinished)."""
    env = {**os.environ, "_POOLIMG_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        parts = words.split(" ")
        env["COMP_WORDS"], env["COMP_CWORD"] = words, str(len(parts) - 1)
    else:
        env["_TYPER_COMPLETE_ARGS"] = words
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"  # fish asks for the words
    done = subprocess.run(
        [sys.executable, "-m", "poolcli"],
        env=env,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout.split()


def test_commands_options_and_their_words() -> None:
    assert complete("poolimg ma") == ["max", "maxblurpool"]
    assert complete("poolimg bl") == ["blurpool"]
    assert "compare" in complete("poolimg ") and "completion" in complete("poolimg ")
    assert complete("poolimg max --pad") == ["--padding"]
    assert complete("poolimg max --padding ") == ["valid", "same", "ceil"]
    assert complete("poolimg avg --keep-metadata ") == ["all", "icc", "none"]
    assert complete("poolimg avg -f w") == ["webp"]
    assert complete("poolimg max --show ") == [
        "auto",
        "blocks",
        "ansi256",
        "kitty",
        "iterm",
        "sixel",
    ]
    assert complete("poolimg compare x.jpg --unpool d") == ["dark", "dim"]
    assert sorted(complete("poolimg compare x.jpg --modes max,s")) == [
        "max,stochastic",
        "max,stride",
        "max,sum",
    ]
    assert "--power" in complete("poolimg lp --") and "--power" not in complete("poolimg max --")


def test_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "shots").mkdir()
    (tmp_path / "shot.jpg").write_bytes(b"")
    assert complete("poolimg max sh", cwd=tmp_path) == ["shot.jpg", "shots/"]


def test_zsh_and_fish_answers_and_scripts() -> None:
    assert "valid" in " ".join(complete("poolimg max --padding ", "zsh"))
    assert complete("poolimg max --padding ", "fish")[:1] == ["valid"]
    for shell, marker in (("zsh", "compdef"), ("fish", "complete --command poolimg")):
        script = subprocess.run(
            [sys.executable, "-m", "poolcli", "completion", shell],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert marker in script and "_POOLIMG_COMPLETE=complete_" + shell in script


def test_bash_completes_through_the_script() -> None:
    if shutil.which("bash") is None or shutil.which("poolimg") is None:
        pytest.skip("needs bash and poolimg on PATH")
    script = subprocess.run(
        ["poolimg", "completion", "bash"], capture_output=True, text=True, check=True
    ).stdout
    probe = (
        script
        + '\nCOMP_WORDS=(poolimg max --padding ""); COMP_CWORD=3\n'
        + "_poolimg_completion poolimg\n"
        + 'printf "%s\\n" "${COMPREPLY[@]}"\n'
        + "complete -p poolimg\n"
    )
    done = subprocess.run(
        ["bash", "--norc", "-c", probe], capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    assert lines[:3] == ["valid", "same", "ceil"]
    assert lines[3] == "complete -o default -F _poolimg_completion poolimg"


def test_an_unknown_shell_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "poolcli", "completion", "tcsh"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        done.returncode == 2
        and done.stderr == "poolimg: error: completion 'tcsh': use bash, zsh or fish\n"
    )
