// The drawing page: strokes on a canvas, sent to the API as a PNG while you draw.
"use strict";

const pad = document.getElementById("pad");
const ink = pad.getContext("2d");
const overlay = document.getElementById("boxes");
const boxes = overlay.getContext("2d");
const pen = document.getElementById("pen");
const answer = document.getElementById("answer");
const confidence = document.getElementById("confidence");
const statusLine = document.getElementById("status");
const bars = document.getElementById("bars");
const seen = document.getElementById("seen");
const pieces = document.getElementById("pieces");
const SIZES = { digit: [280, 280], number: [720, 240] };

let mode = "digit";
let strokes = [];          // each {width, points: [[x, y], ...]}, in canvas pixels
let current = null;        // the stroke being drawn
let picture = null;        // an uploaded image: {bitmap, file, scale, dx, dy}
let busy = false, again = false;

for (let d = 0; d < 10; d++) {
  const row = document.createElement("li");
  row.innerHTML = `<span>${d}</span><span class="bar"><span class="fill"></span></span><span class="pct">0%</span>`;
  bars.appendChild(row);
}

function redraw() {
  ink.fillStyle = "#fff";
  ink.fillRect(0, 0, pad.width, pad.height);
  if (picture) {
    ink.drawImage(picture.bitmap, picture.dx, picture.dy,
                  picture.bitmap.width * picture.scale, picture.bitmap.height * picture.scale);
  }
  for (const stroke of strokes) drawStroke(stroke);
}

function drawStroke(stroke) {
  ink.strokeStyle = ink.fillStyle = "#111";
  ink.lineWidth = stroke.width;
  ink.lineCap = ink.lineJoin = "round";
  const [x0, y0] = stroke.points[0];
  if (stroke.points.length === 1) {
    ink.beginPath();
    ink.arc(x0, y0, stroke.width / 2, 0, 2 * Math.PI);
    ink.fill();
    return;
  }
  ink.beginPath();
  ink.moveTo(x0, y0);
  for (const [x, y] of stroke.points.slice(1)) ink.lineTo(x, y);
  ink.stroke();
}

function at(event) {
  const rect = pad.getBoundingClientRect();
  return [(event.clientX - rect.left) * pad.width / rect.width,
          (event.clientY - rect.top) * pad.height / rect.height];
}

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  current = { width: Number(pen.value) * pad.width / 280, points: [at(event)] };
  strokes.push(current);
  redraw();
  recognise();
});
pad.addEventListener("pointermove", (event) => {
  if (!current) return;
  current.points.push(at(event));
  redraw();
  recognise();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => { if (current) { current = null; recognise(); } });
}

document.getElementById("undo").addEventListener("click", () => {
  if (strokes.length) strokes.pop(); else picture = null;
  redraw();
  recognise();
});
document.getElementById("clear").addEventListener("click", () => {
  strokes = [];
  picture = null;
  redraw();
  recognise();
});
for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", () => {
    mode = radio.value;
    [pad.width, pad.height] = SIZES[mode];
    [overlay.width, overlay.height] = SIZES[mode];
    strokes = [];
    picture = null;
    document.getElementById("digit-view").hidden = mode !== "digit";
    document.getElementById("number-view").hidden = mode !== "number";
    redraw();
    recognise();
  });
}
document.getElementById("upload").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  strokes = [];
  picture = null;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(pad.width / bitmap.width, pad.height / bitmap.height);
    picture = { bitmap, file, scale,
                dx: (pad.width - bitmap.width * scale) / 2, dy: (pad.height - bitmap.height * scale) / 2 };
  } catch (error) {
    picture = { bitmap: new ImageData(1, 1), file, scale: 0, dx: 0, dy: 0 };  // the server says why
  }
  redraw();
  recognise();
});

