"""The drawing page in a real browser (Debian's Chromium via playwright) against the real
server on 127.0.0.1: digits drawn with the mouse, undo, a whole number, an uploaded file."""
import math
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from digits.server import running

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# Strokes in the pixel coordinates of the 280x280 digit pad.
ONE = [[(150, 45), (140, 235)]]
SEVEN = [[(75, 60), (205, 60), (125, 235)]]
ZERO = [[(140 + 58 * math.sin(t), 140 - 88 * math.cos(t))
         for t in np.linspace(0, 2 * math.pi, 40)]]


@pytest.fixture(scope="module")
def live_server():
    """`python -m digits serve` in a subprocess, as a user starts it."""
    with running() as (url, _):
        yield url


@pytest.fixture(scope="module")
def page(live_server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 760})
        page.goto(live_server)
        yield page
        browser.close()


def draw(page, strokes):
    """Draw each stroke (in the pad's pixel coordinates) with the mouse: press, move, release."""
    box = page.locator("#pad").bounding_box()
    width, height = page.evaluate("() => [pad.width, pad.height]")
    sx, sy = box["width"] / width, box["height"] / height
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * sx, box["y"] + y * sy)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * sx, box["y"] + y * sy, steps=4)
        page.mouse.up()


def shown(page, digit):
    """Wait until the page has sent its last drawing and shows ``digit``."""
    expect(page.locator("body[data-state=idle]")).to_have_count(1, timeout=15_000)
    expect(page.locator("#answer")).to_have_text(digit, timeout=15_000)


@pytest.mark.parametrize("name, strokes, digit", [("one", ONE, "1"), ("seven", SEVEN, "7"),
                                                  ("zero", ZERO, "0")])
def test_a_digit_drawn_with_the_mouse_is_recognised(page, name, strokes, digit):
    page.click("#clear")
    shown(page, "?")
    draw(page, strokes)
    shown(page, digit)
    expect(page.locator("#bars li.top")).to_have_count(1)
    expect(page.locator("#bars li.top span").first).to_have_text(digit)
    fill = page.locator("#bars li.top .fill").bounding_box()["width"]
    assert fill > 0.4 * page.locator("#bars li.top .bar").bounding_box()["width"]   # its bar is long
    # the 28x28 the model saw is drawn: some of its pixels are bright
    bright = page.evaluate("""() => {
        const data = document.getElementById('seen').getContext('2d').getImageData(0, 0, 28, 28).data;
        let n = 0; for (let i = 0; i < data.length; i += 4) if (data[i] > 128) n++; return n; }""")
    assert bright > 20


def test_undo_takes_back_the_last_stroke(page):
    page.click("#clear")
    draw(page, ONE)
    shown(page, "1")
    draw(page, [[(60, 140), (230, 140)]])           # a cross-bar turns it into something else
    expect(page.locator("#answer")).not_to_have_text("1", timeout=15_000)
    page.click("#undo")
    shown(page, "1")


def test_a_whole_number_is_read_in_number_mode(page):
    page.check("input[value=number]")
    offset = lambda strokes, dx: [[(x * 0.8 + dx, y * 0.8) for x, y in s] for s in strokes]
    draw(page, offset(ONE, 40) + offset(SEVEN, 220) + offset(ZERO, 420))
    shown(page, "170")
    expect(page.locator("#pieces li")).to_have_count(3)
    page.check("input[value=digit]")


def test_an_uploaded_file_is_recognised_and_a_screenshot_is_saved(page, mnist_test, tmp_path):
    images, labels = mnist_test
    index = int(np.nonzero(labels.numpy() == 3)[0][0])
    path = tmp_path / "three.png"
    Image.fromarray((255 - images[index, 0].numpy() * 255).astype(np.uint8)).resize((140, 140)).save(path)
    page.set_input_files("#upload", str(path))
    shown(page, "3")
    page.click("#clear")
    draw(page, SEVEN)
    shown(page, "7")
    screenshot = Path(os.environ.get("DIGITS_SCREENSHOT", tmp_path / "page.png"))
    page.screenshot(path=str(screenshot))
    assert Image.open(screenshot).size == (1000, 760)
