// The editor page (docs/console.md): POST /rules/check and POST /rules/save with the textarea's
// rule file; each error is shown at its line and column with the text `rules check` prints.
"use strict";

(() => {
  const {el, api, errorOf, status} = Console;

  // Selects line:column in the textarea (both 1-based) so the writer lands on the error.
  function select(textarea, line, column) {
    const lines = textarea.value.split("\n");
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    offset += Math.max(0, column - 1);
    textarea.focus();
    textarea.setSelectionRange(offset, offset + 1);
  }

  function showErrors(errors) {
    const list = document.getElementById("errors");
    const textarea = document.getElementById("rule-text");
    list.replaceChildren(...(errors || []).map((e) => {
      const where = el("a", {href: "#", class: "where"}, "line " + e.line + ", column " + e.column);
      where.addEventListener("click", (event) => {
        event.preventDefault();
        select(textarea, e.line, e.column);
      });
      return el("li", {"data-line": e.line, "data-column": e.column},
                where, ": ", el("span", {class: "message"}, e.message), el("pre", {}, e.text));
    }));
  }

  async function check() {
    const statusNode = document.getElementById("status");
    const answer = await api("POST", "/rules/check", document.getElementById("rule-text").value);
    if (answer.status === 200) {
      status(statusNode, "No errors: " + answer.body.rules + " rule(s) compile.", "ok");
      showErrors([]);
    } else if (answer.status === 422) {
      status(statusNode, answer.body.errors.length + " error(s):", "error");
      showErrors(answer.body.errors);
    } else {
      status(statusNode, errorOf(answer), "error");
      showErrors([]);
    }
    document.body.dataset.checked = String(answer.status);
  }

  async function save() {
    const statusNode = document.getElementById("status");
    const file = document.getElementById("file-name").value.trim();
    const answer = await api("POST", "/rules/save?file=" + encodeURIComponent(file),
                             document.getElementById("rule-text").value);
    if (answer.status === 200) {
      status(statusNode, "Saved " + answer.body.file + " and reloaded: " + answer.body.rules +
                         " rules run now.", "ok");
      showErrors([]);
    } else {
      status(statusNode, errorOf(answer), "error");
      showErrors(answer.body && answer.body.errors);
      if (answer.body && answer.body.diagnostics) {
        document.getElementById("errors").append(el("li", {}, el("pre", {}, answer.body.diagnostics)));
      }
    }
    document.body.dataset.saved = String(answer.status);
  }

  function decisionText(d) {
    if (!d) return "nothing";
    return d.outcome + " " + d.reason + (d.channel ? " on " + d.channel : "");
  }

  // The replay diff (engine/workbench/replay_diff.h): one row per rule that differs.
  function showDiff(diff) {
    const rows = diff.rules.filter((r) => r.differs);
    const c = (r) => r.customers;
    document.getElementById("diff").replaceChildren(
        el("h2", {}, "On the history: " + diff.before.events + " events, actions " +
                     diff.before.actions + " → " + diff.after.actions),
        rows.length === 0 ? el("p", {class: "muted"}, "No rule would decide differently.")
        : el("table", {id: "diff-table"},
             el("thead", {}, el("tr", {}, ["rule", "status", "actions", "newly get it", "no longer",
                                             "differently", "sample"].map((h) => el("th", {}, h)))),
             el("tbody", {}, rows.map((r) => el("tr", {"data-rule": r.rule_id},
                 el("td", {}, r.rule_id), el("td", {}, r.status),
                 el("td", {class: "num"}, r.actions.before + " → " + r.actions.after),
                 el("td", {class: "num"}, c(r).newly_get_it), el("td", {class: "num"}, c(r).no_longer_get_it),
                 el("td", {class: "num"}, c(r).get_it_differently + c(r).decided_differently),
                 el("td", {}, r.sample.slice(0, 3).map((s) => el("div", {},
                     s.customer_id + ": " + decisionText(s.before) + " → " + decisionText(s.after)))))))));
  }

  async function tryOnHistory() {
    const statusNode = document.getElementById("status");
    const file = document.getElementById("file-name").value.trim();
    status(statusNode, "Replaying the history twice…", "");
    const answer = await api("POST", "/rules/try?file=" + encodeURIComponent(file),
                             document.getElementById("rule-text").value);
    document.getElementById("diff").replaceChildren();
    if (answer.status === 200) {
      status(statusNode, "");
      showErrors([]);
      showDiff(answer.body);
    } else {
      status(statusNode, answer.status === 422 ? "The candidate rules do not load:" : errorOf(answer),
             "error");
      showErrors(answer.body && answer.body.errors);
    }
    document.body.dataset.tried = String(answer.status);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("try").addEventListener("click", tryOnHistory);
    document.getElementById("check").addEventListener("click", check);
    document.getElementById("save").addEventListener("click", save);
  });
})();
