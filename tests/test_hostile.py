"""What a hostile file, name or number does to poolimg: each case found from outside (issue 9),
run as a user runs it. None may crash it, escape the output folder, hang it or go unreported."""

from __future__ import annotations

import json
import os
import shutil
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import poolcli
from poolcli import InputError, pool
from poolcli.io.reading import load

from . import reference
from .helpers import assert_clean_stderr, bomb_png, json_lines, peak_memory_mib, pixels, poolimg


@pytest.fixture
def work(tmp_path: Path, samples: Path) -> Path:
    shutil.copy(samples / "camera.png", tmp_path / "camera.png")
    return tmp_path


def cut_tiff(folder: Path) -> Path:
    """A two-page TIFF cut after its first half: Pillow's n_frames raises TypeError on it."""
    page = Image.new("RGB", (90, 60), "red")
    page.save(folder / "two.tif", save_all=True, append_images=[page])
    (folder / "cut.tif").write_bytes((folder / "two.tif").read_bytes()[:16000])
    (folder / "two.tif").unlink()
    return folder / "cut.tif"


class TestDamagedFiles:
    def test_a_cut_multipage_tiff_is_one_clear_error_in_every_command(self, work: Path) -> None:
        cut = cut_tiff(work)
        for args in (["max", cut], ["plan", cut], ["compare", cut]):
            done = poolimg(*args, cwd=work)
            assert done.returncode == 1, done.stderr
            assert done.stderr.decode().startswith(f"poolimg: error: {cut}: truncated or corrupt")
            assert_clean_stderr(done.stderr)

    def test_a_cut_tiff_fails_alone_in_a_parallel_batch(self, work: Path) -> None:
        cut_tiff(work)
        done = poolimg("max", ".", "-j", "2", "--json", "-o", "out", cwd=work)
        assert done.returncode == 1
        status = {Path(r["input"]).name: r["status"] for r in json_lines(done.stdout)}
        assert status == {"camera.png": "done", "cut.tif": "failed"}
        assert "1 done, 1 failed" in done.stderr.decode()
        assert (work / "out" / "camera_max_k2_s2_p1.png").exists()
        assert_clean_stderr(done.stderr)

    def test_a_bug_in_poolcli_is_never_called_a_corrupt_file(self, work: Path, monkeypatch) -> None:
        from poolcli.io import reading

        def broken(image):
            raise TypeError("a bug in poolcli")

        monkeypatch.setattr(reading, "to_planar", broken)
        with pytest.raises(TypeError, match="a bug in poolcli"):
            reading.load(work / "camera.png")
        report = poolcli.process([str(work / "camera.png")], poolcli.PoolSpec(), output=str(work))
        (result,) = report.results
        assert result.status == "failed" and "internal error (TypeError: a bug" in result.error
        assert "corrupt" not in result.error and result.internal

    def test_decoder_warnings_become_one_line_notes_naming_the_file(self, work: Path) -> None:
        # A tag that claims more data than the file holds: Pillow skips it with a UserWarning,
        # which Python would print with Pillow's path and source line.
        Image.new("L", (20, 10), 200).save(work / "tags.tif")
        data = bytearray((work / "tags.tif").read_bytes())
        for entry in range(struct.unpack_from("<H", data, 8)[0]):
            if struct.unpack_from("<H", data, 10 + 12 * entry)[0] == 284:  # PlanarConfiguration
                struct.pack_into("<I", data, 10 + 12 * entry + 4, 1000)  # count
        (work / "tags.tif").write_bytes(bytes(data))
        done = poolimg("max", "tags.tif", "-o", "out", cwd=work)
        assert done.returncode == 0
        assert done.stderr.decode().splitlines()[0] == (
            "poolimg: warning: tags.tif: Tag data larger than file. Skipping tag 284"
        )
        assert_clean_stderr(done.stderr)

    def test_pillows_log_never_reaches_stderr(self, work: Path) -> None:
        # Pillow logs "More samples per pixel than can be decoded" with logging.error, which
        # Python prints itself when nobody has set up logging (found by the fuzzer).
        Image.new("RGB", (8, 8), "red").save(work / "spp.tif")
        data = bytearray((work / "spp.tif").read_bytes())
        for entry in range(struct.unpack_from("<H", data, 8)[0]):
            if struct.unpack_from("<H", data, 10 + 12 * entry)[0] == 277:  # SamplesPerPixel
                struct.pack_into("<H", data, 10 + 12 * entry + 8, 12)
        (work / "spp.tif").write_bytes(bytes(data))
        done = poolimg("max", "spp.tif", cwd=work)
        assert done.returncode == 1
        assert done.stderr.decode().count("\n") == 1 and "samples" not in done.stderr.decode()
        assert_clean_stderr(done.stderr)


