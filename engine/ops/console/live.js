// The live page (docs/console.md): GET /stats every few seconds; throughput is the difference
// of two readings of the engine's event counter over the time between them.
"use strict";

(() => {
  const {el, api, errorOf, status, number} = Console;
  const INTERVAL_MS = 3000, POINTS = 40;
  const history = [];  // events/s of the last readings
  let previous = null;

  function table(id, counts) {
    const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    document.querySelector("#" + id + " tbody").replaceChildren(...(rows.length
        ? rows.map(([name, n]) => el("tr", {"data-key": name}, el("td", {}, name),
                                     el("td", {class: "num"}, number(n, 0))))
        : [el("tr", {}, el("td", {class: "muted"}, "none yet"))]));
  }

  function sparkline() {
    const width = 300, height = 60, max = Math.max(1, ...history);
    const svg = el("svg", {width, height, role: "img", "aria-label": "events per second"});
    const step = width / (POINTS - 1);
    const d = history.map((v, i) => (i ? "L" : "M") + (i * step).toFixed(1) + " " +
                                    (height - 2 - (v / max) * (height - 4)).toFixed(1)).join(" ");
    if (d) svg.append(el("path", {d, fill: "none", stroke: "#2f6fdd", "stroke-width": 2}));
    document.getElementById("throughput-chart").replaceChildren(svg);
  }

  async function refresh() {
    const answer = await api("GET", "/stats");
    const statusNode = document.getElementById("status");
    if (answer.status !== 200) {
      status(statusNode, errorOf(answer), "error");
      return;
    }
    status(statusNode, "");
    const s = answer.body, now = performance.now();
    if (previous) {
      const rate = Math.max(0, (s.events_consumed - previous.events) / ((now - previous.at) / 1000));
      history.push(rate);
      if (history.length > POINTS) history.shift();
      document.getElementById("throughput").textContent = number(rate, 1);
      sparkline();
    }
    previous = {events: s.events_consumed, at: now};
    document.getElementById("consumed").textContent = number(s.events_consumed, 0);
    document.getElementById("rejected").textContent = number(s.events_rejected, 0);
    document.getElementById("rules-loaded").textContent = number(s.rules_loaded, 0);
    table("channels", s.actions_by_channel);
    table("reasons", s.decisions_by_reason);
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("interval").textContent = INTERVAL_MS / 1000;
    refresh();
    setInterval(refresh, INTERVAL_MS);
  });
})();
