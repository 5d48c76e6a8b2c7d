"""``poolimg explore``, in a real browser: headless Chromium from the system's packages driven by
Selenium, with the network off. The page's numbers are checked against poolcli's passes, the
files the CLI writes and plain loops over windows; what it draws, against screenshots."""

from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import poolcli
from poolcli.core.geometry import first_pass
from poolcli.pictures.equivalents import keras_code, torch_code
from poolcli.spec.pool_spec import PoolSpec

from .helpers import in_keras, poolimg, run

FRAME = (255, 214, 0)  # the page's outline of a window (#ffd600)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium with the network off; skipped (and said so) where it is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (the test extra)")
    driver_path = shutil.which("chromedriver")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if driver_path is None or chromium is None:
        pytest.skip(
            "Chromium and chromedriver are not installed (apt-get install chromium "
            "chromium-driver): the browser tests of the explorer are skipped"
        )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1500,1000",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    yield driver
    driver.quit()


def open_page(driver, path: Path) -> float:
    """Load a page from its file and wait until its numbers are read; seconds it took."""
    start = time.perf_counter()
    driver.get(path.resolve().as_uri())
    for _ in range(600):
        if driver.execute_script("return document.body.dataset.ready") == "1":
            return time.perf_counter() - start
        time.sleep(0.05)
    raise AssertionError(f"{path} never became ready: {driver.get_log('browser')}")


def explored_camera(browser, tmp_path: Path, samples: Path, *words: str) -> np.ndarray:
    """The camera sample explored with ``words`` and open in the browser; its pixels."""
    shutil.copy(samples / "camera.png", tmp_path / "c.png")
    assert run("explore", tmp_path / "c.png", *words, "-o", tmp_path / "c.html").exit_code == 0
    open_page(browser, tmp_path / "c.html")
    return np.asarray(Image.open(tmp_path / "c.png"))


def inspect_all(driver, points: list[tuple[int, int, int]]) -> list[dict]:
    return json.loads(
        driver.execute_script(
            "return JSON.stringify(arguments[0].map(([p, x, y]) => window.poolimg.inspect(p, x, y)))",
            points,
        )
    )


def window_loop(pixels: np.ndarray, k: int, s: int, pad: int, d: int, reduce) -> np.ndarray:
    """Pooling the plainest way: every window, cell by cell (padding left out, no ceil)."""
    rows, cols = pixels.shape
    out_r = (rows + 2 * pad - d * (k - 1) - 1) // s + 1
    out_c = (cols + 2 * pad - d * (k - 1) - 1) // s + 1
    result = np.zeros((out_r, out_c), np.int64)
    for i in range(out_r):
        for j in range(out_c):
            cells = [
                int(pixels[i * s - pad + a * d, j * s - pad + b * d])
                for a in range(k)
                for b in range(k)
                if 0 <= i * s - pad + a * d < rows and 0 <= j * s - pad + b * d < cols
            ]
            result[i, j] = reduce(cells)
    return result


def test_the_4x4_example_and_its_controls(browser, tmp_path: Path) -> None:
    done = run("explore", "--example", "-o", tmp_path / "example.html")
    assert done.exit_code == 0, done.stderr
    open_page(browser, tmp_path / "example.html")
    # CS231n's figure: 2x2 max of the 4x4 gives [[6, 8], [3, 4]]
    found = inspect_all(browser, [(1, x, y) for y in range(2) for x in range(2)])
    assert [f["result"][0] for f in found] == [6, 8, 3, 4]
    assert found[0]["window"] == [0, 0, 2, 2] and found[0]["values"] == [[1, 1, 5, 6]]
    passes = browser.execute_script("return window.poolimg.passes")
    assert passes[0]["torch"] == "F.max_pool2d(x, 2, 2)" and passes[0]["width"] == 2
    # the controls: 3x3 windows, stride 1, padding 1, dilation 2 -> the page shows that pass
    from selenium.webdriver.support.ui import Select

    for name, value in (("size", "3"), ("stride", "1"), ("padding", "1"), ("dilation", "2")):
        Select(browser.find_element("id", f"ex-{name}")).select_by_value(value)
    for _ in range(100):
        if browser.execute_script("return document.body.dataset.example") == "3,1,1,2":
            break
        time.sleep(0.05)
    example = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
    expected = window_loop(example, 3, 1, 1, 2, max)
    points = [(1, x, y) for y in range(expected.shape[0]) for x in range(expected.shape[1])]
    found = inspect_all(browser, points)
    assert [f["result"][0] for f in found] == expected.ravel().tolist()
    assert found[0]["window"] == [-1, -1, 4, 4] and len(found[0]["padded"]) == 5


