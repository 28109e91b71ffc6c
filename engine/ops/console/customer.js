// The customer page (docs/console.md): GET /customers/<id>, shown section by section. Values
// are those of the JSON (counts and amounts as the engine wrote them); times are shown in UTC
// with the epoch milliseconds in the tooltip; every shown value names its JSON field in
// data-field.
"use strict";

(() => {
  const {el, api, errorOf, status, time} = Console;

  // The value at "a.b.c" in `object` (undefined when absent).
  function at(object, path) {
    return path.split(".").reduce((o, key) => (o === null || o === undefined ? undefined : o[key]),
                                   object);
  }

  function value(v, kind) {
    if (v === undefined || v === null || v === "") return el("span", {class: "muted"}, "–");
    if (kind === "time") return el("span", {title: String(v)}, time(v));
    if (kind === "day") return el("span", {title: "day " + v},
                                  Number(v) ? new Date(Number(v) * 86400000).toISOString().slice(0, 10) : "–");
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (kind === "percent") return el("span", {title: String(v)}, (100 * v).toFixed(1) + "%");
    if (kind === "money" || kind === "fixed") return el("span", {title: String(v)}, Number(v).toFixed(2));
    return String(v);
  }

  // A card with a definition list of [label, path, kind] rows read from `customer`.
  function card(title, customer, rows, ...extra) {
    return cardOf("card", title, customer, rows, extra);
  }
  function wideCard(title, customer, rows, ...extra) {
    return cardOf("card wide", title, customer, rows, extra);
  }
  function cardOf(className, title, customer, rows, extra) {
    const list = el("dl", {class: "fields"});
    for (const [label, path, kind] of rows) {
      list.append(el("dt", {}, label), el("dd", {"data-field": path}, value(at(customer, path), kind)));
    }
    return el("section", {class: className, "data-section": title}, el("h2", {}, title), list, ...extra);
  }

  // A table of `items` with [heading, function(item) -> text or node] columns; "none" when empty.
  function table(items, columns, attributes) {
    if (!items || !items.length) return el("p", {class: "muted"}, "none");
    return el("table", attributes || {},
        el("thead", {}, el("tr", {}, columns.map(([h]) => el("th", {}, h)))),
        el("tbody", {}, items.map((item) => el("tr", {}, columns.map(([, f]) => el("td", {}, f(item)))))));
  }

  // A protobuf Value ({"string_value": "x"}, ...) as text.
  function profileValue(v) {
    for (const [key, x] of Object.entries(v || {})) {
      if (x === null || x === undefined) continue;
      return key === "timestamp_ms" ? time(x) : String(x);
    }
    return "–";
  }

  function render(c) {
    const sat = c.satisfaction || {}, delivery = c.delivery || {}, lifecycle = c.lifecycle || {};
    const decisions = (delivery.decisions || []).slice().sort((a, b) => Number(b.ts_ms) - Number(a.ts_ms));
    const history = c.history || {};
    const events = (history.types || []).map((type, i) => ({type, id: (history.event_ids || [])[i],
                                                           channel: (history.channels || [])[i],
                                                           ts: (history.ts_ms || [])[i]}));
    return [
      card("Profile", c, [["customer id", "customer_id"], ["first seen", "first_seen_ms", "time"],
                          ["last seen", "last_seen_ms", "time"]],
           el("h3", {}, "attributes"),
           table(Object.entries(c.profile || {}), [["name", ([k]) => k], ["value", ([, v]) => profileValue(v)]]),
           el("p", {}, "tags: ", (c.tags || []).length ? c.tags.map((t) => el("span", {class: "badge"}, t))
                                                       : el("span", {class: "muted"}, "none"))),
      card("Lifecycle", c, [["stage", "lifecycle.stage"], ["since", "lifecycle.since_ms", "time"],
                            ["previous stage", "lifecycle.previous_stage"],
                            ["set by a rule", "lifecycle.override_stage"]],
           el("h3", {}, "transitions"),
           table(lifecycle.transitions, [["from", (t) => t.from || "(first)"], ["to", (t) => t.to],
                                         ["at", (t) => time(t.at_ms)]])),
      card("Value and loyalty", c, [["value tier", "value.tier"], ["value score", "value.score"],
                                    ["value tier since", "value.since_ms", "time"],
                                    ["loyalty tier", "loyalty.tier"], ["points", "loyalty.points"],
                                    ["points earned", "loyalty.earned_total"],
                                    ["points redeemed", "loyalty.redeemed_total"],
                                    ["points expired", "loyalty.expired_total"]]),
      card("Customer value (CLV)", c, [["predicted CLV", "models.predicted_clv", "money"],
                                       ["P(alive)", "models.p_alive", "percent"],
                                       ["expected purchases", "models.expected_purchases", "fixed"],
                                       ["expected spend per purchase", "models.expected_spend", "money"],
                                       ["purchase days", "clv.purchase_days"],
                                       ["first purchase day", "clv.first_day", "day"],
                                       ["last purchase day", "clv.last_day", "day"],
                                       ["first day's amount", "clv.first_day_amount"],
                                       ["repeat purchases' amount", "clv.repeat_amount"]],
           c.models === null ? el("p", {class: "muted"}, "No clv: models in the engine's config: " +
                                                         "predicted CLV and P(alive) are not computed.") : null),
      card("RFM", c, [["segment", "rfm.segment"], ["recency score", "rfm.r_score"],
                      ["frequency score", "rfm.f_score"], ["monetary score", "rfm.m_score"],
                      ["frequency", "rfm.frequency"], ["monetary", "rfm.monetary"],
                      ["last purchase", "rfm.last_purchase_ms", "time"]]),
      card("Aggregates", c, [["events", "aggregates.event_count"], ["purchases", "aggregates.purchase_count"],
                             ["total spend", "aggregates.total_spend"], ["largest purchase", "aggregates.max_purchase"],
                             ["first purchase", "aggregates.first_purchase_ms", "time"],
                             ["last purchase", "aggregates.last_purchase_ms", "time"]],
           el("h3", {}, "by event type"),
           table(Object.entries(c.activity || {}), [["type", ([k]) => k], ["count", ([, a]) => String(a.count)],
                                                    ["last", ([, a]) => time(a.last_ms)]])),
      card("Consent", c, [["do not contact", "do_not_contact"]],
           table(Object.entries(c.consent || {}), [["channel", ([k]) => k],
                                                   ["granted", ([, v]) => (v.granted ? "yes" : "no")],
                                                   ["updated", ([, v]) => time(v.updated_ms)],
                                                   ["source", ([, v]) => v.source || "–"]])),
      card("Satisfaction and tickets", c, [["last NPS", "satisfaction.nps_score"],
                                           ["NPS answered", "satisfaction.nps_ms", "time"],
                                           ["CSAT", "satisfaction.csat_score"],
                                           ["tickets opened", "satisfaction.tickets_opened"],
                                           ["tickets resolved", "satisfaction.tickets_resolved"]],
           el("h3", {}, "open tickets"),
           table(sat.open_tickets, [["ticket", (t) => t.id], ["opened", (t) => time(t.opened_ms)]])),
      card("Armed timers", c, [],
           table(Object.entries(c.timers || {}), [["timer", ([k]) => k], ["fires at", ([, v]) => time(v)]])),
      wideCard("Recent decisions", c, [],
           table(decisions, [["when", (d) => time(d.ts_ms)], ["rule", (d) => d.rule_id],
                             ["outcome", (d) => String(d.outcome).toLowerCase()],
                             ["reason", (d) => d.reason], ["channel", (d) => d.channel || "–"]],
                 {id: "decisions"})),
      card("Recent events", c, [],
           table(events, [["when", (e) => time(e.ts)], ["type", (e) => e.type],
                          ["channel", (e) => e.channel || "–"], ["event id", (e) => e.id]])),
    ];
  }

  // GET /explain/<id>: the verdict, then one line per event and per rule run, in words.
  async function explain(event) {
    event.preventDefault();
    const id = document.getElementById("customer-id").value.trim();
    const rule = document.getElementById("explain-rule").value.trim();
    const statusNode = document.getElementById("explain-status");
    if (!id) return status(statusNode, "Type a customer id.", "error");
    const verdict = document.getElementById("explain-verdict");
    const timeline = document.getElementById("explain-timeline");
    status(statusNode, "Replaying the history ...");
    const answer = await api("GET", "/explain/" + encodeURIComponent(id) +
                                    (rule ? "?rule=" + encodeURIComponent(rule) : ""));
    if (answer.status === 200) {
      status(statusNode, "");
      verdict.textContent = answer.body.verdict;
      timeline.replaceChildren(...answer.body.timeline.map((step) =>
          el("li", {class: step.kind === "event" ? "event" : "rule", "data-kind": step.kind},
             step.kind === "event" ? el("b", {}, step.words) : step.words)));
    } else {
      status(statusNode, errorOf(answer), "error");
      verdict.textContent = "";
      timeline.replaceChildren();
    }
    document.body.dataset.explained = String(answer.status);
  }

  async function lookup(event) {
    event.preventDefault();
    const id = document.getElementById("customer-id").value.trim();
    const statusNode = document.getElementById("status");
    const out = document.getElementById("customer");
    if (!id) return status(statusNode, "Type a customer id.", "error");
    const answer = await api("GET", "/customers/" + encodeURIComponent(id) + "?models=true");
    if (answer.status === 200) {
      status(statusNode, "");
      out.replaceChildren(el("div", {class: "grid"}, render(answer.body)));
      document.getElementById("explain-verdict").textContent = "";
      document.getElementById("explain-timeline").replaceChildren();
    } else {
      status(statusNode, answer.status === 404 ? "No customer '" + id + "' here: " + errorOf(answer)
                                                 : errorOf(answer), "error");
      out.replaceChildren();
    }
    document.body.dataset.looked = String(answer.status);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("lookup").addEventListener("submit", lookup);
    document.getElementById("explain-form").addEventListener("submit", explain);
    const id = new URLSearchParams(location.search).get("id");
    if (id) {
      document.getElementById("customer-id").value = id;
      lookup(new Event("submit"));
    }
  });
})();
