/* nag-live-momentum.js: the live explorer of chapters 3 and 4 (gradient descent, heavy ball and
 * Nesterov's method side by side), computed in the reader's browser.
 *
 * Plain JavaScript, no framework, nothing fetched: the book loads this file on every page
 * (_ext/offline_assets.py) and it turns every <div class="nag-live" data-explorer="momentum">
 * into an explorer. Optional data attributes set the opening view:
 *   data-problem="quadratic|rosenbrock", data-lr, data-momentum, data-kappa,
 *   data-methods="gd heavy_ball nag", data-preset="nag|heavy_ball" (the optimal parameters of
 *   that method for the quadratic, applied after data-kappa).
 *
 * The arithmetic mirrors nag_lib line for line (same operations in the same order, in float64),
 * so the iterates equal those of chapter 3's run_all(lr, momentum, kappa, problem); the test
 * tests/test_live_momentum.py compares them with nag_lib to 1e-12.
 *
 * The three methods share one learning rate and one momentum, as in chapter 3's Python explorer
 * (gradient descent ignores the momentum). The two "optimum" buttons set these shared values to
 * Nesterov's tuning for NAG or to Polyak's tuning for heavy ball; the other methods then run at
 * that same setting, which is not their own optimum.
 *
 * For tests and for the chapter's own scripts:
 *   element.nagLive.params()      -> {problem, lr, momentum, kappa, methods: {gd, heavy_ball, nag}}
 *   element.nagLive.set(partial)  -> updates controls and redraws; returns params()
 *   element.nagLive.iterates()    -> {gd: [[x, y], ...], ...} for the methods shown
 *   element.nagLive.radii()       -> {gd: {flat, stiff, rho}, ...} (local rates for Rosenbrock)
 *   element.dataset.state         -> JSON of params(), rewritten after every redraw
 *   window.nagLiveMomentum.run(problem, lr, momentum, kappa) -> the three methods' iterates
 * Iterates are JSON-safe: a non-finite coordinate is the string "NaN", "Infinity" or
 * "-Infinity" (Python's float() reads all three back). lr is in the explorer's units: 1/L for
 * the quadratic, 1e-3 for Rosenbrock.
 */
