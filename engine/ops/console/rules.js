// The rules page (docs/console.md): GET /rules, GET /rules/stats, GET /impact, and the impact
// chart drawn in SVG by hand.
"use strict";

(() => {
  const {el, api, errorOf, status, number, percent, duration} = Console;

  function policyText(rule) {
    const p = rule.policy, parts = [];
    if (p.category && p.category !== "marketing") parts.push(p.category);
    if (p.once) parts.push("once");
    if (p.cooldown_ms > 0) parts.push("cooldown " + duration(p.cooldown_ms));
    if (p.max_runs > 0) parts.push("max " + p.max_runs + " per " + duration(p.max_per_ms));
    if (p.exclusion_group) parts.push("group " + p.exclusion_group);
    if (p.holdout_percent > 0) parts.push("holdout " + p.holdout_percent + "%");
    if (p.quiet_hours) parts.push("quiet hours");
    if (p.max_delay_ms > 0) parts.push("max delay " + duration(p.max_delay_ms));
    return parts.join(", ");
  }

  function renderRules(rules, stats) {
    const body = document.querySelector("#rules tbody");
    body.replaceChildren();
    for (const rule of rules) {
      const s = stats[rule.id] || {fired: 0, suppressed: 0, held_out: 0, errors: 0};
      body.append(el("tr", {"data-rule": rule.id},
          el("td", {}, el("b", {}, rule.id), " ", el("span", {class: "muted"}, "v" + rule.version),
             rule.enabled ? null : el("span", {class: "badge off"}, "disabled"),
             el("div", {class: "muted"}, rule.description || "")),
          el("td", {}, el("code", {}, rule.trigger)),
          el("td", {}, rule.condition === null ? el("span", {class: "muted"}, "always")
                                              : el("code", {}, rule.condition)),
          el("td", {}, rule.channels.map((c) => el("span", {class: "badge"}, c))),
          el("td", {}, policyText(rule)),
          el("td", {class: "num fired"}, number(s.fired, 0)),
          el("td", {class: "num suppressed"}, number(s.suppressed, 0)),
          el("td", {class: "num held-out"}, number(s.held_out, 0)),
          el("td", {class: "num errors"}, number(s.errors, 0))));
    }
  }

  // The Wilson 95% interval of a proportion k/n: [low, high].
  function wilson(k, n) {
    if (!n) return [0, 0];
    const z = 1.959964, p = k / n, d = 1 + z * z / n;
    const center = (p + z * z / (2 * n)) / d;
    const half = z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
    return [Math.max(0, center - half), Math.min(1, center + half)];
  }

  // One bar per rule and arm: the conversion rate, whiskers for its 95% interval.
  function rateChart(report) {
    const groups = report.rules, arms = ["treatment", "holdout"];
    const barWidth = 26, gap = 8, groupGap = 34, left = 60, top = 12, height = 180;
    let max = 0.05;
    for (const r of groups) for (const a of arms) {
      const c = r.arms[a];
      max = Math.max(max, wilson(c.converted, c.decisions)[1]);
    }
    max = Math.min(1, Math.ceil(max * 10) / 10);
    const width = left + groups.length * (2 * barWidth + gap + groupGap) + 10;
    const y = (rate) => top + height - (rate / max) * height;
    const svg = el("svg", {id: "rate-chart", width, height: top + height + 40, role: "img",
                           "aria-label": "conversion rate per rule and arm"});
    for (let i = 0; i <= 4; i++) {
      const rate = (max * i) / 4;
      svg.append(el("line", {class: "grid-line", x1: left, x2: width, y1: y(rate), y2: y(rate)}),
                 el("text", {x: left - 6, y: y(rate) + 4, "text-anchor": "end"}, percent(rate)));
    }
    groups.forEach((r, g) => {
      const x0 = left + 10 + g * (2 * barWidth + gap + groupGap);
      arms.forEach((arm, i) => {
        const c = r.arms[arm], rate = c.rate === null ? 0 : c.rate;
        const [low, high] = wilson(c.converted, c.decisions);
        const x = x0 + i * (barWidth + gap), mid = x + barWidth / 2;
        svg.append(el("rect", {class: "bar " + arm, "data-rule": r.rule, "data-arm": arm,
                               x, y: y(rate), width: barWidth, height: Math.max(0, y(0) - y(rate))},
                      el("title", {}, r.rule + " " + arm + ": " + percent(c.rate) + " of " +
                                     c.decisions + " (95% interval " + percent(low) + " – " +
                                     percent(high) + ")")));
        if (c.decisions > 0) {
          svg.append(el("line", {class: "whisker", x1: mid, x2: mid, y1: y(low), y2: y(high)}),
                     el("line", {class: "whisker", x1: mid - 6, x2: mid + 6, y1: y(low), y2: y(low)}),
                     el("line", {class: "whisker", x1: mid - 6, x2: mid + 6, y1: y(high), y2: y(high)}));
        }
      });
      svg.append(el("text", {x: x0 + barWidth + gap / 2, y: top + height + 16, "text-anchor": "middle"},
                    r.rule));
    });
    svg.append(el("line", {class: "axis", x1: left, x2: width, y1: y(0), y2: y(0)}));
    return el("div", {}, svg, el("div", {class: "legend"},
        el("span", {}, el("i", {class: "treatment"}), "treatment"),
        el("span", {}, el("i", {class: "holdout"}), "holdout")));
  }

  // The lift (percentage points) per rule with its 95% interval, around a dashed zero line.
  function liftChart(report) {
    const rows = report.rules.filter((r) => r.lift.absolute !== null);
    if (!rows.length) return el("p", {class: "muted"}, "No lift yet: it needs decisions in both arms.");
    let span = 0.01;
    for (const r of rows) span = Math.max(span, Math.abs(r.lift.ci95_low), Math.abs(r.lift.ci95_high));
    const left = 170, width = 600, row = 26, plot = width - left - 60;
    const x = (v) => left + plot / 2 + (v / span) * (plot / 2);
    const svg = el("svg", {id: "lift-svg", width, height: rows.length * row + 30, role: "img",
                           "aria-label": "lift with its 95% interval"});
    svg.append(el("line", {class: "zero", x1: x(0), x2: x(0), y1: 0, y2: rows.length * row}));
    rows.forEach((r, i) => {
      const cy = i * row + row / 2, lo = x(r.lift.ci95_low), hi = x(r.lift.ci95_high);
      svg.append(el("text", {x: left - 8, y: cy + 4, "text-anchor": "end"}, r.rule),
                 el("line", {class: "whisker", x1: lo, x2: hi, y1: cy, y2: cy}),
                 el("line", {class: "whisker", x1: lo, x2: lo, y1: cy - 5, y2: cy + 5}),
                 el("line", {class: "whisker", x1: hi, x2: hi, y1: cy - 5, y2: cy + 5}),
                 el("circle", {class: "lift", cx: x(r.lift.absolute), cy, r: 4},
                    el("title", {}, r.rule + ": lift " + (100 * r.lift.absolute).toFixed(2) + " pp")));
    });
    const axisY = rows.length * row + 16;
    for (const v of [-span, 0, span]) {
      svg.append(el("text", {x: x(v), y: axisY, "text-anchor": "middle"},
                    (v > 0 ? "+" : "") + (100 * v).toFixed(1) + " pp"));
    }
    return el("div", {}, el("h2", {}, "Lift, treatment minus holdout"), svg);
  }

  function points(v) {
    return (v >= 0 ? "+" : "") + (100 * v).toFixed(2) + " pp";
  }

  function renderImpact(report) {
    const body = document.querySelector("#impact tbody");
    body.replaceChildren();
    const chart = document.getElementById("impact-chart");
    const lift = document.getElementById("lift-chart");
    if (!report.rules.length) {
      chart.replaceChildren(el("p", {class: "muted"},
          "No impact counted yet: rules with a conversion: record their decisions here."));
      lift.replaceChildren();
      return;
    }
    chart.replaceChildren(rateChart(report));
    lift.replaceChildren(liftChart(report));
    for (const r of report.rules) {
      ["treatment", "holdout"].forEach((arm, i) => {
        const c = r.arms[arm];
        const liftText = r.lift.absolute === null ? "n/a (needs decisions in both arms)"
            : points(r.lift.absolute) + " (" + points(r.lift.ci95_low) + " .. " +
              points(r.lift.ci95_high) + ")";
        body.append(el("tr", {"data-rule": r.rule, "data-arm": arm},
            el("td", {}, i === 0 ? r.rule : ""), el("td", {}, arm),
            el("td", {class: "num"}, number(c.decisions, 0)), el("td", {class: "num"}, number(c.sent, 0)),
            el("td", {class: "num"}, number(c.converted, 0)), el("td", {class: "num rate"}, percent(c.rate)),
            el("td", {class: "num"}, number(c.conversion_value, 2)),
            el("td", {}, i === 0 ? liftText : "")));
      });
    }
  }

  async function load() {
    const statusNode = document.getElementById("status");
    const [rules, stats, impact] = await Promise.all(
        [api("GET", "/rules"), api("GET", "/rules/stats"), api("GET", "/impact")]);
    const failed = [rules, stats, impact].find((a) => a.status !== 200);
    status(statusNode, failed ? errorOf(failed) : "", failed ? "error" : "");
    if (rules.status === 200) renderRules(rules.body, stats.status === 200 ? stats.body.rules : {});
    if (impact.status === 200) renderImpact(impact.body);
    document.body.dataset.loaded = "true";
  }

  document.addEventListener("DOMContentLoaded", load);
})();
