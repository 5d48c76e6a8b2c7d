"use strict";
// poolimg explore: every number here was computed by poolcli and is only looked up.
(() => {
  const DATA = JSON.parse(document.getElementById("poolimg-data").textContent);
  const TYPED = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, i32: Int32Array,
    f32: Float32Array, f64: Float64Array };
  const $ = (id) => document.getElementById(id);
  const PANEL = 420; // the longer side of a panel, in CSS pixels
  const MAX_LISTED = 64; // values listed per channel before "..."
  const TEXT_FROM = 28; // screen pixels a cell needs before its value is written in it

  let doc = null; // the document shown: its levels (original, passes) and passes
  let levels = []; // doc.levels with their decoded values and pictures
  let view = { cx: 0, cy: 0, zoom: 1 }; // centre in original pixels, screen pixels per pixel
  let hover = null; // { level, x, y } of the pixel pointed at
  let canvases = [];
  let mode = "side";

  async function inflate(text) {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer();
  }

  function picture(src) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = reject;
      image.src = src;
    });
  }

  const decoded = new Map(); // each level's data decoded once (a comparison shares its original)

  async function prepare(d) {
    return Promise.all(d.levels.map(async (given) => {
      const level = given.shared ? DATA.documents[0].document.levels[0] : given;
      if (!decoded.has(level)) {
        decoded.set(level, {
          ...level,
          array: new TYPED[level.values.type](await inflate(level.values.data)),
          image: await picture(level.picture),
          detailImage: level.detail ? await picture(level.detail) : null,
        });
      }
      return decoded.get(level);
    }));
  }

  // The value of channel c at (x, y) of a level, or null where the page holds none.
  function valueAt(level, c, x, y) {
    const lx = x - level.x0, ly = y - level.y0;
    if (lx < 0 || ly < 0 || lx >= level.rw || ly >= level.rh) return null;
    return level.array[(c * level.rh + ly) * level.rw + lx];
  }

  // Output pixel (x, y) of pass `pass` (1 is the first): its window in the pixels of the
  // level before it (half-open, padding included), the real cells' values per channel,
  // the result per channel and the divisor of an average.
  function inspect(pass, x, y) {
    const p = doc.passes[pass - 1];
    if (!p || !Number.isInteger(x) || !Number.isInteger(y)) return null;
    const source = levels[pass - 1], out = levels[pass];
    if (x < 0 || y < 0 || x >= out.w || y >= out.h) return null;
    const R = p.rows, C = p.cols;
    const y0 = R.start[y], x0 = C.start[x];
    const window = [x0, y0, x0 + (C.taps[x] - 1) * C.d + 1, y0 + (R.taps[y] - 1) * R.d + 1];
    const cells = [], padded = [];
    for (let j = 0; j < R.taps[y]; j++) {
      for (let i = 0; i < C.taps[x]; i++) {
        const cy = y0 + j * R.d, cx = x0 + i * C.d;
        const real = cy >= 0 && cy < source.h && cx >= 0 && cx < source.w;
        (real ? cells : padded).push([cx, cy]);
      }
    }
    const divisor = p.mode === "avg" ? R.count[y] * C.count[x] : null;
    const found = { pass, x, y, window, cells, padded, divisor, values: null, result: null };
    const values = [];
    for (let c = 0; c < source.c; c++) {
      const row = cells.map(([cx, cy]) => valueAt(source, c, cx, cy));
      if (row.some((v) => v === null)) return { ...found, available: false };
      values.push(row);
    }
    const result = [];
    for (let c = 0; c < out.c; c++) {
      const v = valueAt(out, c, x, y);
      if (v === null) return { ...found, available: false };
      result.push(v);
    }
    return { ...found, values, result, available: true };
  }

  // The outputs of the pass after `level` whose windows read its pixel (x, y).
  function reached(level, x, y) {
    const p = doc.passes[level];
    if (!p) return null;
    const along = (axis, at) => {
      const hits = [];
      for (let o = 0; o < axis.start.length; o++) {
        const offset = at - axis.start[o];
        if (offset >= 0 && offset % axis.d === 0 && offset / axis.d < axis.taps[o]) hits.push(o);
      }
      return hits;
    };
    const rows = along(p.rows, y), cols = along(p.cols, x);
    if (!rows.length || !cols.length) return null;
    return [cols[0], rows[0], cols[cols.length - 1] + 1, rows[rows.length - 1] + 1];
  }

  // Where output pixels [x0, x1) x [y0, y1) of `level` come from in the original.
  function footprint(level, box) {
    let [x0, y0, x1, y1] = box;
    for (let k = level; k >= 1; k--) {
      const p = doc.passes[k - 1], src = levels[k - 1];
      const end = (axis, last) => axis.start[last] + (axis.taps[last] - 1) * axis.d + 1;
      const nx0 = p.cols.start[x0], nx1 = end(p.cols, x1 - 1);
      const ny0 = p.rows.start[y0], ny1 = end(p.rows, y1 - 1);
      [x0, y0, x1, y1] = [Math.max(0, nx0), Math.max(0, ny0), Math.min(src.w, nx1),
        Math.min(src.h, ny1)];
    }
    return [x0, y0, x1, y1];
  }

  const number = (v) => (Number.isInteger(v) ? String(v) : String(+v.toPrecision(7)));
  const listed = (values) => (values.length > MAX_LISTED
    ? values.slice(0, MAX_LISTED).map(number).join(", ") + `, ... (${values.length} cells)`
    : values.map(number).join(", "));

  function formula(found, c) {
    const vs = found.values[c], r = number(found.result[c]);
    const p = doc.passes[found.pass - 1];
    const sum = vs.reduce((a, b) => a + b, 0);
    switch (p.mode) {
      case "max": case "min": return `${p.mode}(${listed(vs)}) = ${r}`;
      case "sum": return `${listed(vs)} summed = ${r}`;
      case "avg": {
        const weighted = doc.alpha && c < found.values.length - 1;
        const how = weighted ? " (weighted by alpha)" : "";
        return `(${listed(vs)}) / ${found.divisor} = ${number(sum / found.divisor)} -> ${r}${how}`;
      }
      case "lp": return `(sum of |v|^${p.power} over ${listed(vs)})^(1/${p.power}) = ${r}`;
      case "median": return `median(${listed([...vs].sort((a, b) => a - b))}) = ${r}`;
      case "mode": return `most frequent of (${listed(vs)}) = ${r}`;
      case "stride": return `first real cell of (${listed(vs)}) = ${r}`;
      case "stochastic": {
        if (p.evaluate) {
          const squares = vs.reduce((a, b) => a + b * b, 0);
          return `sum of squares / sum = ${number(squares)} / ${number(sum)} -> ${r}`;
        }
        return `drawn from (${listed(vs)}), each with probability value / ${number(sum)} = ${r}`;
      }
      default: return `${p.mode}(${listed(vs)}) = ${r}`;
    }
  }

  // The cell that won a max or min window (the first equal one, row by row, as PyTorch), or
  // that stochastic pooling drew (the first cell of the drawn value).
  function winner(found) {
    const p = doc.passes[found.pass - 1];
    const kept = p.mode === "max" || p.mode === "min" || (p.mode === "stochastic" && !p.evaluate);
    if (!found.available || !kept || found.values.length !== 1) {
      return null;
    }
    const at = found.values[0].findIndex((v) => v === found.result[0]);
    return at >= 0 ? found.cells[at] : null;
  }

  function escapeText(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  function showInfo() {
    const title = $("info-title"), body = $("info-body");
    if (!hover) return;
    const level = levels[hover.level];
    const head = `${hover.level === 0 ? "original" : "pass " + hover.level}, pixel (${hover.x}, ${hover.y})`;
    title.textContent = head;
    const parts = [];
    const own = [];
    for (let c = 0; c < level.c; c++) own.push(valueAt(level, c, hover.x, hover.y));
    if (own.every((v) => v !== null)) parts.push(`<p><span class="key">value</span> ${own.map(number).join(", ")}</p>`);
    if (hover.level >= 1) {
      const found = inspect(hover.level, hover.x, hover.y);
      const [x0, y0, x1, y1] = found.window;
      const before = hover.level === 1 ? "the original" : `pass ${hover.level - 1}`;
      parts.push(`<p><span class="key">window</span> x ${x0}..${x1}, y ${y0}..${y1} of ${before}` +
        ` (half-open; ${found.cells.length} real cells${found.padded.length ? `, ${found.padded.length} padding` : ""})</p>`);
      if (!found.available) {
        parts.push("<p>Outside the detail region: this page holds the values of the detail only.</p>");
      } else {
        const names = level.c === 1 ? ["value"] : level.c === 2 ? ["grey", "alpha"] : level.c === 3 ? ["red", "green", "blue"] : ["red", "green", "blue", "alpha"];
        for (let c = 0; c < found.values.length; c++) {
          parts.push(`<p class="formula"><span class="key">${names[c] || "channel " + c}</span> ${escapeText(formula(found, c))}</p>`);
        }
        const won = winner(found);
        const verb = doc.passes[hover.level - 1].mode === "stochastic" ? "drawn" : "won by";
        if (won) parts.push(`<p><span class="key">${verb}</span> (${won[0]}, ${won[1]}) of ${before}</p>`);
      }
      const p = doc.passes[hover.level - 1];
      parts.push(`<p><span class="key">PyTorch</span> <code>${escapeText(p.torch)}</code><br><span class="key">Keras</span> <code>${escapeText(p.keras)}</code></p>`);
    }
    const reach = reached(hover.level, hover.x, hover.y);
    if (reach) parts.push(`<p><span class="key">reaches</span> x ${reach[0]}..${reach[2]}, y ${reach[1]}..${reach[3]} of pass ${hover.level + 1}</p>`);
    body.innerHTML = parts.join("");
  }

  // ---- drawing ---------------------------------------------------------------------------

  function transform(k, canvas) {
    const level = levels[k], base = levels[0];
    const sx = (view.zoom * base.w) / level.w, sy = (view.zoom * base.h) / level.h;
    return { sx, sy, ox: canvas.width / 2 - view.cx * view.zoom, oy: canvas.height / 2 - view.cy * view.zoom };
  }

  function drawLevel(ctx, k, canvas) {
    const level = levels[k], t = transform(k, canvas);
    ctx.setTransform(t.sx, 0, 0, t.sy, t.ox, t.oy);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(level.image, 0, 0, level.w, level.h);
    if (level.detailImage) ctx.drawImage(level.detailImage, level.x0, level.y0, level.rw, level.rh);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    return t;
  }

  function rect(ctx, t, box, colour, width, dash) {
    const [x0, y0, x1, y1] = box;
    ctx.save();
    ctx.setLineDash(dash || []);
    ctx.lineWidth = width;
    ctx.strokeStyle = "#000";
    ctx.strokeRect(t.ox + x0 * t.sx - 1, t.oy + y0 * t.sy - 1, (x1 - x0) * t.sx + 2, (y1 - y0) * t.sy + 2);
    ctx.strokeStyle = colour;
    ctx.strokeRect(t.ox + x0 * t.sx, t.oy + y0 * t.sy, (x1 - x0) * t.sx, (y1 - y0) * t.sy);
    ctx.restore();
  }

  function writeValues(ctx, k, t, canvas) {
    if (Math.min(t.sx, t.sy) < TEXT_FROM) return;
    const level = levels[k];
    const xa = Math.max(0, Math.floor(-t.ox / t.sx)), xb = Math.min(level.w, Math.ceil((canvas.width - t.ox) / t.sx));
    const ya = Math.max(0, Math.floor(-t.oy / t.sy)), yb = Math.min(level.h, Math.ceil((canvas.height - t.oy) / t.sy));
    if ((xb - xa) * (yb - ya) > 2500) return;
    ctx.save();
    ctx.font = `${Math.min(16, Math.floor(t.sy / 3))}px ui-monospace, monospace`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let y = ya; y < yb; y++) {
      for (let x = xa; x < xb; x++) {
        const v = valueAt(level, 0, x, y);
        if (v === null) continue;
        const cx = t.ox + (x + 0.5) * t.sx, cy = t.oy + (y + 0.5) * t.sy;
        ctx.lineWidth = 3;
        ctx.strokeStyle = "#000";
        ctx.strokeText(number(v), cx, cy);
        ctx.fillStyle = "#fff";
        ctx.fillText(number(v), cx, cy);
      }
    }
    ctx.restore();
  }

  function drawPanel(k) {
    const canvas = canvases[k], ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const t = drawLevel(ctx, k, canvas);
    writeValues(ctx, k, t, canvas);
    if (!hover) return;
    if (hover.level === k) rect(ctx, t, [hover.x, hover.y, hover.x + 1, hover.y + 1], "#fff", 2);
    if (hover.level >= 1 && k === hover.level - 1) {
      const found = inspect(hover.level, hover.x, hover.y);
      if (found.padded.length <= 400) {
        for (const [px, py] of found.padded) rect(ctx, t, [px, py, px + 1, py + 1], "#ff5050", 1, [3, 3]);
      }
      if (found.cells.length <= 400 && doc.passes[hover.level - 1].cols.d + doc.passes[hover.level - 1].rows.d > 2) {
        for (const [cx, cy] of found.cells) rect(ctx, t, [cx, cy, cx + 1, cy + 1], "#7fd0ff", 1);
      }
      rect(ctx, t, found.window, "#ffd600", 2);
      const won = winner(found);
      if (won) rect(ctx, t, [won[0], won[1], won[0] + 1, won[1] + 1], "#00e5ff", 2);
    }
    if (hover.level >= 2 && k === 0) {
      rect(ctx, t, footprint(hover.level, [hover.x, hover.y, hover.x + 1, hover.y + 1]), "#ff9800", 2, [5, 3]);
    }
    if (k === hover.level + 1) {
      const reach = reached(hover.level, hover.x, hover.y);
      if (reach) rect(ctx, t, reach, "#ff4fd8", 2);
    }
  }

  function drawSwipe() {
    const canvas = $("swipe-canvas"), ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const a = +$("swipe-a").value, b = +$("swipe-b").value;
    const split = (canvas.width * +$("swipe-at").value) / 1000;
    drawLevel(ctx, a, canvas);
    ctx.save();
    ctx.beginPath();
    ctx.rect(split, 0, canvas.width - split, canvas.height);
    ctx.clip();
    drawLevel(ctx, b, canvas);
    ctx.restore();
    ctx.fillStyle = "#ffd600";
    ctx.fillRect(split - 1, 0, 2, canvas.height);
  }

  function draw() {
    if (mode === "swipe") drawSwipe();
    else canvases.forEach((_, k) => drawPanel(k));
    $("zoom-text").textContent = view.zoom >= 1 ? `x${+view.zoom.toFixed(2)}` : `1:${+(1 / view.zoom).toFixed(2)}`;
  }

  // ---- pointing, zooming, panning -----------------------------------------------------------

  function pointed(k, canvas, event) {
    const box = canvas.getBoundingClientRect();
    const mx = ((event.clientX - box.left) * canvas.width) / box.width;
    const my = ((event.clientY - box.top) * canvas.height) / box.height;
    const t = transform(k, canvas);
    return { mx, my, x: Math.floor((mx - t.ox) / t.sx), y: Math.floor((my - t.oy) / t.sy) };
  }

  function zoomAt(factor, mx, my, canvas) {
    const X = view.cx + (mx - canvas.width / 2) / view.zoom;
    const Y = view.cy + (my - canvas.height / 2) / view.zoom;
    view.zoom = Math.min(512, Math.max(0.002, view.zoom * factor));
    view.cx = X - (mx - canvas.width / 2) / view.zoom;
    view.cy = Y - (my - canvas.height / 2) / view.zoom;
    draw();
  }

  function attach(canvas, k) {
    let drag = null;
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      const at = pointed(k === null ? +$("swipe-a").value : k, canvas, event);
      zoomAt(event.deltaY < 0 ? 1.25 : 0.8, at.mx, at.my, canvas);
    }, { passive: false });
    canvas.addEventListener("pointerdown", (event) => {
      drag = { x: event.clientX, y: event.clientY, cx: view.cx, cy: view.cy, moved: false };
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointerup", (event) => {
      if (drag && !drag.moved && k !== null) point(k, canvas, event); // a tap points
      drag = null;
    });
    canvas.addEventListener("pointermove", (event) => {
      if (drag && (Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) > 3 || drag.moved)) {
        drag.moved = true;
        const box = canvas.getBoundingClientRect();
        view.cx = drag.cx - ((event.clientX - drag.x) * canvas.width) / box.width / view.zoom;
        view.cy = drag.cy - ((event.clientY - drag.y) * canvas.height) / box.height / view.zoom;
        draw();
        return;
      }
      if (k !== null) point(k, canvas, event);
    });
  }

  function point(k, canvas, event) {
    const at = pointed(k, canvas, event), level = levels[k];
    if (at.x < 0 || at.y < 0 || at.x >= level.w || at.y >= level.h) return;
    if (hover && hover.level === k && hover.x === at.x && hover.y === at.y) return;
    hover = { level: k, x: at.x, y: at.y };
    showInfo();
    draw();
  }

  function fit() {
    const base = levels[0];
    view = { cx: base.w / 2, cy: base.h / 2, zoom: Math.min(canvases[0].width / base.w, canvases[0].height / base.h) };
    draw();
  }

  function oneToOne() {
    const base = levels[0], d = doc.detail;
    view = d ? { cx: d.x + d.w / 2, cy: d.y + d.h / 2, zoom: 1 } : { cx: base.w / 2, cy: base.h / 2, zoom: 1 };
    draw();
  }

  // ---- building the page --------------------------------------------------------------------

  function build(keepView) {
    const base = levels[0];
    const ratio = base.h / base.w;
    // as many columns as keep the panels large, beside the info column
    const n = levels.length, columns = n <= 2 ? n : n <= 4 ? 2 : 3, lines = Math.ceil(n / columns);
    const room = Math.max(360, window.innerWidth - 460), tall = Math.max(240, window.innerHeight - 170);
    let width = Math.floor((room - 10 * (columns - 1)) / columns);
    width = Math.min(width, Math.floor((tall - 30 * lines) / lines / ratio), 640);
    width = Math.max(PANEL / 2, width);
    const height = Math.max(60, Math.round(width * ratio));
    $("panels").style.gridTemplateColumns = `repeat(${columns}, ${width}px)`;
    $("swipe-canvas").width = Math.min(room, 900);
    $("swipe-canvas").height = Math.max(120, Math.min(Math.round(Math.min(room, 900) * ratio), tall - 60));
    const panels = $("panels");
    panels.textContent = "";
    canvases = levels.map((level, k) => {
      const figure = document.createElement("figure");
      const canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      canvas.dataset.level = String(k);
      canvas.setAttribute("aria-label", level.label);
      const caption = document.createElement("figcaption");
      caption.textContent = level.label;
      figure.append(canvas, caption);
      panels.append(figure);
      attach(canvas, k);
      return canvas;
    });
    for (const id of ["swipe-a", "swipe-b"]) {
      const select = $(id);
      select.textContent = "";
      levels.forEach((level, k) => select.add(new Option(level.label, String(k))));
    }
    $("swipe-b").value = String(Math.min(1, levels.length - 1));
    $("settings").textContent = doc.settings;
    const list = $("pass-list");
    list.textContent = "";
    for (const p of doc.passes) {
      const item = document.createElement("li");
      item.innerHTML = `${escapeText(p.settings)}<code>PyTorch: ${escapeText(p.torch)}</code><code>Keras: ${escapeText(p.keras)}</code>`;
      list.append(item);
    }
    hover = null;
    if (keepView) draw();
    else fit();
  }

  async function show(d, keepView) {
    doc = d;
    levels = await prepare(d);
    build(keepView);
    window.poolimg.passes = doc.passes.map((p, i) => ({
      index: p.index, mode: p.mode, settings: p.settings, width: levels[i + 1].w,
      height: levels[i + 1].h, torch: p.torch, keras: p.keras,
    }));
    window.poolimg.levels = levels.map((l) => ({ label: l.label, width: l.w, height: l.h, channels: l.c,
      region: [l.x0, l.y0, l.x0 + l.rw, l.y0 + l.rh] }));
  }

  function rowMenu() {
    const documents = DATA.documents;
    if (!documents || documents.length < 2) return;
    const select = $("row");
    documents.forEach((each, i) => select.add(new Option(each.label, String(i))));
    select.addEventListener("change", async () => {
      await show(documents[+select.value].document, true);
      document.body.dataset.row = select.value;
    });
    $("row-controls").hidden = false;
  }

  function exampleControls() {
    const examples = DATA.examples;
    if (!examples) return;
    const keys = Object.keys(examples);
    const options = [0, 1, 2, 3].map((i) => [...new Set(keys.map((k) => k.split(",")[i]))]);
    const ids = ["ex-size", "ex-stride", "ex-padding", "ex-dilation"];
    const start = ["2", "2", "valid", "1"];
    ids.forEach((id, i) => {
      const select = $(id);
      options[i].forEach((o) => select.add(new Option(o, o)));
      select.value = start[i];
      select.addEventListener("change", async () => {
        const key = ids.map((each) => $(each).value).join(",");
        const chosen = examples[key];
        $("error").hidden = !chosen.error;
        $("error").textContent = chosen.error || "";
        if (!chosen.error) await show(chosen);
        document.body.dataset.example = key;
      });
    });
    $("example-controls").hidden = false;
  }

  window.poolimg = { inspect, reached, footprint, passes: [], levels: [],
    setView(cx, cy, zoom) { view = { cx, cy, zoom }; draw(); },
    get view() { return { ...view }; } };

  $("title").textContent = DATA.title;
  $("fit").addEventListener("click", fit);
  $("one").addEventListener("click", oneToOne);
  $("zoom-in").addEventListener("click", () => zoomAt(2, canvases[0].width / 2, canvases[0].height / 2, canvases[0]));
  $("zoom-out").addEventListener("click", () => zoomAt(0.5, canvases[0].width / 2, canvases[0].height / 2, canvases[0]));
  for (const radio of document.querySelectorAll("input[name=view]")) {
    radio.addEventListener("change", () => {
      mode = radio.value;
      $("panels").hidden = mode === "swipe";
      $("swipe").hidden = mode !== "swipe";
      draw();
    });
  }
  for (const id of ["swipe-a", "swipe-b", "swipe-at"]) $(id).addEventListener("input", draw);
  attach($("swipe-canvas"), null);
  exampleControls();
  rowMenu();
  window.poolimg.ready = show(DATA.document).then(() => {
    document.body.dataset.ready = "1";
  }, (error) => {
    $("error").hidden = false;
    $("error").textContent = `This page could not be read: ${error}`;
    throw error;
  });
})();