def test_every_pass_agrees_with_poolcli_on_hundreds_of_pixels(
    browser, tmp_path: Path, samples: Path
) -> None:
    shutil.copy(samples / "astronaut.png", tmp_path / "a.png")
    photo = np.asarray(Image.open(tmp_path / "a.png"))
    for mode, words, k, s in (("max", [], 2, 2), ("avg", ["-k", "3", "-s", "2", "-p", "1"], 3, 2)):
        page = tmp_path / f"{mode}.html"
        assert (
            run("explore", tmp_path / "a.png", "-m", mode, "-n", "3", *words, "-o", page).exit_code
            == 0
        )
        open_page(browser, page)
        levels = [photo]
        for _ in range(3):
            levels.append(
                poolcli.pool(levels[-1], mode, k, s, padding=1 if mode == "avg" else "valid")
            )
        rng = np.random.default_rng(3)
        for number in (1, 2, 3):
            rows, cols = levels[number].shape[:2]
            points = [
                (number, int(x), int(y))
                for x, y in zip(rng.integers(0, cols, 120), rng.integers(0, rows, 120), strict=True)
            ]
            for (_, x, y), found in zip(points, inspect_all(browser, points), strict=True):
                assert found["available"]
                assert found["result"] == levels[number][y, x].tolist()
                before = levels[number - 1]
                x0, y0 = x * s - (1 if mode == "avg" else 0), y * s - (1 if mode == "avg" else 0)
                assert found["window"] == [x0, y0, x0 + k, y0 + k]
                cells = [
                    (cx, cy)
                    for cy in range(y0, y0 + k)
                    for cx in range(x0, x0 + k)
                    if 0 <= cx < before.shape[1] and 0 <= cy < before.shape[0]
                ]
                assert [tuple(c) for c in found["cells"]] == cells
                for channel in range(3):
                    values = [int(before[cy, cx, channel]) for cx, cy in cells]
                    assert found["values"][channel] == values
                    if mode == "max":
                        assert found["result"][channel] == max(values)
                    else:  # the mean of the real cells, halves up, by the divisor shown
                        assert found["divisor"] == len(cells)
                        assert found["result"][channel] == (2 * sum(values) + len(cells)) // (
                            2 * len(cells)
                        )