// Send what is on the pad (or the uploaded file, untouched) and show the answer.
// One request at a time: strokes made meanwhile are sent as soon as it returns.
async function recognise() {
  if (busy) { again = true; return; }
  if (!strokes.length && !picture) { show(null); document.body.dataset.state = "idle"; return; }
  busy = true;
  document.body.dataset.state = "busy";
  try {
    const body = new FormData();
    if (picture && !strokes.length) body.append("file", picture.file, picture.file.name);
    else body.append("file", await new Promise((done) => pad.toBlob(done, "image/png")), "drawing.png");
    const url = mode === "digit" ? "/api/predict?details=true" : "/api/read";
    const response = await fetch(url, { method: "POST", body });
    const result = await response.json();
    if (response.ok) show(result);
    else showError(result.error || `the server answered ${response.status}`);
  } catch (error) {
    showError(`no answer from the server (${error.message})`);
  } finally {
    busy = false;
    if (again) { again = false; recognise(); } else document.body.dataset.state = "idle";
  }
}

function showError(message) {
  show(null);
  statusLine.textContent = message;
}

function show(result) {
  statusLine.textContent = "";
  boxes.clearRect(0, 0, overlay.width, overlay.height);
  if (!result) {
    answer.textContent = "?";
    confidence.textContent = "draw something";
    confidence.classList.remove("unsure");
    setBars(new Array(10).fill(0), -1);
    seen.getContext("2d").clearRect(0, 0, 28, 28);
    pieces.replaceChildren();
    return;
  }
  if (mode === "digit") {
    answer.textContent = String(result.digit);
    confidence.textContent = result.accepted
      ? `${(100 * result.probability).toFixed(1)} % sure`
      : result.typical === false
        ? "unsure: this does not look like the digits I learnt from. Is it a digit? Check it yourself"
        : `unsure (${(100 * result.probability).toFixed(0)} %): is it a digit? Check it yourself`;
    confidence.classList.toggle("unsure", !result.accepted);
    setBars(result.probabilities, result.digit);
    showSeen(result.input);
  } else {
    answer.textContent = result.text || "–";
    confidence.textContent = !result.digits.length ? "no digits found"
      : result.accepted ? `${(100 * result.confidence).toFixed(1)} % sure of all ${result.digits.length}`
      : `unsure of digit${result.doubtful.length > 1 ? "s" : ""} ${result.doubtful.map((i) => i + 1).join(", ")}: check them`;
    confidence.classList.toggle("unsure", result.digits.length > 0 && !result.accepted);
    showPieces(result.digits, new Set(result.doubtful));
  }
}

function setBars(probabilities, top) {
  bars.querySelectorAll("li").forEach((row, d) => {
    row.classList.toggle("top", d === top);
    row.querySelector(".fill").style.width = `${100 * probabilities[d]}%`;
    row.querySelector(".pct").textContent = `${(100 * probabilities[d]).toFixed(1)}%`;
  });
}

function showSeen(rows) {
  const image = new ImageData(28, 28);
  rows.flat().forEach((v, i) => { image.data.set([v, v, v, 255], 4 * i); });
  seen.getContext("2d").putImageData(image, 0, 0);
}

function showPieces(found, doubtful) {
  const [scale, dx, dy] = picture && !strokes.length ? [picture.scale, picture.dx, picture.dy] : [1, 0, 0];
  boxes.lineWidth = 2;
  boxes.font = "bold 16px system-ui, sans-serif";
  pieces.replaceChildren(...found.map(({ digit, probability, box }, index) => {
    const [left, top, right, bottom] = box.map((v, i) => v * scale + (i % 2 ? dy : dx));
    boxes.strokeStyle = boxes.fillStyle = doubtful.has(index) ? "#d9822b" : "#1e9e5a";
    boxes.strokeRect(left, top, right - left, bottom - top);
    boxes.fillText(String(digit), left + 2, Math.max(14, top - 4));
    const item = document.createElement("li");
    item.innerHTML = `<b>${digit}</b>${(100 * probability).toFixed(0)}%`;
    return item;
  }));
}

redraw();
document.body.dataset.state = "idle";
