/* nag-live-adam.js: chapter 6's live explorer, computed in the reader's browser.
 *
 * For every element  <div class="nag-live" data-explorer="adam">  it builds sliders for ε, the
 * learning rate α, β₁, β₂ and the number of steps t, and a log-log SVG of the size of Adam's
 * step t (after t steps of a constant gradient g) against |g| from 1e-14 to 1e3, next to
 * gradient descent's step α|g|. Optional attributes data-lr, data-beta1, data-beta2, data-eps
 * and data-t set the opening values (default: chapter 6's α = 1e-3, β = (0.9, 0.999),
 * ε = 1e-8, t = 1). Plain JavaScript, no network, no dependencies.
 *
 * The arithmetic mirrors nag_lib.optim.Adam.step (torch.optim.Adam's order of operations) in
 * float64; tests/test_live_adam.py checks it against nag_lib in torch.float64 to 1e-12.
 *
 * For tests:  element.nagLive = {params(), set(params), steps(), lastRedrawMs}  and the pure
 * function  window.nagLiveAdam.run({lr, beta1, beta2, eps, t, grads}).
 */
(function () {
  "use strict";

  var DEFAULTS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, t: 1 };
  var G_LO = -14, G_HI = 3, PER_DECADE = 8; // gradient grid: 10^-14 … 10^3, 8 points a decade
  var Y_LO = -20, Y_HI = 4; // the step axis: 10^-20 … 10^4
  // The book's palette (nag_lib.plotting.COLORS, Okabe-Ito); text is dark grey on white.
  var INK = { adam: "#009E73", sgd: "#000000", eps: "#555555", text: "#222222", grid: "#e4e4e4" };
  var SVGNS = "http://www.w3.org/2000/svg";

  /** The gradient sizes the explorer plots: log-spaced from 1e-14 to 1e3. */
  function gradGrid() {
    var grads = [];
    for (var i = 0; i <= (G_HI - G_LO) * PER_DECADE; i++) {
      grads.push(Math.pow(10, G_LO + i / PER_DECADE));
    }
    return grads;
  }

  /** Checks hyperparameters as nag_lib.optim.Adam does; returns a clean copy or throws. */
  function checked(p) {
    var q = { lr: +p.lr, beta1: +p.beta1, beta2: +p.beta2, eps: +p.eps, t: +p.t };
    if (!(q.lr >= 0 && isFinite(q.lr))) throw new RangeError("Invalid lr: " + p.lr);
    if (!(q.beta1 >= 0 && q.beta1 < 1)) throw new RangeError("Invalid beta1: " + p.beta1);
    if (!(q.beta2 >= 0 && q.beta2 < 1)) throw new RangeError("Invalid beta2: " + p.beta2);
    if (!(q.eps >= 0 && isFinite(q.eps))) throw new RangeError("Invalid eps: " + p.eps);
    if (!(Number.isInteger(q.t) && q.t >= 1 && q.t <= 100000)) {
      throw new RangeError("Invalid t: " + p.t);
    }
    return q;
  }

  /**
   * Adam's step t for each gradient g in p.grads, held constant for t steps from m = v = 0,
   * as |Δθ| of nag_lib.optim.Adam (no weight decay), next to gradient descent's α|g| and
   * Adam's step without the bias corrections, α m_t / (√v_t + ε). Pure; float64 throughout.
   */
  function run(p) {
    var q = checked(p);
    var grads = (p.grads || gradGrid()).map(Number);
    var lr = q.lr, beta1 = q.beta1, beta2 = q.beta2, eps = q.eps, t = q.t;
    var adam = [], sgd = [], uncorrected = [];
    for (var i = 0; i < grads.length; i++) {
      var g = grads[i], m = 0, v = 0;
      // The moments do not depend on θ (no weight decay), so steps 1 … t-1 only update them.
      for (var k = 1; k <= t; k++) {
        // m.lerp_(g, 1 - beta1): torch's lerp, with its two branches
        var w = 1 - beta1;
        m = w < 0.5 ? m + w * (g - m) : g - (g - m) * (1 - w);
        // v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        v = v * beta2 + (1 - beta2) * g * g;
      }
      // step_size = lr / (1 - beta1**t)
      var bias1 = 1 - Math.pow(beta1, t);
      var stepSize = lr / bias1;
      // denom = (v.sqrt() / (1 - beta2**t) ** 0.5).add_(eps)
      var bias2 = 1 - Math.pow(beta2, t);
      var denom = Math.sqrt(v) / Math.pow(bias2, 0.5) + eps;
      // p.addcdiv_(m, denom, value=-step_size): θ moves by -step_size * (m / denom)
      adam.push(Math.abs(-stepSize * (m / denom)));
      // gradient descent (nag_lib.optim.HeavyBall, momentum 0): p.add_(g, alpha=-lr)
      sgd.push(Math.abs(-lr * g));
      uncorrected.push(Math.abs(lr * (m / (Math.sqrt(v) + eps))));
    }
    return { grads: grads, adam: adam, sgd: sgd, uncorrected: uncorrected };
  }

  // ---- formatting ----------------------------------------------------------------------

  /** A short decimal for x: 0.001, 0.0316, 3.16e-9, 1e-8. */
  function fmt(x) {
    var n = Number(x.toPrecision(3));
    var tiny = n !== 0 && (Math.abs(n) < 1e-3 || Math.abs(n) >= 1e4);
    return tiny ? n.toExponential().replace("e+", "e") : String(n);
  }
  var SUP = {
    "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹",
  };
  function pow10Label(e) {
    return "10" + String(e).split("").map(function (c) { return SUP[c]; }).join("");
  }
  /** 10^x, rounded to 3 significant digits so that the value reads as typed (1e-8, 3.16e-9). */
  function nicePow10(x) {
    return Number(Math.pow(10, x).toPrecision(3));
  }

  // ---- the controls --------------------------------------------------------------------
  // Each control: a range slider (log scale where the quantity spans decades) and a number box
  // holding the value itself. toRange maps a value to the slider; fromRange maps back.
  var CONTROLS = [
    {
      key: "eps", name: "ε", hint: "log scale", min: 1e-16, max: 1,
      rmin: -16, rmax: 0, rstep: 0.25, toRange: Math.log10, fromRange: nicePow10,
    },
    {
      key: "lr", name: "learning rate α", hint: "log scale", min: 1e-6, max: 1,
      rmin: -6, rmax: 0, rstep: 0.25, toRange: Math.log10, fromRange: nicePow10,
    },
    {
      key: "beta1", name: "β₁", hint: "scale of 1 − β₁", min: 0, max: 0.9999,
      rmin: 0, rmax: 4, rstep: 0.05, toRange: oneMinusLog, fromRange: oneMinusPow,
    },
    {
      key: "beta2", name: "β₂", hint: "scale of 1 − β₂", min: 0, max: 0.9999,
      rmin: 0, rmax: 4, rstep: 0.05, toRange: oneMinusLog, fromRange: oneMinusPow,
    },
    {
      key: "t", name: "steps t", hint: "constant gradient", min: 1, max: 100, integer: true,
      rmin: 1, rmax: 100, rstep: 1, toRange: Number, fromRange: Number,
    },
  ];
  function oneMinusLog(b) { return -Math.log10(1 - b); } // β = 0.999 sits at 3
  function oneMinusPow(x) { return Number((1 - Math.pow(10, -x)).toFixed(4)); }

  var counter = 0;

  function el(tag, attrs, parent, ns) {
    var e = ns ? document.createElementNS(SVGNS, tag) : document.createElement(tag);
    for (var a in attrs) { if (attrs[a] !== undefined) e.setAttribute(a, attrs[a]); }
    if (parent) parent.appendChild(e);
    return e;
  }
  function svg(tag, attrs, parent) { return el(tag, attrs, parent, true); }

  /** Opening values: chapter 6's example, overridden by valid data-* attributes. */
  function opening(box) {
    var p = Object.assign({}, DEFAULTS);
    CONTROLS.forEach(function (c) {
      var raw = box.getAttribute("data-" + c.key);
      if (raw === null) return;
      var x = Number(raw);
      if (raw.trim() !== "" && x >= c.min && x <= c.max && (!c.integer || Number.isInteger(x))) {
        p[c.key] = x;
      } else {
        console.warn("nag-live-adam: ignoring data-" + c.key + '="' + raw + '"');
      }
    });
    return p;
  }

  // ---- the figure ----------------------------------------------------------------------
  // The viewBox: 640 × 380 where the box is at least 640 px wide (the desktop figure, scaled
  // to the box). On a narrower box (a phone) the viewBox is the box's own width, so that one
  // unit is one CSS pixel and the 13-px text stays 13 px; the legend then goes below the plot,
  // the title takes two lines and the x axis is labelled every fourth decade.
  var FULL = 640, MIN_W = 260;
  var W = 640, H = 380, L = 70, R = 16, T = 34, B = 50, NARROW = false; // the current layout
  function setLayout(width) {
    NARROW = width < FULL;
    W = NARROW ? Math.max(MIN_W, Math.floor(width)) : FULL;
    L = NARROW ? 58 : 70;
    R = NARROW ? 10 : 16;
    T = NARROW ? 52 : 34;
    B = NARROW ? 50 + 4 * 19 + 14 : 50; // room for the legend under the axis label
    H = NARROW ? T + Math.round(Math.min(300, Math.max(220, 0.8 * W))) + B : 380;
  }
  /** The layout's width for a box: FULL, or the box's width when narrower. */
  function layoutWidth(box) {
    var w = box.clientWidth;
    return !w || w >= FULL ? FULL : Math.max(MIN_W, Math.floor(w));
  }
  function X(g) { return L + (Math.log10(g) - G_LO) / (G_HI - G_LO) * (W - L - R); }
  function Y(s) { return T + (Y_HI - Math.log10(s)) / (Y_HI - Y_LO) * (H - T - B); }

  /** The static parts of the plot (axes, ticks, legend) laid out for a box `width` px wide,
   * inserted in root before `before`; returns the parts redraw changes. */
  function buildFigure(root, id, width, before) {
    setLayout(width);
    var fig = svg("svg", {
      viewBox: "0 0 " + W + " " + H, role: "img", class: "nag-live-adam-figure",
      "font-family": "system-ui, sans-serif", "font-size": 13, fill: INK.text,
    });
    root.insertBefore(fig, before || null);
    svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#ffffff" }, fig);
    var clip = svg("clipPath", { id: id + "-clip" }, svg("defs", {}, fig));
    svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B }, clip);
    var e, x, y;
    for (e = G_LO; e <= G_HI; e++) { // x ticks: every decade, labelled every other one
      x = X(Math.pow(10, e));
      if (e % (NARROW ? 4 : 2) === 0) {
        svg("line", { x1: x, x2: x, y1: T, y2: H - B, stroke: INK.grid }, fig);
        svg("text", { x: x, y: H - B + 18, "text-anchor": "middle" }, fig)
          .textContent = pow10Label(e);
      }
      svg("line", { x1: x, x2: x, y1: H - B, y2: H - B + 5, stroke: INK.text }, fig);
    }
    for (e = Y_LO; e <= Y_HI; e += 4) { // y ticks every four decades
      y = Y(Math.pow(10, e));
      svg("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: INK.grid }, fig);
      svg("line", { x1: L - 5, x2: L, y1: y, y2: y, stroke: INK.text }, fig);
      svg("text", { x: L - 8, y: y + 4, "text-anchor": "end" }, fig).textContent = pow10Label(e);
    }
    svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none",
      stroke: INK.text }, fig);
    svg("text", { x: (L + W - R) / 2, y: H - B + 40, "text-anchor": "middle" }, fig)
      .textContent = "gradient |g| of the coordinate";
    svg("text", { x: 16, y: (T + H - B) / 2, "text-anchor": "middle",
      transform: "rotate(-90 16 " + (T + H - B) / 2 + ")" }, fig).textContent = "step size |Δθ|";
    var title = svg("text", { x: W / 2, y: 20, "text-anchor": "middle", "font-weight": 600 }, fig);
    var title2 = NARROW ? svg("text", { x: W / 2, y: 38, "text-anchor": "middle",
      "font-weight": 600 }, fig) : null;
    var plot = svg("g", { "clip-path": "url(#" + id + "-clip)", fill: "none" }, fig);
    var epsLine = svg("line", { y1: T, y2: H - B, stroke: INK.eps, "stroke-dasharray": "2 3" },
      plot);
    var epsText = svg("text", { y: T + 14, fill: INK.eps, stroke: "none" }, plot);
    var style = {
      adam: { stroke: INK.adam, "stroke-width": 2.5 },
      uncorrected: { stroke: INK.adam, "stroke-width": 1.5, "stroke-dasharray": "6 4" },
      sgd: { stroke: INK.sgd, "stroke-width": 1.5 },
    };
    var lines = {
      sgd: svg("path", style.sgd, plot),
      uncorrected: svg("path", style.uncorrected, plot),
      adam: svg("path", style.adam, plot),
    };
    // Legend, bottom right: no curve reaches below 1e-10 for gradients above 1e-2.
    var items = [
      ["Adam, step t", style.adam],
      ["Adam without bias correction", style.uncorrected],
      ["gradient descent, α|g|", style.sgd],
      ["|g| = ε", { stroke: INK.eps, "stroke-dasharray": "2 3" }],
    ];
    // Narrow: under the axis label, from the left edge of the plot.
    var lx = NARROW ? Math.max(12, L - 50) : W - R - 252;
    var ly = NARROW ? H - B + 62 : H - B - 8 - 18 * items.length;
    // One row a curve: its line, then its name; 19 px apart when narrow, 18 in the boxed legend.
    var gap = NARROW ? 19 : 18;
    if (!NARROW) {
      svg("rect", { x: lx - 6, y: ly - 6, width: 250, height: 18 * items.length + 8,
        fill: "#ffffff", stroke: INK.grid }, fig);
    }
    items.forEach(function (it, i) {
      var yy = ly + gap * i + 6;
      svg("line", Object.assign({ x1: lx, x2: lx + 28, y1: yy, y2: yy }, it[1]), fig);
      svg("text", { x: lx + 36, y: yy + 4 }, fig).textContent = it[0];
    });
    return { fig: fig, title: title, title2: NARROW ? title2 : null, lines: lines,
      epsLine: epsLine, epsText: epsText, width: W, L: L, R: R };
  }

  function pathOf(xs, ys) {
    return xs.map(function (g, i) {
      return (i ? "L" : "M") + X(g).toFixed(1) + " " + Y(ys[i]).toFixed(1);
    }).join("");
  }

  /** The sentence the live region reads out, computed from the arrays drawn. */
  function summarize(p, r, first) {
    var n = r.grads.length, top = r.adam[n - 1], knee = n - 1;
    while (knee > 0 && Math.abs(r.adam[knee - 1] / top - 1) <= 0.01) knee--;
    var same = r.adam.every(function (s, i) { return Math.abs(s / first.adam[i] - 1) < 1e-9; });
    var where = knee === 0 ? "For every gradient shown" : "For gradients above " + fmt(r.grads[knee]);
    var text = where +
      ", Adam's step " + p.t + " is within 1% of " + fmt(top) + " (α = " + fmt(p.lr) + "); " +
      "below ε = " + fmt(p.eps) + " it scales like |g|, about α|g|/ε, as gradient descent " +
      "with learning rate α/ε = " + fmt(p.lr / p.eps) + " would. Gradient descent steps α|g|.";
    if (p.t > 1) {
      text += same ? " With a constant gradient, step " + p.t + " is as large as the first."
        : " Step " + p.t + " differs from the first step.";
    }
    return text + " Without the bias corrections, the step for large gradients would be " +
      fmt(r.uncorrected[n - 1] / p.lr) + " α.";
  }

  // ---- one explorer --------------------------------------------------------------------
  function build(box) {
    var id = "nag-live-adam-" + (++counter);
    var state = opening(box);
    var last = null, pending = null, inputs = {};
    box.textContent = ""; // drop the no-JavaScript fallback
    box.classList.add("nag-live-adam");
    if (!box.hasAttribute("aria-label")) { // a named region, so that readers can find it
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", "Live explorer: Adam's step against the gradient's size");
    }
    var form = el("div", { class: "nag-live-adam-controls", role: "group",
      "aria-label": "Settings of Adam's step" }, box);

    CONTROLS.forEach(function (c) {
      var label = el("label", { for: id + "-" + c.key, class: "nag-live-adam-label" }, form);
      label.textContent = c.name;
      var range = el("input", { type: "range", min: c.rmin, max: c.rmax, step: c.rstep,
        "aria-label": c.name + " slider (" + c.hint + ")", class: "nag-live-adam-range",
        "data-key": c.key }, form);
      var num = el("input", { type: "number", id: id + "-" + c.key, min: c.min, max: c.max,
        step: c.integer ? 1 : "any", class: "nag-live-adam-number", "data-key": c.key }, form);
      inputs[c.key] = { c: c, range: range, num: num };
      range.addEventListener("input", function () {
        state[c.key] = c.fromRange(Number(range.value));
        sync(c.key, "range");
        redraw();
      });
      num.addEventListener("input", function () {
        var x = num.value === "" ? NaN : Number(num.value);
        var ok = x >= c.min && x <= c.max && (!c.integer || Number.isInteger(x));
        num.setAttribute("aria-invalid", ok ? "false" : "true");
        if (!ok) return; // keep the last valid value until the reader finishes typing
        state[c.key] = x;
        sync(c.key, "num");
        redraw();
      });
      num.addEventListener("change", function () { sync(c.key); });
    });

    var summary = el("p", { class: "nag-live-adam-summary", "aria-live": "polite" }, box);
    var parts = buildFigure(box, id, layoutWidth(box), summary);
    var lastText = "";

    /** Rebuilds the figure when the box's width asks for another layout (phone ↔ desktop, or
     * another phone width), and paints the curves already computed into it. */
    function fit() {
      var w = layoutWidth(box);
      if (w === parts.width) return;
      var old = parts.fig;
      parts = buildFigure(box, id, w, old);
      box.removeChild(old);
      paint();
    }
    if (typeof ResizeObserver === "function") {
      var frame = 0;
      new ResizeObserver(function () {
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(fit);
      }).observe(box);
    } else {
      window.addEventListener("resize", fit);
    }

    /** Shows state[key] in the controls (not in the one being used, to leave typing alone). */
    function sync(key, from) {
      var x = inputs[key], v = state[key];
      if (from !== "range") x.range.value = String(x.c.toRange(v));
      if (from !== "num") { x.num.value = String(v); x.num.setAttribute("aria-invalid", "false"); }
      x.range.setAttribute("aria-valuetext", x.c.name + " = " + fmt(v));
    }

    function redraw(now) {
      var t0 = performance.now();
      var p = Object.assign({}, state, { grads: gradGrid() });
      last = run(p);
      var first = p.t === 1 ? last : run(Object.assign({}, p, { t: 1 }));
      var text = summarize(state, last, first);
      lastText = text;
      paint();
      // The live region speaks once the reader pauses, not at every slider position.
      clearTimeout(pending);
      if (now) summary.textContent = text;
      else pending = setTimeout(function () { summary.textContent = text; }, 250);
      api.lastRedrawMs = performance.now() - t0;
    }

    /** Draws the curves, ε's line and the title of the state last computed into the figure. */
    function paint() {
      setLayout(parts.width);
      parts.lines.adam.setAttribute("d", pathOf(last.grads, last.adam));
      parts.lines.sgd.setAttribute("d", pathOf(last.grads, last.sgd));
      parts.lines.uncorrected.setAttribute("d", pathOf(last.grads, last.uncorrected));
      var off = state.eps < Math.pow(10, G_LO); // ε left of the plot: mark the edge
      var xe = off ? L : X(state.eps);
      parts.epsLine.setAttribute("x1", xe);
      parts.epsLine.setAttribute("x2", xe);
      var right = xe > W - R - 130; // near the right edge: label on the line's left
      parts.epsText.setAttribute("x", right ? xe - 4 : xe + 4);
      parts.epsText.setAttribute("text-anchor", right ? "end" : "start");
      parts.epsText.textContent = (off ? "← " : "") + "|g| = ε = " + fmt(state.eps);
      var head = "Adam's step " + state.t + " is about α = " + fmt(state.lr);
      var tail = "down to |g| ≈ ε = " + fmt(state.eps);
      if (parts.title2) {
        parts.title.textContent = head;
        parts.title2.textContent = tail;
      } else {
        parts.title.textContent = head + " " + tail;
      }
      parts.fig.setAttribute("aria-label", "Log-log plot of step size against gradient size " +
        "from 1e-14 to 1e3. " + lastText);
    }

    var api = {
      /** The current hyperparameters {lr, beta1, beta2, eps, t}. */
      params: function () { return Object.assign({}, state); },
      /** Sets some hyperparameters (validated), updates the controls and redraws. */
      set: function (p) {
        var next = checked(Object.assign({}, state, p));
        Object.keys(state).forEach(function (k) { state[k] = next[k]; sync(k); });
        redraw();
        return api.params();
      },
      /** The arrays drawn: {grads, adam, sgd, uncorrected}, copies. */
      steps: function () {
        return { grads: last.grads.slice(), adam: last.adam.slice(), sgd: last.sgd.slice(),
          uncorrected: last.uncorrected.slice() };
      },
      lastRedrawMs: 0,
    };
    Object.keys(state).forEach(function (k) { sync(k); });
    redraw(true);
    box.nagLive = api;
  }

  function init() {
    var boxes = document.querySelectorAll('div.nag-live[data-explorer="adam"]');
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].nagLive) continue; // built already
      try { build(boxes[i]); } catch (err) {
        // Keep the page (and other explorers) alive; the fallback text stays if we fail early.
        console.warn("nag-live-adam: could not build the explorer", err);
      }
    }
  }

  window.nagLiveAdam = {
    run: run, grid: gradGrid, defaults: Object.assign({}, DEFAULTS), init: init,
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
