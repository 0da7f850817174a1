// The squareone playground page. It only shows: every number is computed by squareone in
// the server, which streams snapshots as Server-Sent Events; the page draws the latest one.
"use strict";

const FIELDS = ["dataset", "samples", "classes", "noise", "seed", "hidden", "activation",
  "output", "weight_init", "dropout", "l1", "l2", "optimizer", "learning_rate", "decay",
  "momentum", "batch_size", "epochs"];
// matplotlib's tab10, as squareone's plots and animations.
const COLORS = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40],
  [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34],
  [23, 190, 207]];
const $ = (id) => document.getElementById(id);

let config = null;      // presets, defaults and choices from the server
let sessionId = null;
let data = null;        // the training and validation points of the current settings
let snapshot = null;    // the latest state of training
let drawPending = false;

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const reply = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(reply.error || response.statusText);
  return reply;
}

function showMessage(text, isError = false) {
  const message = $("message");
  message.textContent = text;
  message.className = isError ? "error" : "";
}

function readForm() {
  const settings = {};
  for (const field of FIELDS) settings[field] = $(field).value.trim();
  return settings;
}

function fillForm(settings) {
  for (const field of FIELDS) {
    const value = settings[field];
    $(field).value = Array.isArray(value) ? value.join(",") : String(value);
  }
  updateRelevance();
}

// Grey out the settings the current choices ignore (the server ignores them too).
function updateRelevance() {
  const dataset = $("dataset").value;
  $("classes").disabled = dataset === "sine" || dataset === "xor";
  $("output").disabled = dataset === "sine";
  $("momentum").disabled = $("optimizer").value !== "sgd";
}

function fillChoices(select, values) {
  select.replaceChildren(...values.map((value) => new Option(value, value)));
}

function accept(reply) {
  if (reply.data) data = reply.data;
  if (reply.settings) fillForm(reply.settings);
  scheduleDraw();
}

async function control(action, withSettings = true) {
  try {
    accept(await api("POST", `/api/sessions/${sessionId}/${action}`,
      withSettings ? readForm() : undefined));
    showMessage("");
  } catch (error) {
    showMessage(error.message, true);
  }
}

async function applyPreset() {
  fillForm({ ...config.defaults, ...config.presets[$("preset").value] });
  await control("reset");
}

async function saveModel() {
  const link = document.createElement("a");
  link.href = `/api/sessions/${sessionId}/model`;
  link.download = "playground.squareone";
  document.body.append(link);
  link.click();
  link.remove();
}

async function exportCode() {
  const response = await fetch(`/api/sessions/${sessionId}/code`);
  $("code").textContent = await response.text();
  $("code-dialog").showModal();
}

function listen() {
  const events = new EventSource(`/api/sessions/${sessionId}/events`);
  events.onmessage = (event) => {
    snapshot = JSON.parse(event.data);
    scheduleDraw();
  };
  // The browser retries a dropped stream by itself; once it gives up, the server is gone.
  events.onerror = () => {
    if (events.readyState === EventSource.CLOSED) {
      showMessage("lost the connection to the playground server: restart it and reload", true);
    }
  };
}

function scheduleDraw() {
  if (drawPending) return;  // one drawing per screen refresh, however many snapshots came
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    if (data && snapshot) draw();
  });
}

function format(value, digits) {
  return value === null || value === undefined ? "-" : Number(value).toFixed(digits);
}