class TestFolders:
    @pytest.mark.parametrize("recursive", [[], ["-r"]])
    def test_symlink_loops_to_files_are_skipped_with_a_warning(
        self, work: Path, recursive: list[str]
    ) -> None:
        photos = work / "d"
        photos.mkdir()
        shutil.copy(work / "camera.png", photos / "good.png")
        (photos / "self.png").symlink_to("self.png")
        (photos / "a.png").symlink_to("b.png")
        (photos / "b.png").symlink_to("a.png")
        done = poolimg("max", "d", *recursive, "-o", "out", "--json", cwd=work)
        assert done.returncode == 0, done.stderr
        lines = json_lines(done.stdout)
        assert [Path(r["input"]).name for r in lines if r["status"] != "skipped"] == ["good.png"]
        assert all(r["status"] == "done" or "symbolic links" in r["reason"] for r in lines)
        stderr = done.stderr.decode()
        for name in ("self.png", "a.png", "b.png"):
            assert f"poolimg: warning: d/{name}: too many levels of symbolic links" in stderr
        assert_clean_stderr(done.stderr)

    def test_a_file_named_explicitly_is_an_input_inside_the_output_folder(self, work: Path) -> None:
        done = poolimg("max", "camera.png", "-o", ".", cwd=work)
        assert done.returncode == 0, done.stderr
        assert (work / "camera_max_k2_s2_p1.png").exists()
        (work / "sub").mkdir()
        shutil.copy(work / "camera.png", work / "sub" / "photo.png")
        done = poolimg("max", "sub/photo.png", "-o", "sub/", cwd=work)
        assert done.returncode == 0 and (work / "sub" / "photo_max_k2_s2_p1.png").exists()
        assert pixels(work / "sub" / "photo.png").shape == (512, 512)  # the input, untouched


class TestNames:
    @pytest.mark.parametrize(
        "template",
        ["../escaped_{pass}.{ext}", "../../x_{pass}", "ABSOLUTE/abs_{pass}.png", "a/../../b{pass}"],
    )
    def test_a_name_that_leaves_the_output_folder_is_refused_before_reading(
        self, work: Path, template: str
    ) -> None:
        template = template.replace("ABSOLUTE", str(work.parent))
        before = set(work.parent.iterdir())
        done = poolimg("max", "camera.png", "-o", "out", "--name", template, cwd=work)
        assert done.returncode == 2
        assert "would write outside the output folder" in done.stderr.decode()
        assert set(work.parent.iterdir()) == before and not (work / "out").exists()

    def test_a_stem_that_would_climb_out_fails_that_input_only(self, work: Path) -> None:
        shutil.copy(work / "camera.png", work / "...png")  # its stem is '..'
        done = poolimg(
            "max", "...png", "camera.png", "--name", "{stem}/x{pass}.{ext}", "-o", "out", cwd=work
        )
        assert done.returncode == 1
        assert "would write outside the output folder" in done.stderr.decode()
        assert not (work / "x1.png").exists() and (work / "out" / "camera" / "x1.png").exists()

    def test_passes_that_would_share_a_name_are_refused_before_writing(self, work: Path) -> None:
        done = poolimg(
            "max", "camera.png", "-n", "3", "--name", "{stem}.{ext}", "-o", "out", cwd=work
        )
        assert done.returncode == 2
        assert "gives every pass of an input the same name; add {pass}" in done.stderr.decode()
        assert not (work / "out").exists()
        # with sizes in the name, passes that keep the size collide: found per input, still
        # before anything is written
        done = poolimg(
            "max",
            "camera.png",
            "-k",
            "1",
            "-n",
            "2",
            "--name",
            "{width}.png",
            "-o",
            "out",
            cwd=work,
        )
        assert done.returncode == 2 and "pass 1 and pass 2 would both write" in done.stderr.decode()
        assert not (work / "out").exists()

    def test_names_longer_than_a_file_system_holds(self, work: Path) -> None:
        long_name = "p" * 245 + ".png"  # legal, but its output name is not
        shutil.copy(work / "camera.png", work / long_name)
        done = poolimg("max", long_name, "camera.png", "-o", "out", "--json", cwd=work)
        assert done.returncode == 1
        failed = [r for r in json_lines(done.stdout) if r["status"] == "failed"]
        assert (
            len(failed) == 1 and "over the limit of 255; choose a shorter one" in failed[0]["error"]
        )
        assert (work / "out" / "camera_max_k2_s2_p1.png").exists()
        done = poolimg("max", "camera.png", "--name", "{pass:>99999}.png", cwd=work)
        assert done.returncode == 2 and "widths over 255" in done.stderr.decode()
        assert_clean_stderr(done.stderr)