def test_hover_outlines_the_window_and_zoom_shows_the_pooled_value(
    browser, tmp_path: Path, samples: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    camera = explored_camera(browser, tmp_path, samples, "-n", "2")
    one = poolcli.pool(camera, "max")
    # 8 screen pixels an original pixel, centred on original (200, 120): pass 1 cells are 16
    browser.execute_script("window.poolimg.setView(200, 120, 8)")
    canvases = browser.find_elements("css selector", "#panels canvas")
    panel = canvases[1]
    width, height = panel.size["width"], panel.size["height"]
    # the pass-1 pixel under the panel's centre is (100, 60); point at its middle
    ActionChains(browser).move_to_element_with_offset(panel, 8, 8).perform()
    title = browser.find_element("id", "info-title").text
    assert title == "pass 1, pixel (100, 60)"
    body = browser.find_element("id", "info-body").text
    window = camera[120:122, 200:202].ravel().tolist()
    assert f"max({', '.join(map(str, window))}) = {one[60, 100]}" in body
    # the window outlined in the original's panel: a yellow frame round its 16x16 screen pixels
    shot = np.asarray(Image.open(io.BytesIO(canvases[0].screenshot_as_png)).convert("RGB"))
    yellow = np.argwhere((shot == FRAME).all(axis=-1))
    assert yellow.size
    centre_y, centre_x = height // 2, width // 2
    assert (
        abs(yellow[:, 0].min() - centre_y) <= 1 and abs(yellow[:, 0].max() - (centre_y + 15)) <= 1
    )
    assert (
        abs(yellow[:, 1].min() - centre_x) <= 1 and abs(yellow[:, 1].max() - (centre_x + 15)) <= 1
    )
    # a screen block of pass 2 at this zoom (32 screen pixels a cell) is the pooled value
    two = poolcli.pool(one, "max")
    shot = np.asarray(Image.open(io.BytesIO(canvases[2].screenshot_as_png)).convert("RGB"))
    # (its corner: the value is written in the middle of a cell this large)
    block = shot[centre_y + 4 : centre_y + 9, centre_x + 4 : centre_x + 9]
    assert (block == two[30, 50]).all()


def test_an_rgba_and_a_16_bit_image_give_the_numbers_the_cli_writes(
    browser, tmp_path: Path
) -> None:
    rng = np.random.default_rng(5)
    rgba = rng.integers(0, 256, (40, 60, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(rng.random((40, 60)) < 0.3, 0, rgba[..., 3])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    deep = rng.integers(0, 65536, (30, 50), dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    for name, mode in (("rgba", "avg"), ("deep", "max")):
        source = tmp_path / f"{name}.png"
        assert (
            poolimg(mode, source, "-n", "2", "-o", tmp_path / "out/", "--format", "png").returncode
            == 0
        )
        assert (
            run("explore", source, "-m", mode, "-n", "2", "-o", tmp_path / f"{name}.html").exit_code
            == 0
        )
        open_page(browser, tmp_path / f"{name}.html")
        for number in (1, 2):
            written = np.asarray(
                Image.open(tmp_path / "out" / f"{name}_{mode}_k2_s2_p{number}.png")
            )
            rows, cols = written.shape[:2]
            points = [(number, x, y) for y in range(rows) for x in range(cols)]
            for (_, x, y), found in zip(points, inspect_all(browser, points), strict=True):
                assert found["result"] == np.atleast_1d(written[y, x]).tolist(), (
                    name,
                    number,
                    x,
                    y,
                )


def test_a_24_mp_photo_gives_a_page_of_at_most_20_mb(
    browser, tmp_path: Path, samples: Path
) -> None:
    mosaic = Image.new("RGB", (6000, 4000))
    tiles = [
        Image.open(samples / n).convert("RGB")
        for n in ("retina.jpg", "astronaut.png", "coffee.png")
    ]
    x = y = row = 0
    while y < 4000:
        for tile in tiles:
            mosaic.paste(tile, (x, y))
            x, row = x + tile.width, max(row, tile.height)
            if x >= 6000:
                x, y, row = 0, y + row, 0
    mosaic.save(tmp_path / "big.jpg", quality=92)
    done = poolimg("explore", "big.jpg", "-n", "3", "-o", "big.html", cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    size = (tmp_path / "big.html").stat().st_size
    assert size <= 20e6, f"{size / 1e6:.1f} MB"
    open_page(browser, tmp_path / "big.html")
    levels = browser.execute_script("return window.poolimg.levels")
    assert [(lv["width"], lv["height"]) for lv in levels] == [
        (6000, 4000),
        (3000, 2000),
        (1500, 1000),
        (750, 500),
    ]
    # pass 3 is held whole; the original in its detail region, where inspect reads windows
    x0, y0, x1, y1 = levels[0]["region"]
    pixel = ((x0 + x1) // 8, (y0 + y1) // 8)  # pass 2's cell over the middle of the region
    found = inspect_all(browser, [(2, *pixel), (3, 10, 10)])
    assert found[0]["available"] and found[1]["available"]
    with Image.open(tmp_path / "big.jpg") as image:
        photo = np.asarray(image)
    two = poolcli.pool(poolcli.pool(photo, "max"), "max")
    assert found[0]["result"] == two[pixel[1], pixel[0]].tolist()


def test_the_page_asks_nothing_of_any_server(tmp_path: Path) -> None:
    assert run("explore", "--example", "-o", tmp_path / "e.html").exit_code == 0
    text = (tmp_path / "e.html").read_text()
    assert "http://" not in text and "https://" not in text and "<link" not in text
    assert 'src="' not in text.replace('src="data:', "")


def test_explore_refuses_what_it_cannot_show(tmp_path: Path, samples: Path) -> None:
    shutil.copy(samples / "camera.png", tmp_path / "c.png")
    done = run("explore", tmp_path / "c.png", "-m", "fractional")
    assert done.exit_code == 2 and "its windows are placed at random" in done.stderr
    done = run("explore", tmp_path / "c.png", "--example")
    assert done.exit_code == 2 and "give an image, or --example (not both)" in done.stderr
    done = run("explore", tmp_path / "gone.png", "-o", tmp_path / "g.html")
    assert done.exit_code == 1 and done.stderr.count("\n") == 1 and "gone.png" in done.stderr
    done = run("explore", tmp_path / "c.png", "-o", tmp_path / "c.png")
    assert done.exit_code == 1 and "refusing to overwrite" in done.stderr
    assert Image.open(tmp_path / "c.png").size == (512, 512)


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        (PoolSpec("max", 3, 2, "ceil"), (11, 13)),
        (PoolSpec("max", 3, 1, 1, dilation=2), (12, 12)),
        (PoolSpec("min", 2), (9, 10)),
        (PoolSpec("avg", 3, 2, 1, count_pad=True), (11, 9)),
        (PoolSpec("avg", 3, 2, "same"), (10, 10)),
        (PoolSpec("sum", 2), (8, 9)),
        (PoolSpec("lp", 2, power=3.0), (8, 8)),
        (PoolSpec("stride", 3, 2), (9, 11)),
        (PoolSpec("avg", output_size=(3, 4)), (10, 14)),
    ],
)
def test_the_pytorch_code_shown_computes_the_same_pass(spec: PoolSpec, shape) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch (pip install torch==2.13.0)")
    import torch.nn.functional as F

    pixels = np.random.default_rng(1).random(shape).astype(np.float32)
    code = torch_code(spec, first_pass(spec, shape))
    assert not code.startswith("no equivalent"), code
    x = torch.from_numpy(pixels)[None, None]
    theirs = eval(code, {"F": F, "x": x})[0, 0].numpy()
    if spec.output_size is not None:
        ours = poolcli.pool(pixels, spec.mode, output_size=spec.output_size)
    else:
        ours = poolcli.pool(
            pixels, spec.mode, spec.size, spec.stride, spec.padding,
            dilation=spec.dilation, count_pad=spec.count_pad, power=spec.power,
        )  # fmt: skip
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-6)


def test_keras_code_only_where_keras_computes_it() -> None:
    spec = PoolSpec("avg", 3, 2, "same")
    assert keras_code(spec, first_pass(spec, (10, 10))) == (
        'keras.layers.AveragePooling2D(3, 2, padding="same")'
    )
    spec = PoolSpec("max", 3, 2, "ceil")
    assert keras_code(spec, first_pass(spec, (11, 11))).startswith("no equivalent")
    spec = PoolSpec("median", 3)
    assert "no median pooling layer" in keras_code(spec, first_pass(spec, (9, 9)))


def test_html_of_one_input_is_its_explorer_and_of_several_a_gallery(
    browser, tmp_path: Path, samples: Path
) -> None:
    for name in ("camera.png", "coffee.png"):
        shutil.copy(samples / name, tmp_path / name)
    done = poolimg("min", "camera.png", "-n", "2", "--html", "one.html", "-o", "out/", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"wrote explorer page one.html" in done.stderr
    open_page(browser, tmp_path / "one.html")
    written = np.asarray(Image.open(tmp_path / "out" / "camera_min_k2_s2_p2.png"))
    points = [(2, x, y) for y in range(0, 128, 7) for x in range(0, 128, 5)]
    for (_, x, y), found in zip(points, inspect_all(browser, points), strict=True):
        assert found["result"] == [int(written[y, x])]
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    done = poolimg(
        "max", "camera.png", "coffee.png", "broken.png", "--html", "all.html", "-o", "out/",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    text = (tmp_path / "all.html").read_text()
    assert "broken.png" in text and text.count("<img ") == 2 and "2 done, 1 failed" in text
    browser.get((tmp_path / "all.html").as_uri())
    shown = browser.execute_script(
        "return [...document.images].map((i) => i.complete && i.naturalWidth > 0)"
    )
    assert shown == [True, True]
    done = poolimg("max", "camera.png", "--html", "page.png", cwd=tmp_path)
    assert done.returncode == 2 and b"--html 'page.png': give a file ending in .html" in done.stderr


def test_compare_html_offers_each_mode_of_the_grid(browser, tmp_path: Path, samples: Path) -> None:
    from selenium.webdriver.support.ui import Select

    shutil.copy(samples / "camera.png", tmp_path / "c.png")
    done = run(
        "compare", tmp_path / "c.png", "--modes", "max,avg,fractional", "-n", "2", "--seed", "1",
        "-o", tmp_path / "grid.png", "--html", tmp_path / "c.html",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert "fractional left out of the page" in done.stderr
    open_page(browser, tmp_path / "c.html")
    menu = Select(browser.find_element("id", "row"))
    assert [o.text for o in menu.options] == ["max", "avg"]
    camera = np.asarray(Image.open(tmp_path / "c.png"))
    menu.select_by_visible_text("avg")
    for _ in range(100):
        if browser.execute_script("return document.body.dataset.row") == "1":
            break
        time.sleep(0.05)
    two = poolcli.pool(poolcli.pool(camera, "avg"), "avg")
    found = inspect_all(browser, [(2, 40, 70), (2, 127, 0)])
    assert [f["result"] for f in found] == [[int(two[70, 40])], [int(two[0, 127])]]
    assert browser.execute_script("return window.poolimg.passes[0].mode") == "avg"


def test_stochastic_shows_the_cell_it_drew(browser, tmp_path: Path, samples: Path) -> None:
    shutil.copy(samples / "camera.png", tmp_path / "c.png")
    words = ["stochastic", "c.png", "--seed", "3", "-n", "2"]
    assert poolimg(*words, "-o", "out/", "--format", "png", cwd=tmp_path).returncode == 0
    assert poolimg("explore", "-m", *words, "-o", "s.html", cwd=tmp_path).returncode == 0
    open_page(browser, tmp_path / "s.html")
    for number in (1, 2):
        (path,) = (tmp_path / "out").glob(f"c_stochastic*_p{number}.png")
        written = np.asarray(Image.open(path))
        points = [
            (number, x, y)
            for y in range(0, written.shape[0], 9)
            for x in range(0, written.shape[1], 7)
        ]
        for (_, x, y), found in zip(points, inspect_all(browser, points), strict=True):
            assert found["result"] == [int(written[y, x])]
            assert found["result"][0] in found["values"][0]  # a cell of its window, drawn
    browser.execute_script("window.poolimg.setView(100, 100, 8)")
    from selenium.webdriver.common.action_chains import ActionChains

    panel = browser.find_elements("css selector", "#panels canvas")[1]
    ActionChains(browser).move_to_element_with_offset(panel, 4, 4).perform()
    body = browser.find_element("id", "info-body").text
    assert "each with probability value /" in body and "drawn (" in body


def test_wheel_zooms_drag_pans_and_the_swipe_divides(
    browser, tmp_path: Path, samples: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin

    camera = explored_camera(browser, tmp_path, samples, "-n", "1")
    before = browser.execute_script("return window.poolimg.view")
    panel = browser.find_elements("css selector", "#panels canvas")[0]
    ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(panel), 0, -200).perform()
    zoomed = browser.execute_script("return window.poolimg.view")
    assert zoomed["zoom"] > before["zoom"]
    ActionChains(browser).move_to_element(panel).click_and_hold().move_by_offset(
        60, 0
    ).move_by_offset(40, 0).release().perform()
    panned = browser.execute_script("return window.poolimg.view")
    # dragged right by 100 screen pixels: the centre moved left by 100 / zoom original pixels
    assert abs((zoomed["cx"] - panned["cx"]) * panned["zoom"] - 100) < 2
    # the swipe: pass 1 on the left of the divide, the original on the right
    browser.execute_script("window.poolimg.setView(256, 256, 4)")
    browser.find_element("css selector", "input[value=swipe]").click()
    swipe = browser.find_element("id", "swipe-canvas")
    width, height = int(swipe.get_attribute("width")), int(swipe.get_attribute("height"))
    assert swipe.size == {"width": width, "height": height}  # drawn at its own size
    shot = np.array(
        browser.execute_script(
            "const c = document.getElementById('swipe-canvas');"
            "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"
        ),
        np.uint8,
    ).reshape(height, width, 4)[..., 0]
    one = poolcli.pool(camera, "max")
    middle_y, middle_x = height // 2, width // 2
    # a screen pixel left of the divide shows the original, right of it pass 1
    assert shot[middle_y + 1, middle_x - 30] == camera[256, 256 - 8]
    assert shot[middle_y + 1, middle_x + 30] == one[128, int((256 + 30 / 4) // 2)]


_KERAS = """
for i, code in enumerate(json.loads(sys.argv[3])):
    x = arrays[str(i)][None, :, :, None]
    made = eval(code, {"keras": keras, "x": x})
    out[str(i)] = np.asarray(made(x) if callable(made) else made)[0, :, :, 0]
"""


def test_the_keras_code_shown_computes_the_same_pass(tmp_path: Path) -> None:
    cases = [
        (PoolSpec("max", 2), (9, 10)),
        (PoolSpec("max", 3, 2, "same"), (11, 9)),
        (PoolSpec("avg", 3, 2, "same"), (10, 13)),
        (PoolSpec("min", 2, 1), (7, 8)),
        (PoolSpec("avg", output_size=(3, 4)), (12, 16)),
        (PoolSpec("max", "global"), (6, 7)),
    ]
    rng = np.random.default_rng(2)
    arrays = {str(i): rng.random(shape).astype(np.float32) for i, (_, shape) in enumerate(cases)}
    codes = [keras_code(spec, first_pass(spec, shape)) for spec, shape in cases]
    assert not any(code.startswith("no equivalent") for code in codes), codes
    theirs = in_keras(_KERAS, arrays, tmp_path, json.dumps(codes))
    for i, (spec, _) in enumerate(cases):
        x = arrays[str(i)]
        if spec.output_size is not None:
            ours = poolcli.pool(x, spec.mode, output_size=spec.output_size)
        else:
            ours = poolcli.pool(x, spec.mode, spec.size, spec.stride, spec.padding)
        np.testing.assert_allclose(theirs[str(i)], ours, rtol=2e-6, atol=1e-6, err_msg=codes[i])