function draw() {
  const last = snapshot.last;
  $("epoch").textContent = `${snapshot.epoch} / ${snapshot.epochs}`;
  $("accuracy").textContent = format(last.accuracy, 3);
  $("val-accuracy").textContent = format(last.val_accuracy, 3);
  $("loss").textContent = format(last.loss, 4);
  $("val-loss").textContent = format(last.val_loss, 4);
  $("learning-rate").textContent = last.learning_rate === null ? "-"
    : Number(last.learning_rate).toPrecision(3);
  $("epochs-per-second").textContent = snapshot.epochs_per_second;
  $("steps-per-second").textContent = snapshot.steps_per_second;
  if (snapshot.error) showMessage(snapshot.error, true);
  drawView($("boundary"));
  const curves = snapshot.curves;
  lineChart($("loss-chart"), "loss", curves.epoch,
    [[curves.loss, COLORS[0], "training"], [curves.val_loss, COLORS[1], "validation"]]);
  lineChart($("accuracy-chart"), "accuracy", curves.epoch,
    [[curves.accuracy, COLORS[0], "training"], [curves.val_accuracy, COLORS[1], "validation"]],
    [0, 1]);
  lineChart($("rate-chart"), "learning rate", curves.epoch,
    [[curves.learning_rate, COLORS[2], ""]]);
  drawNetwork($("network"), snapshot.network);
}

// --- the plane: decision boundary or fitted curve, with the points -------------------------

function toCanvas(canvas, x, y) {
  const [x0, y0] = data.low, [x1, y1] = data.high;
  return [(x - x0) / (x1 - x0) * canvas.width, (1 - (y - y0) / (y1 - y0)) * canvas.height];
}

function drawView(canvas) {
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  const view = snapshot.view;
  if (view.kind === "classes") drawRegions(context, canvas, view);
  for (const [set, radius, outline] of [["train", 3, "#222"], ["validation", 2.5, "#fff"]]) {
    const points = data[set];
    for (let i = 0; i < points.x.length; i++) {
      const [px, py] = data.regression ? toCanvas(canvas, points.x[i][0], points.y[i][0])
        : toCanvas(canvas, points.x[i][0], points.x[i][1]);
      const color = data.regression ? COLORS[0] : COLORS[points.y[i] % COLORS.length];
      context.beginPath();
      context.arc(px, py, radius, 0, 2 * Math.PI);
      context.fillStyle = `rgb(${color})`;
      context.fill();
      if (!data.regression) {
        context.strokeStyle = outline;
        context.lineWidth = 0.7;
        context.stroke();
      }
    }
  }
  if (view.kind === "curve") {
    context.beginPath();
    view.x.forEach((x, i) => {
      const [px, py] = toCanvas(canvas, x, view.y[i]);
      if (i === 0) context.moveTo(px, py); else context.lineTo(px, py);
    });
    context.strokeStyle = `rgb(${COLORS[1]})`;
    context.lineWidth = 3;
    context.stroke();
  }
}

function drawRegions(context, canvas, view) {
  const n = view.resolution;
  const image = new ImageData(n, n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      const cell = row * n + column;  // row 0 is the bottom of the plane
      const color = COLORS[view.classes[cell] % COLORS.length];
      const strength = 0.15 + 0.45 * view.confidence[cell];
      const pixel = ((n - 1 - row) * n + column) * 4;
      for (let c = 0; c < 3; c++) image.data[pixel + c] = 255 * (1 - strength) + color[c] * strength;
      image.data[pixel + 3] = 255;
    }
  }
  const small = document.createElement("canvas");
  small.width = small.height = n;
  small.getContext("2d").putImageData(image, 0, 0);
  context.imageSmoothingEnabled = true;
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// --- curves and the network ----------------------------------------------------------------