@pytest.fixture(scope="module")
def bomb_file(tmp_path_factory) -> Path:
    """A 240-megapixel grey PNG of 230 kB: decoding it takes 240 MB."""
    return bomb_png(tmp_path_factory.mktemp("bomb") / "bomb.png", 20000, 12000)


class TestBombs:
    @pytest.fixture
    def bomb(self, work: Path, bomb_file: Path) -> Path:
        return Path(shutil.copy(bomb_file, work / "bomb.png"))

    @pytest.mark.parametrize(
        "args",
        [
            ["compare", "bomb.png"],
            ["max", "bomb.png", "--no-clobber"],
            ["max", "bomb.png", "--sheet"],
            ["avg", "bomb.png", "--global"],
        ],
    )
    def test_every_path_refuses_before_decoding(self, work: Path, bomb: Path, args) -> None:
        code, peak = peak_memory_mib(*args, cwd=work)
        assert code == 1 and peak < 150, (code, peak)
        done = poolimg(*args, cwd=work)
        assert (
            "20000x12000 is 240 megapixels, over the limit of 200 megapixels"
            in done.stderr.decode()
        )

    def test_standard_input_is_limited_too(self, work: Path, bomb: Path) -> None:
        done = poolimg("max", "-", "-o", "-", "--format", "png", cwd=work, stdin=bomb.read_bytes())
        assert done.returncode == 1 and done.stdout == b""
        assert "<stdin>: 20000x12000 is 240 megapixels" in done.stderr.decode()

    def test_plan_reads_the_header_only(self, work: Path, bomb: Path) -> None:
        code, peak = peak_memory_mib("plan", "bomb.png", "-n", "2", cwd=work)
        assert code == 0 and peak < 150, (code, peak)
        assert (
            "pass  2: 10000x6000 -> 5000x3000"
            in poolimg("plan", "bomb.png", "-n", "2", cwd=work).stdout.decode()
        )

    def test_a_later_tiff_page_over_the_limit_is_refused_before_it_is_decoded(
        self, work: Path
    ) -> None:
        small, large = Image.new("L", (10, 10)), Image.new("L", (300, 300))
        small.save(work / "pages.tif", save_all=True, append_images=[large])
        with pytest.raises(
            InputError, match="frames up to 300x300 is 90100 pixels, over the limit of 50000"
        ):
            load(work / "pages.tif", max_pixels=50_000)


class TestNumbers:
    def test_huge_windows_are_refused_at_once(self, work: Path) -> None:
        for command in ("plan", "max"):
            started = time.monotonic()
            done = poolimg(command, "camera.png", "-k", "9999999999", cwd=work)
            assert done.returncode == 2 and time.monotonic() - started < 20
            assert "size must be at most 2147483647" in done.stderr.decode()

    def test_a_one_row_window_with_stride_two_and_same_padding(self, work: Path) -> None:
        done = poolimg(
            "max", "camera.png", "-k", "3x1", "-s", "2x1", "-p", "same", "-o", "out", cwd=work
        )
        assert done.returncode == 0, done.stderr
        expected = reference.pool(pixels(work / "camera.png"), "max", (1, 3), (1, 2), "same")
        got = pixels(next((work / "out").iterdir()))
        np.testing.assert_array_equal(got, expected)

    def test_a_float_tiff_of_0_7_averages_to_0_7(self, work: Path) -> None:
        Image.fromarray(np.full((1500, 2000), 0.7, np.float32)).save(work / "f.tif")
        done = poolimg("avg", "f.tif", "--global", "--json", cwd=work)
        (line,) = json_lines(done.stdout)
        assert line["global"]["avg"] == [float(np.float32(0.7))] == line["global"]["max"]

    def test_max_pixels_must_be_a_count(self, work: Path) -> None:
        done = poolimg("max", "camera.png", "--max-pixels", "1", cwd=work)
        assert "512x512 is 262144 pixels, over the limit of 1 pixel" in done.stderr.decode()
        assert poolimg("max", "camera.png", "--max-pixels", "-1", cwd=work).returncode == 2


