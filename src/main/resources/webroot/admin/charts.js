// Live charts of the admin console: reads the gateway's /metrics (the Prometheus text the
// gateway exports) once a second and draws, for this gateway and for each service, the open
// sessions and the messages per second in and out over the last HISTORY seconds. Plain canvas.
// Each chart card carries its latest figures as data-* attributes (the browser test reads them).
(function () {
  'use strict';

  const HISTORY = 180;          // samples kept per series: 3 minutes at one a second
  const COLORS = { sessions: '#2f6fde', in: '#1a8a5a', out: '#d2691e' };
  const GATEWAY = '(all services)';

  const series = new Map();     // key -> { samples: [{t, sessions, inRate, outRate}], last: {t, in, out} }

  /** Parses Prometheus text into [{name, labels, value}] for the switchboard_* series. */
  function parse(text) {
    const out = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('switchboard_')) continue;
      const m = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = {};
      for (const l of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
      out.push({ name: m[1], labels, value: Number(m[3]) });
    }
    return out;
  }

  /** Per service (and summed for the gateway): sessions open, messages in and out so far. */
  function figures(metrics) {
    const byKey = new Map([[GATEWAY, { sessions: 0, in: 0, out: 0 }]]);
    const add = (key, field, v) => {
      if (!byKey.has(key)) byKey.set(key, { sessions: 0, in: 0, out: 0 });
      byKey.get(key)[field] += v;
    };
    const fields = { switchboard_sessions_open: 'sessions', switchboard_frames_in_total: 'in', switchboard_frames_out_total: 'out' };
    for (const m of metrics) {
      const field = fields[m.name];
      if (!field || m.labels.service === undefined || !isFinite(m.value)) continue;
      add(m.labels.service, field, m.value);
      add(GATEWAY, field, m.value);
    }
    return byKey;
  }

  function record(key, f, t) {
    let s = series.get(key);
    if (!s) { s = { samples: [], last: null }; series.set(key, s); }
    // a rate needs two readings; a counter that went down (a restarted gateway) starts over
    const rate = (now, before) => (s.last && now >= before ? (now - before) / ((t - s.last.t) / 1000) : 0);
    s.samples.push({ t, sessions: f.sessions, inRate: rate(f.in, s.last && s.last.in), outRate: rate(f.out, s.last && s.last.out) });
    if (s.samples.length > HISTORY) s.samples.shift();
    s.last = { t, in: f.in, out: f.out };
  }

  function niceMax(v) {
    if (v <= 1) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function fmt(v) {
    return v >= 10000 ? (v / 1000).toFixed(0) + 'k' : v >= 1000 ? (v / 1000).toFixed(1) + 'k' : v >= 10 ? v.toFixed(0) : v.toFixed(1).replace(/\.0$/, '');
  }

  /** Draws lines [{field, color}] of samples on a canvas, with a y axis from 0 to a round max. */
  function draw(canvas, samples, lines) {
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== w * ratio) { canvas.width = w * ratio; canvas.height = h * ratio; }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);
    const left = 38, right = 6, top = 6, bottom = 16;
    const max = niceMax(Math.max(0, ...samples.flatMap(s => lines.map(l => s[l.field]))));
    g.font = '10px system-ui, sans-serif';
    g.fillStyle = '#6b7485';
    g.strokeStyle = '#e3e7ef';
    g.lineWidth = 1;
    for (let i = 0; i <= 2; i++) {
      const y = top + (h - top - bottom) * i / 2;
      g.beginPath(); g.moveTo(left, y + 0.5); g.lineTo(w - right, y + 0.5); g.stroke();
      g.textAlign = 'right'; g.textBaseline = 'middle';
      g.fillText(fmt(max * (2 - i) / 2), left - 4, y);
    }
    g.textAlign = 'left'; g.textBaseline = 'alphabetic';
    g.fillText('-' + HISTORY / 60 + ' min', left, h - 3);
    g.textAlign = 'right';
    g.fillText('now', w - right, h - 3);
    const x = (i) => left + (w - left - right) * (HISTORY - samples.length + i) / (HISTORY - 1);
    const y = (v) => top + (h - top - bottom) * (1 - v / max);
    for (const l of lines) {
      g.strokeStyle = l.color; g.lineWidth = 1.6;
      g.setLineDash(l.dash || []);
      g.beginPath();
      samples.forEach((s, i) => (i ? g.lineTo(x(i), y(s[l.field])) : g.moveTo(x(i), y(s[l.field]))));
      g.stroke();
    }
  }

  function card(container, key) {
    let c = container.querySelector('[data-chart="' + CSS.escape(key) + '"]');
    if (c) return c;
    c = document.createElement('div');
    c.className = 'chart';
    c.dataset.chart = key;
    c.innerHTML = '<h3></h3><div class="figures"></div>'
      + '<div class="legend"><i style="background:' + COLORS.sessions + '"></i>sessions open</div><canvas class="sessions"></canvas>'
      + '<div class="legend"><i style="background:' + COLORS.in + '"></i>messages/s in '
      + '<i style="background:' + COLORS.out + '"></i>out (dashed)</div><canvas class="rates"></canvas>';
    c.querySelector('h3').textContent = key === GATEWAY ? 'this gateway, all services' : 'service ' + key;
    // the gateway first, then the services by name
    const after = [...container.children].find(o => o.dataset.chart !== GATEWAY && (key === GATEWAY || o.dataset.chart > key));
    container.insertBefore(c, after || null);
    return c;
  }

  function render(container) {
    for (const [key, s] of series) {
      const c = card(container, key);
      const last = s.samples[s.samples.length - 1];
      c.querySelector('.figures').textContent = last.sessions + ' open, ' + fmt(last.inRate) + ' in/s, ' + fmt(last.outRate) + ' out/s';
      c.dataset.samples = s.samples.length;
      c.dataset.sessions = last.sessions;
      c.dataset.inRate = last.inRate.toFixed(1);
      c.dataset.outRate = last.outRate.toFixed(1);
      c.dataset.inTotal = s.last.in;
      c.dataset.outTotal = s.last.out;
      draw(c.querySelector('canvas.sessions'), s.samples, [{ field: 'sessions', color: COLORS.sessions }]);
      draw(c.querySelector('canvas.rates'), s.samples, [{ field: 'inRate', color: COLORS.in }, { field: 'outRate', color: COLORS.out, dash: [4, 3] }]);
    }
  }

  /** Reads /metrics once and redraws; returns a status sentence for the page. */
  async function tick(container, token) {
    const res = await fetch('/metrics', { headers: token ? { Authorization: 'Bearer ' + token } : {} });
    if (res.status === 403) {
      return 'charts: /metrics is not readable from here (set "metrics": { "access": "admin" } in gateway.json to chart with the admin token)';
    }
    if (res.status === 404) return 'charts: /metrics is off on this gateway ("metrics": { "enabled": true } in gateway.json)';
    if (!res.ok) return 'charts: /metrics answered HTTP ' + res.status;
    const t = Date.now();
    for (const [key, f] of figures(parse(await res.text()))) record(key, f, t);
    render(container);
    return '';
  }

  window.SwitchboardCharts = { tick, parse };
})();