function lineChart(canvas, title, xs, series, range) {
  const context = canvas.getContext("2d");
  const [w, h, left, top, bottom] = [canvas.width, canvas.height, 44, 18, 16];
  context.clearRect(0, 0, w, h);
  const values = series.flatMap(([ys]) => ys).filter((v) => v !== null && Number.isFinite(v));
  let [low, high] = range || [Math.min(0, ...values), Math.max(...values, 1e-12)];
  if (high <= low) high = low + 1;
  const last = xs.length ? xs[xs.length - 1] : 1;
  const first = xs.length ? xs[0] : 0;
  const px = (x) => left + (x - first) / Math.max(last - first, 1) * (w - left - 8);
  const py = (y) => top + (1 - (y - low) / (high - low)) * (h - top - bottom);
  context.fillStyle = "#222";
  context.font = "12px sans-serif";
  context.fillText(title, left, 12);
  context.fillStyle = "#666";
  context.fillText(high.toPrecision(2), 2, top + 8);
  context.fillText(low.toPrecision(2), 2, h - bottom);
  context.fillText(`epoch ${last}`, w - 80, h - 3);
  context.strokeStyle = "#ddd";
  context.strokeRect(left, top, w - left - 8, h - top - bottom);
  series.forEach(([ys, color, label], index) => {
    context.beginPath();
    let started = false;
    ys.forEach((y, i) => {
      if (y === null) return;
      if (started) context.lineTo(px(xs[i]), py(y)); else context.moveTo(px(xs[i]), py(y));
      started = true;
    });
    context.strokeStyle = `rgb(${color})`;
    context.lineWidth = 1.5;
    context.stroke();
    if (label) {  // in the title row, clear of the curves
      context.fillStyle = `rgb(${color})`;
      context.fillText(label, w - 150 + 75 * index, 12);
    }
  });
}

function drawNetwork(canvas, network) {
  const context = canvas.getContext("2d");
  const [w, h] = [canvas.width, canvas.height];
  context.clearRect(0, 0, w, h);
  const layers = network.shown.length;
  const x = (layer) => 24 + layer * (w - 48) / Math.max(layers - 1, 1);
  const y = (layer, i) => 20 + (i + 0.5) * (h - 40) / network.shown[layer];
  const largest = Math.max(1e-9, ...network.weights.flat(2).map(Math.abs));
  network.weights.forEach((matrix, layer) => {
    matrix.forEach((row, i) => row.forEach((weight, j) => {
      const size = Math.abs(weight) / largest;
      context.strokeStyle = weight >= 0 ? `rgba(31,119,180,${0.2 + 0.8 * size})`
        : `rgba(255,127,14,${0.2 + 0.8 * size})`;
      context.lineWidth = 0.3 + 3 * size;
      context.beginPath();
      context.moveTo(x(layer), y(layer, i));
      context.lineTo(x(layer + 1), y(layer + 1, j));
      context.stroke();
    }));
  });
  context.font = "11px sans-serif";
  network.shown.forEach((count, layer) => {
    for (let i = 0; i < count; i++) {
      context.beginPath();
      context.arc(x(layer), y(layer, i), 4, 0, 2 * Math.PI);
      context.fillStyle = "#fff";
      context.fill();
      context.strokeStyle = "#333";
      context.lineWidth = 1;
      context.stroke();
    }
    const hidden = network.sizes[layer] - count;
    context.fillStyle = "#666";
    context.fillText(hidden > 0 ? `${network.sizes[layer]} (${count} shown)`
      : String(network.sizes[layer]), x(layer) - 14, h - 4);
  });
  context.fillText("weights: blue +, orange -, thicker = larger", 4, 11);
}

// --- start -----------------------------------------------------------------------------------

async function main() {
  config = await api("GET", "/api/config");
  for (const [field, values] of Object.entries(config.choices)) fillChoices($(field), values);
  fillChoices($("preset"), Object.keys(config.presets));
  fillForm({ ...config.defaults, ...config.presets[$("preset").value] });
  const reply = await api("POST", "/api/sessions", readForm());
  sessionId = reply.id;
  accept(reply);
  listen();
  $("preset").addEventListener("change", applyPreset);
  $("start").addEventListener("click", () => control("start"));
  $("pause").addEventListener("click", () => control("pause", false));
  $("step").addEventListener("click", () => control("step"));
  $("reset").addEventListener("click", () => control("reset"));
  $("save").addEventListener("click", saveModel);
  $("export").addEventListener("click", exportCode);
  $("copy").addEventListener("click", () => navigator.clipboard.writeText($("code").textContent));
  $("settings").addEventListener("submit", (event) => event.preventDefault());
  $("settings").addEventListener("change", updateRelevance);
}

main().catch((error) => showMessage(error.message, true));