class TestUsage:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["bogus"], "poolimg: error: No such command 'bogus'."),
            (["compare", "camera.png", "--modes", ""], "poolimg: error: --modes '': give one or"),
            (["compare", "camera.png", "--sizes", " ,"], "poolimg: error: --sizes ' ,': give one"),
            (
                ["max", "camera.png", "--quality", "0"],
                "poolimg: error: Invalid value for '--quality'",
            ),
            (["max", "camera.png", "-j", "0"], "poolimg: error: Invalid value for '--jobs'"),
            (
                ["max", "camera.png", "-o", "x.bogus"],
                "poolimg: error: x.bogus: cannot tell the format",
            ),
            (["max", "camera.png", "--format", "bogus"], "poolimg: error: bogus: not a format"),
            (
                ["max", "camera.png", "--global", "-o", "x.png"],
                "poolimg: error: --global prints values and writes no image",
            ),
            (
                ["max", "camera.png", "--global", "--sheet"],
                "poolimg: error: --global prints values and writes no image",
            ),
        ],
    )
    def test_usage_errors_are_one_line_and_exit_2(self, work: Path, args, message: str) -> None:
        done = poolimg(*args, cwd=work)
        assert done.returncode == 2
        assert done.stderr.decode().splitlines() == [done.stderr.decode().strip()]
        assert done.stderr.decode().startswith(message), done.stderr

    def test_plan_shows_the_passes_that_fit_before_the_error(self, work: Path) -> None:
        done = poolimg("plan", "camera.png", "-n", "12", cwd=work)
        assert done.returncode == 2
        assert done.stdout.decode().splitlines()[-1].startswith("pass  9: 2x2 -> 1x1")
        assert (
            "pass 10 needs at least 2x2 pixels but gets 1x1; at most 9 passes fit"
            in done.stderr.decode()
        )
        data = json.loads(poolimg("plan", "camera.png", "-n", "12", "--json", cwd=work).stdout)
        assert len(data["passes"]) == 9 and "at most 9 passes fit" in data["error"]

    def test_compare_writes_to_standard_output_with_a_format(self, work: Path) -> None:
        done = poolimg("compare", "camera.png", "-o", "-", "--format", "png", "-n", "2", cwd=work)
        assert done.returncode == 0 and done.stdout.startswith(b"\x89PNG")
        assert done.stderr == b""

    def test_linear_light_on_cmyk_says_it_does_not_apply(self, work: Path) -> None:
        Image.new("CMYK", (8, 8), (10, 20, 30, 40)).save(work / "c.tif")
        done = poolimg("avg", "c.tif", "--linear", "-o", "out", cwd=work)
        assert done.returncode == 0
        assert (
            "poolimg: warning: c.tif: --linear does not apply to CMYK images; ignored"
            in done.stderr.decode()
        )

    def test_file_names_with_control_characters_are_escaped(self, work: Path) -> None:
        name = "bad\nname\x1b[31m.png"
        (work / name).write_bytes(b"not an image")
        done = poolimg("max", name, cwd=work)
        stderr = done.stderr.decode()
        assert "\x1b" not in stderr and stderr.count("\n") == 1
        assert stderr.startswith("poolimg: error: bad\\nname\\x1b[31m.png: not an image file")

    def test_an_icon_holds_the_size_the_json_reports(self, work: Path) -> None:
        Image.new("RGB", (128, 96), "teal").save(work / "i.png")
        done = poolimg("max", "i.png", "-f", "ico", "-o", "out", "--json", cwd=work)
        (output,) = json_lines(done.stdout)[0]["outputs"]
        with Image.open(
            output["path"] if os.path.isabs(output["path"]) else work / output["path"]
        ) as icon:
            assert icon.size == (output["width"], output["height"]) == (64, 48)