(function () {
  "use strict";

  // ------------------------------------------------------------------------------------------
  // Arithmetic. Each function names the nag_lib code it mirrors.
  // ------------------------------------------------------------------------------------------

  // nag_lib.problems.quadratic(kappa, mu=1.0 / kappa): dim 2, not rotated, minimiser (1, 1).
  // eig[0], eig[-1] = mu, mu * kappa; A = diag(eig).
  function quadratic(kappa) {
    const mu = 1.0 / kappa;
    const L = mu * kappa;
    const A = [[mu, 0.0], [0.0, L]];
    return {
      mu: mu,
      L: L,
      // Quadratic.grad: A @ (x - x*), the 2x2 product written out, zeros included, so that a
      // coordinate overflowing to Infinity poisons the other one (0 * Infinity = NaN) as in NumPy.
      grad: function (x) {
        const d0 = x[0] - 1.0;
        const d1 = x[1] - 1.0;
        return [A[0][0] * d0 + A[0][1] * d1, A[1][0] * d0 + A[1][1] * d1];
      },
      // Quadratic.value: 0.5 * d^T A d (for the plots only).
      value: function (x0, x1) {
        const d0 = x0 - 1.0;
        const d1 = x1 - 1.0;
        return 0.5 * (mu * d0 * d0 + L * d1 * d1);
      },
    };
  }

  // nag_lib.problems.rosenbrock_grad(x, a=1.0, b=100.0).
  function rosenbrockGrad(x) {
    const a = 1.0;
    const b = 100.0;
    const x0 = x[0];
    const x1 = x[1];
    return [-2.0 * (a - x0) - 4.0 * b * x0 * (x1 - x0 * x0), 2.0 * b * (x1 - x0 * x0)];
  }

  // Chapter 3's rosenbrock_values (for the plots only).
  function rosenbrockValue(x0, x1) {
    return (1 - x0) * (1 - x0) + 100 * (x1 - x0 * x0) * (x1 - x0 * x0);
  }

  // Eigenvalues of Rosenbrock's Hessian at its minimiser (1, 1), [[802, -400], [-400, 200]]:
  // the local curvatures that set the asymptotic rates there.
  const ROSEN_EIG = (function () {
    const tr = 802 + 200;
    const det = 802 * 200 - 400 * 400;
    const big = (tr + Math.sqrt(tr * tr - 4 * det)) / 2;
    return [det / big, big];
  })();

  // Chapter 3's run_all: the problem, start, step a and number of steps.
  function setup(problem, lr, kappa) {
    if (problem === "rosenbrock") {
      // the slider is in units of 1e-3, about 1/L near (1, 1)
      return {grad: rosenbrockGrad, value: rosenbrockValue, start: [-1.2, 1.0],
        a: lr * 1e-3, n: 3000, eig: ROSEN_EIG};
    }
    const q = quadratic(kappa); // eigenvalues 1/kappa and 1: L = 1
    return {grad: q.grad, value: q.value, start: [-3.0, 2.0], a: lr, n: 150, eig: [q.mu, q.L]};
  }

  // The start and `steps` iterates of a method, stored flat: out[2k], out[2k + 1] = x_k.
  // step(x) returns the next point; a method keeps its own state in its closure, as each of
  // nag_lib.paper's forms does in its generator (its _collect records the iterates).
  function record(x0, steps, step) {
    const out = new Float64Array(2 * (steps + 1));
    let x = [x0[0], x0[1]];
    out[0] = x[0];
    out[1] = x[1];
    for (let k = 0; k < steps; k++) {
      x = step(x);
      out[2 * k + 2] = x[0];
      out[2 * k + 3] = x[1];
    }
    return out;
  }

  // nag_lib.paper.gradient_descent(grad, x0, lr, steps): x = x - lr * grad(x).
  function gradientDescent(grad, x0, lr, steps) {
    return record(x0, steps, function (x) {
      const g = grad(x);
      const next = [0.0, 0.0];
      for (let i = 0; i < 2; i++) {
        next[i] = x[i] - lr * g[i];
      }
      return next;
    });
  }

  // nag_lib.paper.heavy_ball(grad, x0, lr, momentum, steps), with x_{-1} = x_0:
  // x, prev = x - lr * grad(x) + beta * (x - prev), x.
  function heavyBall(grad, x0, lr, momentum, steps) {
    const beta = momentum;
    let prev = [x0[0], x0[1]];
    return record(x0, steps, function (x) {
      const g = grad(x);
      const next = [0.0, 0.0];
      for (let i = 0; i < 2; i++) {
        next[i] = x[i] - lr * g[i] + beta * (x[i] - prev[i]);
      }
      prev = x;
      return next;
    });
  }

  // nag_lib.paper.nesterov_1983(grad, x0, lr, steps, momentum=momentum) (constant momentum),
  // with x_{-1} = x_0: y = x + beta * (x - prev); prev, x = x, y - lr * grad(y).
  function nesterov1983(grad, x0, lr, steps, momentum) {
    const beta = momentum;
    let prev = [x0[0], x0[1]];
    return record(x0, steps, function (x) {
      const y = [0.0, 0.0];
      for (let i = 0; i < 2; i++) {
        y[i] = x[i] + beta * (x[i] - prev[i]); // the look-ahead point
      }
      const g = grad(y);
      const next = [0.0, 0.0];
      for (let i = 0; i < 2; i++) {
        next[i] = y[i] - lr * g[i];
      }
      prev = x;
      return next;
    });
  }

  // nag_lib.problems.spectral_radii(method, lr, momentum, [lam]): the larger root modulus of
  // z^2 - b z + c, the characteristic polynomial of iteration_matrix(method, lr, momentum, lam).
  function spectralRadius(method, a, beta, lam) {
    if (method === "gd") {
      return Math.abs(1.0 - a * lam);
    }
    let b;
    let c;
    if (method === "heavy_ball") {
      b = 1.0 + beta - a * lam;
      c = beta;
    } else {
      b = (1.0 + beta) * (1.0 - a * lam);
      c = beta * (1.0 - a * lam);
    }
    const disc = b * b - 4.0 * c;
    if (disc >= 0) {
      const root = Math.sqrt(disc);
      return Math.max(Math.abs((b + root) / 2.0), Math.abs((b - root) / 2.0));
    }
    return Math.hypot(b / 2.0, Math.sqrt(-disc) / 2.0); // complex pair: both have this modulus
  }

  // nag_lib.problems.nag_optimal and heavy_ball_optimal for the quadratic's L and mu; the lr they
  // return is the step itself, which is the slider value since the slider is in units of 1/L ≈ 1.
  function optimal(method, kappa) {
    const q = quadratic(kappa);
    const L = q.L;
    const mu = q.mu;
    if (method === "nag") {
      const sk = Math.sqrt(L / mu);
      return {lr: 1.0 / L, momentum: (sk - 1) / (sk + 1)};
    }
    const r = (Math.sqrt(L / mu) - 1) / (Math.sqrt(L / mu) + 1);
    const s = Math.sqrt(L) + Math.sqrt(mu);
    return {lr: 4.0 / (s * s), momentum: r * r};
  }

  const METHODS = ["gd", "heavy_ball", "nag"];
  const NAMES = {gd: "gradient descent", heavy_ball: "heavy ball", nag: "NAG"};
  // nag_lib.plotting.COLORS (Okabe-Ito).
  const COLORS = {gd: "#000000", heavy_ball: "#E69F00", nag: "#0072B2"};

  // The iterates of the chosen methods at one setting (Float64Arrays, NaN and Infinity kept).
  function compute(p) {
    const s = setup(p.problem, p.lr, p.kappa);
    const paths = {};
    if (p.methods.gd) {
      paths.gd = gradientDescent(s.grad, s.start, s.a, s.n);
    }
    if (p.methods.heavy_ball) {
      paths.heavy_ball = heavyBall(s.grad, s.start, s.a, p.momentum, s.n);
    }
    if (p.methods.nag) {
      paths.nag = nesterov1983(s.grad, s.start, s.a, s.n, p.momentum);
    }
    return {setup: s, paths: paths};
  }

  function encode(v) {
    if (Number.isFinite(v)) {
      return v;
    }
    return Number.isNaN(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");
  }

  function encodePaths(paths) {
    const out = {};
    for (const m of Object.keys(paths)) {
      const flat = paths[m];
      const rows = [];
      for (let k = 0; k < flat.length; k += 2) {
        rows.push([encode(flat[k]), encode(flat[k + 1])]);
      }
      out[m] = rows;
    }
    return out;
  }

  function radiiOf(p) {
    const s = setup(p.problem, p.lr, p.kappa);
    const out = {};
    for (const m of METHODS) {
      const flat = spectralRadius(m, s.a, p.momentum, s.eig[0]);
      const stiff = spectralRadius(m, s.a, p.momentum, s.eig[1]);
      out[m] = {flat: flat, stiff: stiff, rho: Math.max(flat, stiff)};
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Drawing: three SVG panels built once per explorer; a redraw rewrites their contents.
  // ------------------------------------------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";
  const W = 330;
  const H = 260;
  const MARGIN = {l: 56, r: 12, t: 28, b: 42};
  const PW = W - MARGIN.l - MARGIN.r;
  const PH = H - MARGIN.t - MARGIN.b;
  const VIEW = {
    quadratic: {lo: [-3.5, -0.5], hi: [2.5, 2.5]},
    rosenbrock: {lo: [-1.6, -0.4], hi: [1.6, 2.2]},
  };
  const LOG_LO = -16; // plots of f - f* and of the errors are clipped to [1e-16, 1e6]
  const LOG_HI = 6;

  function el(tag, attrs, parent) {
    const e = document.createElementNS(SVG, tag);
    for (const k of Object.keys(attrs || {})) {
      e.setAttribute(k, attrs[k]);
    }
    if (parent) {
      parent.appendChild(e);
    }
    return e;
  }

  function html(tag, attrs, parent, text) {
    const e = document.createElement(tag);
    for (const k of Object.keys(attrs || {})) {
      e.setAttribute(k, attrs[k]);
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    if (parent) {
      parent.appendChild(e);
    }
    return e;
  }

  // One panel: title, axes, and a clipping inner <svg> for the data.
  function panel(parent, title) {
    const svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img",
      class: "nag-live-plot", preserveAspectRatio: "xMidYMid meet"}, parent);
    const titleEl = el("text", {x: MARGIN.l + PW / 2, y: 16, "text-anchor": "middle",
      class: "nag-live-title"}, svg);
    titleEl.textContent = title;
    const axes = el("g", {class: "nag-live-axes"}, svg);
    const plot = el("svg", {x: MARGIN.l, y: MARGIN.t, width: PW, height: PH}, svg);
    el("rect", {x: MARGIN.l, y: MARGIN.t, width: PW, height: PH, fill: "none",
      stroke: "#555", "stroke-width": 1}, svg);
    return {svg: svg, title: titleEl, axes: axes, plot: plot};
  }

  function niceTicks(lo, hi, count) {
    const raw = (hi - lo) / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(function (f) { return f * mag; })
      .find(function (s) { return s >= raw; });
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) {
      ticks.push(Math.abs(t) < 1e-12 * step ? 0 : t);
    }
    return ticks;
  }

  function fmtTick(t) {
    return String(Number(t.toPrecision(6)));
  }

  // Axis ticks and labels as one SVG string (x and y map data to pixels of the inner plot).
  function axesMarkup(xTicks, yTicks, x, y, xLabel, yLabel, yFmt) {
    let s = "";
    for (const t of xTicks) {
      const px = MARGIN.l + x(t);
      s += '<line x1="' + px + '" x2="' + px + '" y1="' + (MARGIN.t + PH) + '" y2="' +
        (MARGIN.t + PH + 4) + '" stroke="#555"/>';
      s += '<text x="' + px + '" y="' + (MARGIN.t + PH + 16) +
        '" text-anchor="middle" class="nag-live-tick">' + fmtTick(t) + "</text>";
    }
    for (const t of yTicks) {
      const py = MARGIN.t + y(t);
      s += '<line x1="' + (MARGIN.l - 4) + '" x2="' + MARGIN.l + '" y1="' + py + '" y2="' + py +
        '" stroke="#555"/>';
      s += '<text x="' + (MARGIN.l - 6) + '" y="' + (py + 4) +
        '" text-anchor="end" class="nag-live-tick">' + (yFmt || fmtTick)(t) + "</text>";
    }
    s += '<text x="' + (MARGIN.l + PW / 2) + '" y="' + (H - 6) +
      '" text-anchor="middle" class="nag-live-label">' + xLabel + "</text>";
    s += '<text transform="translate(13 ' + (MARGIN.t + PH / 2) +
      ') rotate(-90)" text-anchor="middle" class="nag-live-label">' + yLabel + "</text>";
    return s;
  }

  function logTick(t) {
    return t === 0 ? "1" : "1e" + t;
  }

  // Pixel coordinates are clamped so that a diverging run still gives a drawable path.
  function clampPx(v) {
    return v < -5000 ? -5000 : (v > 5000 ? 5000 : Math.round(v * 10) / 10);
  }

  // An SVG path through (px(k), py(k)), k = 0..count-1, broken where a point is not finite.
  // A point within 0.4 pixel of the last one drawn is skipped (the last point is always drawn):
  // the picture is the same, and a 3000-step run needs far fewer path commands.
  function pathData(count, px, py) {
    const parts = [];
    let pen = "M";
    let lastA = NaN;
    let lastB = NaN;
    for (let k = 0; k < count; k++) {
      const x = px(k);
      const y = py(k);
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = "M";
        continue;
      }
      const a = clampPx(x);
      const b = clampPx(y);
      if (pen === "L" && k < count - 1 && Math.abs(a - lastA) < 0.4 && Math.abs(b - lastB) < 0.4) {
        continue;
      }
      parts.push(pen + a + " " + b);
      pen = "L";
      lastA = a;
      lastB = b;
    }
    return parts.join("");
  }

  // log10 of a positive quantity clipped to [1e-16, 1e6]; NaN counts as +Infinity, as in
  // chapter 3's draw (np.nan_to_num(nan=np.inf), then np.clip).
  function clippedLog(v) {
    if (Number.isNaN(v) || v > 1e6) {
      return LOG_HI;
    }
    return v < 1e-16 ? LOG_LO : Math.log10(v);
  }

  // The straight line log10 f_0 + 2k log10(rho) on the log plot, cut where it leaves
  // [1e-16, 1e6] (cut in data space, so that its slope stays that of rho).
  function rateLine(f0, rho, n, kx, ly) {
    const start = Math.log10(f0);
    const slope = 2 * Math.log10(rho);
    if (!Number.isFinite(slope) || !Number.isFinite(start)) {
      return "";
    }
    let end = n;
    if (slope < 0) {
      end = Math.min(n, (LOG_LO - start) / slope);
    } else if (slope > 0) {
      end = Math.min(n, (LOG_HI - start) / slope);
    }
    return "M" + clampPx(kx(0)) + " " + clampPx(ly(start)) + "L" + clampPx(kx(end)) + " " +
      clampPx(ly(start + slope * end));
  }

  // Contour lines of log10(f + 1e-3) on a grid, by marching squares; cached per problem/kappa.
  const contourCache = new Map();

  function contourMarkup(problem, kappa, value, x, y) {
    const key = problem === "rosenbrock" ? problem : problem + ":" + kappa;
    if (contourCache.has(key)) {
      return contourCache.get(key);
    }
    const view = VIEW[problem];
    const N = 100; // as chapter 3's draw (a 100 x 100 grid)
    const gx = [];
    const gy = [];
    for (let i = 0; i <= N; i++) {
      gx.push(view.lo[0] + (view.hi[0] - view.lo[0]) * i / N);
      gy.push(view.lo[1] + (view.hi[1] - view.lo[1]) * i / N);
    }
    const v = [];
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j <= N; j++) {
      const row = [];
      for (let i = 0; i <= N; i++) {
        const f = Math.log10(value(gx[i], gy[j]) + 1e-3);
        row.push(f);
        lo = Math.min(lo, f);
        hi = Math.max(hi, f);
      }
      v.push(row);
    }
    let d = "";
    const levels = 15;
    for (let l = 0; l < levels; l++) {
      const c = lo + (hi - lo) * (l + 0.5) / levels;
      for (let j = 0; j < N; j++) {
        for (let i = 0; i < N; i++) {
          // corners in cyclic order; the crossings on the four edges, in the same order
          const cx = [gx[i], gx[i + 1], gx[i + 1], gx[i]];
          const cy = [gy[j], gy[j], gy[j + 1], gy[j + 1]];
          const cv = [v[j][i], v[j][i + 1], v[j + 1][i + 1], v[j + 1][i]];
          const pts = [];
          for (let e = 0; e < 4; e++) {
            const f = (e + 1) % 4;
            if ((cv[e] < c) !== (cv[f] < c)) {
              const t = (c - cv[e]) / (cv[f] - cv[e]);
              pts.push([cx[e] + t * (cx[f] - cx[e]), cy[e] + t * (cy[f] - cy[e])]);
            }
          }
          for (let p = 0; p + 1 < pts.length; p += 2) {
            d += "M" + clampPx(x(pts[p][0])) + " " + clampPx(y(pts[p][1])) +
              "L" + clampPx(x(pts[p + 1][0])) + " " + clampPx(y(pts[p + 1][1]));
          }
        }
      }
    }
    const markup = '<path d="' + d + '" fill="none" stroke="#c8c8c8" stroke-width="0.8"/>';
    if (contourCache.size >= 24) { // keep the most recent few (a kappa drag makes many)
      contourCache.delete(contourCache.keys().next().value);
    }
    contourCache.set(key, markup);
    return markup;
  }

  function fmtRate(r) {
    if (!Number.isFinite(r)) {
      return String(r);
    }
    return r === 0 ? "0" : (r < 1e-4 ? r.toExponential(1) : r.toFixed(4));
  }

  function fmtNum(v) {
    if (!Number.isFinite(v)) {
      return Number.isNaN(v) ? "NaN (diverged)" : "overflow (diverged)";
    }
    return v === 0 ? "0" : (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4 ?
      v.toExponential(1) : String(Number(v.toPrecision(3))));
  }

  // ------------------------------------------------------------------------------------------
  // One explorer.
  // ------------------------------------------------------------------------------------------

  let instances = 0;

  // Ranges of the controls: [min, max, slider step]. kappa's slider holds log10(kappa), 0 to 3.
  const LR_RANGE = [0.01, 4, 0.01];
  const BETA_RANGE = [0, 0.99, 0.01];
  const KAPPA_RANGE = [1, 1000];

  function clamp(v, lo, hi) {
    return Math.min(hi, Math.max(lo, v));
  }

  function readInitial(root) {
    const d = root.dataset;
    const num = function (s, fallback) {
      const v = parseFloat(s);
      return Number.isFinite(v) ? v : fallback;
    };
    const p = {
      problem: d.problem === "rosenbrock" ? "rosenbrock" : "quadratic",
      lr: clamp(num(d.lr, 1.0), LR_RANGE[0], LR_RANGE[1]),
      momentum: clamp(num(d.momentum, 0.9), BETA_RANGE[0], BETA_RANGE[1]),
      kappa: clamp(num(d.kappa, 50.0), KAPPA_RANGE[0], KAPPA_RANGE[1]),
      methods: {gd: true, heavy_ball: true, nag: true},
    };
    if (d.methods) {
      const on = d.methods.split(/[\s,]+/);
      for (const m of METHODS) {
        p.methods[m] = on.indexOf(m) >= 0;
      }
    }
    if (d.preset === "nag" || d.preset === "heavy_ball") {
      const o = optimal(d.preset, p.kappa);
      p.lr = o.lr;
      p.momentum = o.momentum;
    }
    return p;
  }

  function build(root) {
    const id = "nag-live-m" + (instances++);
    const state = readInitial(root);
    root.classList.add("nag-live-momentum");
    root.textContent = ""; // drop the fallback text for readers without JavaScript

    // ---- controls ----
    const form = html("div", {class: "nag-live-controls", role: "group",
      "aria-label": "explorer settings"}, root);
    const inputs = {};

    function slider(key, text, min, max, step) {
      const row = html("div", {class: "nag-live-row"}, form);
      const label = html("label", {for: id + "-" + key, id: id + "-" + key + "-label"}, row, text);
      const range = html("input", {type: "range", id: id + "-" + key, min: min, max: max,
        step: step, class: "nag-live-range"}, row);
      const number = html("input", {type: "number", id: id + "-" + key + "-num",
        step: "any", min: key === "kappa" ? KAPPA_RANGE[0] : min,
        max: key === "kappa" ? KAPPA_RANGE[1] : max, class: "nag-live-number",
        "aria-labelledby": id + "-" + key + "-label"}, row);
      inputs[key] = {label: label, range: range, number: number};
    }
    slider("lr", "learning rate α", LR_RANGE[0], LR_RANGE[1], LR_RANGE[2]);
    slider("momentum", "momentum β", BETA_RANGE[0], BETA_RANGE[1], BETA_RANGE[2]);
    slider("kappa", "condition number κ (log scale)", 0, 3, 0.01);

    const probRow = html("div", {class: "nag-live-row"}, form);
    html("label", {for: id + "-problem"}, probRow, "problem");
    const select = html("select", {id: id + "-problem"}, probRow);
    html("option", {value: "quadratic"}, select, "quadratic");
    html("option", {value: "rosenbrock"}, select, "Rosenbrock");

    const methodsBox = html("fieldset", {class: "nag-live-methods"}, form);
    html("legend", {}, methodsBox, "methods");
    const boxes = {};
    for (const m of METHODS) {
      const lab = html("label", {class: "nag-live-check"}, methodsBox);
      boxes[m] = html("input", {type: "checkbox", id: id + "-show-" + m}, lab);
      html("span", {class: "nag-live-swatch", style: "background:" + COLORS[m],
        "aria-hidden": "true"}, lab);
      lab.appendChild(document.createTextNode(NAMES[m]));
    }

    const btnRow = html("div", {class: "nag-live-row nag-live-buttons"}, form);
    const btnNag = html("button", {type: "button", id: id + "-opt-nag"}, btnRow,
      "Optimal for NAG (Nesterov)");
    const btnHb = html("button", {type: "button", id: id + "-opt-hb"}, btnRow,
      "Optimal for heavy ball (Polyak)");
    const note = html("p", {class: "nag-live-note"}, root);

    // ---- read-outs and plots ----
    const summary = html("p", {class: "nag-live-summary", "aria-live": "polite",
      id: id + "-summary"}, root);
    const table = html("table", {class: "nag-live-radii"}, root);
    const plots = html("div", {class: "nag-live-plots"}, root);
    const pPath = panel(plots, "paths");
    const pLoss = panel(plots, "f(xₖ) − f*");
    const pErr = panel(plots, "error per eigen-direction");

    // A dot marker per method for the quadratic's paths (as chapter 3's ".-" style).
    const defs = el("defs", {}, pPath.svg);
    for (const m of METHODS) {
      const mk = el("marker", {id: id + "-dot-" + m, viewBox: "0 0 4 4", refX: 2, refY: 2,
        markerWidth: 4, markerHeight: 4, markerUnits: "userSpaceOnUse"}, defs);
      el("circle", {cx: 2, cy: 2, r: 1.4, fill: COLORS[m]}, mk);
    }
    // Persistent layers inside each plot, rewritten by redraw().
    const contourLayer = el("g", {}, pPath.plot);
    const lines = {path: {}, loss: {}, rate: {}, errFlat: {}, errStiff: {}};
    for (const m of METHODS) {
      lines.path[m] = el("path", {fill: "none", stroke: COLORS[m], "stroke-width": 1.3,
        "stroke-linejoin": "round"}, pPath.plot);
      lines.loss[m] = el("path", {fill: "none", stroke: COLORS[m], "stroke-width": 1.4},
        pLoss.plot);
      lines.rate[m] = el("path", {fill: "none", stroke: COLORS[m], "stroke-width": 1,
        "stroke-dasharray": "5 4"}, pLoss.plot);
      lines.errFlat[m] = el("path", {fill: "none", stroke: COLORS[m], "stroke-width": 1.4},
        pErr.plot);
      lines.errStiff[m] = el("path", {fill: "none", stroke: COLORS[m], "stroke-width": 1.2,
        "stroke-dasharray": "2 3"}, pErr.plot);
    }
    const starLayer = el("g", {}, pPath.plot);
    const lossNote = el("text", {x: PW - 4, y: 12, "text-anchor": "end",
      class: "nag-live-key"}, pLoss.plot);
    const errNote = el("text", {x: PW - 4, y: 12, "text-anchor": "end",
      class: "nag-live-key"}, pErr.plot);

    // A narrow box (a phone): the text sizes of the panels grow as the panels shrink, so that
    // they render at 11.5 CSS px or more (nag-live.css), and the long key takes two lines.
    let narrow = false;
    function setNotes() {
      const rosen = state.problem === "rosenbrock";
      lossNote.textContent = rosen ? "" : "dashed: f₀·ρ²ᵏ";
      errNote.textContent = "";
      if (rosen) {
        return;
      }
      const lines = narrow ? ["solid: flat, λ = 1/κ", "dotted: stiff, λ = L"] :
        ["solid: flat, λ = 1/κ; dotted: stiff, λ = L"];
      lines.forEach(function (text, i) {
        el("tspan", {x: PW - 4, dy: i ? "1.2em" : 0}, errNote).textContent = text;
      });
    }
    function fit() {
      const shown = pPath.svg.getBoundingClientRect().width;
      if (!shown) {
        return; // not laid out (hidden): keep the last fit
      }
      const wasNarrow = narrow;
      narrow = root.clientWidth < 640;
      root.classList.toggle("nag-live-narrow", narrow);
      if (narrow) {
        root.style.setProperty("--nag-live-unscale", (W / shown).toFixed(4));
      } else {
        root.style.removeProperty("--nag-live-unscale");
      }
      if (narrow !== wasNarrow) {
        setNotes();
      }
    }
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(fit).observe(root);
    } else {
      window.addEventListener("resize", fit);
    }

    let last = null; // the most recent compute() result
    let summaryTimer = 0;

    // Put the state into the controls (the field being typed in is left alone).
    function syncControls(except) {
      const vals = {lr: state.lr, momentum: state.momentum, kappa: state.kappa};
      for (const key of Object.keys(vals)) {
        const c = inputs[key];
        const rangeValue = key === "kappa" ? Math.log10(vals[key]) : vals[key];
        if (c.range !== except) {
          c.range.value = String(rangeValue);
        }
        if (c.number !== except) {
          c.number.value = String(Number(vals[key].toPrecision(6))); // the exact value: params()
        }
      }
      const rosen = state.problem === "rosenbrock";
      inputs.lr.label.textContent = rosen ? "learning rate α (× 10⁻³)" : "learning rate α (× 1/L)";
      inputs.kappa.range.setAttribute("aria-valuetext", "κ = " + state.kappa);
      inputs.kappa.range.disabled = rosen;
      inputs.kappa.number.disabled = rosen;
      btnNag.disabled = rosen;
      btnHb.disabled = rosen;
      select.value = state.problem;
      for (const m of METHODS) {
        boxes[m].checked = state.methods[m];
      }
      note.textContent = rosen ?
        "Heavy ball and NAG share α and β; gradient descent uses α only. κ and the optimal " +
        "parameters belong to the quadratic. Rates are local, at the minimiser (1, 1)." :
        "Heavy ball and NAG share α and β; gradient descent uses α only. Each optimum " +
        "button sets both for one method; the others run at that same setting.";
    }

    function params() {
      return {problem: state.problem, lr: state.lr, momentum: state.momentum,
        kappa: state.kappa, methods: Object.assign({}, state.methods)};
    }

    function redraw() {
      const p = params();
      last = compute(p);
      const s = last.setup;
      const rosen = p.problem === "rosenbrock";
      const radii = radiiOf(p);
      const n = s.n;

      // (1) paths over the contours of log f
      const view = VIEW[p.problem];
      const sx = function (v) { return (v - view.lo[0]) / (view.hi[0] - view.lo[0]) * PW; };
      const sy = function (v) { return PH - (v - view.lo[1]) / (view.hi[1] - view.lo[1]) * PH; };
      pPath.axes.innerHTML = axesMarkup(niceTicks(view.lo[0], view.hi[0], 6),
        niceTicks(view.lo[1], view.hi[1], 5), sx, sy, "x", "y");
      contourLayer.innerHTML = contourMarkup(p.problem, p.kappa, s.value, sx, sy);
      starLayer.innerHTML = '<path d="M' + sx(1) + " " + (sy(1) - 7) +
        'l2 5 5 0.5-4 3.5 1.3 5.2-4.3-2.8-4.3 2.8 1.3-5.2-4-3.5 5-0.5z" fill="#000"/>' +
        '<circle cx="' + sx(s.start[0]) + '" cy="' + sy(s.start[1]) +
        '" r="3" fill="#fff" stroke="#000"/>';
      pPath.title.textContent = "paths (" + (rosen ? "Rosenbrock" : "quadratic, κ = " +
        p.kappa) + ")";

      // (2) f(x_k) - f* on a log scale; (3) error per eigen-direction (quadratic) or distance
      // to the minimiser (Rosenbrock, whose Hessian changes from point to point)
      const kx = function (k) { return k / n * PW; };
      const ly = function (t) { return (LOG_HI - t) / (LOG_HI - LOG_LO) * PH; };
      const logAxes = function (label) {
        return axesMarkup(niceTicks(0, n, 3), [-15, -10, -5, 0, 5], kx, ly, "iteration k",
          label, logTick);
      };
      pLoss.axes.innerHTML = logAxes("f(xₖ) − f*");
      pErr.axes.innerHTML = logAxes(rosen ? "‖xₖ − x*‖" : "|eₖ,ᵢ|");
      pErr.title.textContent = rosen ? "distance to the minimiser" : "error per eigen-direction";
      const f0 = s.value(s.start[0], s.start[1]);

      const finals = [];
      for (const m of METHODS) {
        const xs = last.paths[m];
        if (!xs) {
          for (const layer of Object.keys(lines)) {
            lines[layer][m].setAttribute("d", "");
          }
          continue;
        }
        const count = n + 1;
        lines.path[m].setAttribute("d", pathData(count,
          function (k) { return sx(xs[2 * k]); }, function (k) { return sy(xs[2 * k + 1]); }));
        for (const where of ["marker-start", "marker-mid"]) { // 150 steps: a dot at each
          if (rosen) {
            lines.path[m].removeAttribute(where);
          } else {
            lines.path[m].setAttribute(where, "url(#" + id + "-dot-" + m + ")");
          }
        }
        const gap = function (k) { return s.value(xs[2 * k], xs[2 * k + 1]); };
        lines.loss[m].setAttribute("d", pathData(count, kx,
          function (k) { return ly(clippedLog(gap(k))); }));
        // dashed: f_0 rho^(2k), the slope the spectral radius predicts (f is quadratic in e)
        const rho = radii[m].rho;
        lines.rate[m].setAttribute("d", rosen ? "" : rateLine(f0, rho, n, kx, ly));
        if (rosen) {
          lines.errFlat[m].setAttribute("d", pathData(count, kx, function (k) {
            return ly(clippedLog(Math.hypot(xs[2 * k] - 1, xs[2 * k + 1] - 1)));
          }));
          lines.errStiff[m].setAttribute("d", "");
        } else {
          lines.errFlat[m].setAttribute("d", pathData(count, kx,
            function (k) { return ly(clippedLog(Math.abs(xs[2 * k] - 1))); }));
          lines.errStiff[m].setAttribute("d", pathData(count, kx,
            function (k) { return ly(clippedLog(Math.abs(xs[2 * k + 1] - 1))); }));
        }
        finals.push(NAMES[m] + " " + fmtNum(gap(n)));
      }
      setNotes();

      // read-outs: spectral radii table, live summary, accessible names of the plots
      // rho >= 1: on the quadratic the error grows; on Rosenbrock the run cannot settle at the
      // minimiser (it may still stay bounded, cycling in the valley)
      const unstable = rosen ? " (unstable at the minimiser)" : " (diverges)";
      const shown = METHODS.filter(function (m) { return p.methods[m]; });
      const eigText = rosen ?
        ["λ_min = " + s.eig[0].toPrecision(4), "λ_max = " + s.eig[1].toPrecision(5)] :
        ["flat, λ = 1/κ", "stiff, λ = L = 1"];
      let t = "<caption>" + (rosen ? "local rate at the minimiser (1, 1), per step" :
        "spectral radius ρ of the iteration matrix, per step") + "</caption>" +
        '<tr><th scope="col">method</th><th scope="col">' + eigText[0] +
        '</th><th scope="col">' + eigText[1] + '</th><th scope="col">ρ (max)</th></tr>';
      for (const m of METHODS) {
        const r = radii[m];
        t += '<tr><th scope="row"><span class="nag-live-swatch" aria-hidden="true" ' +
          'style="background:' + COLORS[m] + '"></span>' + NAMES[m] + "</th><td>" +
          fmtRate(r.flat) + "</td><td>" + fmtRate(r.stiff) + "</td><td>" + fmtRate(r.rho) +
          (r.rho >= 1 ? unstable : "") + "</td></tr>";
      }
      table.innerHTML = t;
      const lrText = "α = " + (rosen ? fmtNum(s.a) : fmtNum(p.lr) + "/L");
      const setting = (rosen ? "Rosenbrock" : "quadratic, κ = " + p.kappa) + ", " + lrText +
        ", β = " + fmtNum(p.momentum);
      const rates = METHODS.map(function (m) {
        return NAMES[m] + " " + fmtRate(radii[m].rho) + (radii[m].rho >= 1 ? unstable : "");
      }).join(", ");
      const sumText = setting + ". " + (rosen ? "Local rate at the minimiser" :
        "Spectral radius ρ") + ": " + rates + ".";
      // The live region is updated when the reader pauses, so a slider drag is read once.
      clearTimeout(summaryTimer);
      summaryTimer = setTimeout(function () { summary.textContent = sumText; }, 250);
      if (!summary.textContent) {
        summary.textContent = sumText;
      }
      const which = shown.length ? shown.map(function (m) { return NAMES[m]; }).join(", ") :
        "no method";
      pPath.svg.setAttribute("aria-label", "Paths of " + which + " over the contours of f, " +
        setting + ", from (" + s.start[0] + ", " + s.start[1] + ") to the minimiser (1, 1).");
      pLoss.svg.setAttribute("aria-label", "f(x_k) − f* on a log scale over " + n +
        " iterations, " + setting + ". Final values: " + (finals.join(", ") || "none") + ".");
      pErr.svg.setAttribute("aria-label", (rosen ? "Distance to the minimiser" :
        "Error along the flat and the stiff eigen-direction") + " on a log scale over " + n +
        " iterations for " + which + ".");
      root.dataset.state = JSON.stringify(p);
    }

    // ---- events: every input event redraws ----
    function onRange(key) {
      return function () {
        const c = inputs[key];
        const v = parseFloat(c.range.value);
        state[key] = key === "kappa" ? Number(Math.pow(10, v).toPrecision(3)) : v;
        syncControls(c.range);
        redraw();
      };
    }
    function onNumber(key) {
      return function () {
        const c = inputs[key];
        const v = parseFloat(c.number.value);
        if (!Number.isFinite(v)) {
          return; // a half-typed number: wait for the next keystroke
        }
        state[key] = clamp(v, +c.number.min, +c.number.max);
        syncControls(c.number);
        redraw();
      };
    }
    for (const key of ["lr", "momentum", "kappa"]) {
      inputs[key].range.addEventListener("input", onRange(key));
      inputs[key].number.addEventListener("input", onNumber(key));
      inputs[key].number.addEventListener("change", function () { syncControls(null); });
    }
    select.addEventListener("change", function () {
      state.problem = select.value === "rosenbrock" ? "rosenbrock" : "quadratic";
      syncControls(null);
      redraw();
    });
    for (const m of METHODS) {
      boxes[m].addEventListener("change", function () {
        state.methods[m] = boxes[m].checked;
        redraw();
      });
    }
    function preset(method) {
      return function () {
        const o = optimal(method, state.kappa);
        state.lr = o.lr;
        state.momentum = o.momentum;
        syncControls(null);
        redraw();
      };
    }
    btnNag.addEventListener("click", preset("nag"));
    btnHb.addEventListener("click", preset("heavy_ball"));

    root.nagLive = {
      params: params,
      set: function (partial) {
        const q = partial || {};
        if (q.problem !== undefined) {
          state.problem = q.problem === "rosenbrock" ? "rosenbrock" : "quadratic";
        }
        if (q.lr !== undefined) { state.lr = clamp(+q.lr, LR_RANGE[0], LR_RANGE[1]); }
        if (q.momentum !== undefined) {
          state.momentum = clamp(+q.momentum, BETA_RANGE[0], BETA_RANGE[1]);
        }
        if (q.kappa !== undefined) {
          state.kappa = clamp(+q.kappa, KAPPA_RANGE[0], KAPPA_RANGE[1]);
        }
        for (const m of METHODS) {
          if (q.methods && q.methods[m] !== undefined) { state.methods[m] = !!q.methods[m]; }
        }
        syncControls(null);
        redraw();
        return params();
      },
      iterates: function () { return encodePaths(last.paths); },
      radii: function () { return radiiOf(params()); },
    };
    syncControls(null);
    redraw();
  }

  window.nagLiveMomentum = {
    // The three methods' iterates at one setting (lr in the explorer's units), JSON-safe.
    run: function (problem, lr, momentum, kappa) {
      return encodePaths(compute({problem: problem, lr: lr, momentum: momentum, kappa: kappa,
        methods: {gd: true, heavy_ball: true, nag: true}}).paths);
    },
    spectralRadius: spectralRadius,
    optimal: optimal,
  };

  function init() {
    const found = document.querySelectorAll('div.nag-live[data-explorer="momentum"]');
    for (const root of found) {
      if (!root.nagLive) {
        build(root);
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