def test_temporary_files_of_killed_runs_are_removed_by_the_next_run(work: Path) -> None:
    out = work / "out"
    out.mkdir()
    dead = out / ".camera_max_k2_s2_p1.png.999999999.abcd1234.part"  # no such pid
    live = out / f".other.png.{os.getpid()}.abcd1234.part"  # a running writer's
    mine = out / "notes.part"  # not poolimg's naming
    for path in (dead, live, mine):
        path.write_bytes(b"half")
        os.utime(path, (time.time() - 60, time.time() - 60))
    assert poolimg("max", "camera.png", "-o", "out", cwd=work).returncode == 0
    assert not dead.exists() and live.exists() and mine.exists()


def test_signed_zero_maxima_match_pytorch_in_the_worked_case() -> None:
    x = np.array([[0.0, -0.0], [-0.0, -0.0]], np.float32)
    assert not np.signbit(pool(x, "max")).any()  # PyTorch gives +0.0


def test_loads_in_two_threads_keep_their_own_limits(work: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from PIL import Image as PILImage

    Image.new("RGB", (400, 300), "navy").save(work / "big.png")
    saved = PILImage.MAX_IMAGE_PIXELS

    def strict(_: int) -> str:
        try:
            load(work / "big.png", max_pixels=1000)
        except InputError as exc:
            return "refused" if "over the limit of 1000 pixels" in str(exc) else str(exc)
        return "loaded"

    def free(_: int) -> str:
        return "loaded" if load(work / "big.png", max_pixels=None).size == (400, 300) else "?"

    with ThreadPoolExecutor(4) as pool:
        refused = list(pool.map(strict, range(40)))
        loaded = list(pool.map(free, range(40)))
        mixed = [f.result() for f in [pool.submit(strict if i % 2 else free, i) for i in range(40)]]
    assert set(refused) == {"refused"} and set(loaded) == {"loaded"}
    assert mixed == ["loaded", "refused"] * 20
    assert saved == PILImage.MAX_IMAGE_PIXELS  # Pillow's own setting is back


def test_pages_of_different_sizes_are_each_pooled_on_their_own_size(work: Path) -> None:
    # A TIFF's pages may differ in size (a pyramid, a scan with its thumbnail); found by the
    # fuzzer, when every page was pooled with the first page's windows.
    rng = np.random.default_rng(8)
    big, small = rng.integers(0, 256, (40, 60), np.uint8), rng.integers(0, 256, (10, 6), np.uint8)
    Image.fromarray(big).save(
        work / "pages.tif", save_all=True, append_images=[Image.fromarray(small)]
    )
    done = poolimg("avg", "pages.tif", "-n", "2", "-o", "out", cwd=work)
    assert done.returncode == 0, done.stderr
    with Image.open(work / "out" / "pages_avg_k2_s2_p2.tif") as out:
        for page, source in enumerate((big, small)):
            out.seek(page)
            expected = reference.pool(
                reference.pool(source, "avg", (2, 2), (2, 2), "valid"),
                "avg",
                (2, 2),
                (2, 2),
                "valid",
            )
            np.testing.assert_array_equal(np.asarray(out), expected)
    done = poolimg("avg", "pages.tif", "-n", "4", "-o", "out4", cwd=work)
    assert done.returncode == 2 and not (work / "out4").exists()
    assert (
        "frame 2 (6x10): pass 3 needs at least 2x2 pixels but gets 1x2; at most 2"
        in done.stderr.decode()
    )


def test_a_stem_of_a_dot_names_no_file(work: Path) -> None:
    shutil.copy(work / "camera.png", work / "..png")  # its stem is '.'
    done = poolimg("max", "..png", "--name", "{stem}", "-o", "out", cwd=work)
    assert done.returncode == 1 and "does not make a file name" in done.stderr.decode()
    assert sorted(p.name for p in work.iterdir()) == ["..png", "camera.png"]  # nothing written
