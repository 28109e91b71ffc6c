// Shared by every page of the web console (docs/console.md): the header, the bearer token
// and requests to the admin API of the engine serving the page.
"use strict";

const Console = (() => {
  const TOKEN_KEY = "touchstream.console.token";
  const PAGES = [["rules.html", "Rules"], ["editor.html", "Editor"],
                 ["customer.html", "Customer"], ["live.html", "Live"]];

  // el("td", {class: "num"}, "12"): an element with attributes and children (strings or nodes).
  function el(tag, attributes, ...children) {
    const node = tag === "svg" || SVG_TAGS.has(tag)
        ? document.createElementNS("http://www.w3.org/2000/svg", tag)
        : document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const SVG_TAGS = new Set(["g", "rect", "line", "text", "title", "circle", "path"]);

  // The header: the brand, the pages, and the token field (kept for this browser tab only).
  function header() {
    const here = location.pathname.split("/").pop() || "index.html";
    const nav = el("nav", {}, PAGES.map(([file, name]) =>
        el("a", {href: file, class: file === here ? "current" : null}, name)));
    const token = el("input", {type: "password", id: "token", placeholder: "bearer token",
                               autocomplete: "off"});
    token.value = sessionStorage.getItem(TOKEN_KEY) || "";
    token.addEventListener("change", () => sessionStorage.setItem(TOKEN_KEY, token.value.trim()));
    document.body.prepend(el("header", {}, el("span", {class: "brand"}, "Touchstream"), nav,
                             el("label", {class: "token"}, "Token ", token)));
  }

  // Calls the admin API: {status, body} where body is the parsed JSON (or the text when it is
  // not JSON). Sends the token when one is set. Never throws for an HTTP error status.
  async function api(method, path, body) {
    const headers = {};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "text/yaml; charset=utf-8";
    let response;
    try {
      response = await fetch(path, {method, headers, body, cache: "no-store"});
    } catch (e) {
      return {status: 0, body: {error: "the engine did not answer: " + e.message}};
    }
    const text = await response.text();
    let parsed = text;
    try { parsed = JSON.parse(text); } catch (e) { /* not JSON: keep the text */ }
    return {status: response.status, body: parsed};
  }

  // The error an API answer carries, in words (401/403 say what to do about the token).
  function errorOf(answer) {
    const message = answer.body && answer.body.error ? answer.body.error : String(answer.body);
    if (answer.status === 401) return "Needs a token (" + message + "): paste one in the header.";
    if (answer.status === 403) return "Not allowed: " + message;
    return "HTTP " + answer.status + ": " + message;
  }

  // Shows `text` in the status element `node` ("error" or "ok"); empty text hides it.
  function status(node, text, kind) {
    node.textContent = text || "";
    node.className = "status " + (kind || "");
  }

  function number(value, digits) {
    if (value === null || value === undefined || value === "") return "–";
    const n = Number(value);
    if (!Number.isFinite(n)) return String(value);
    return n.toLocaleString("en-US", {maximumFractionDigits: digits === undefined ? 2 : digits});
  }
  function percent(rate) {
    return rate === null || rate === undefined ? "–" : (100 * rate).toFixed(2) + "%";
  }
  // A duration in ms as the rule files write it: "3d", "12h", "90m", "45s"; 0 or less: "none".
  function duration(ms) {
    ms = Number(ms);
    if (!(ms > 0)) return "none";
    for (const [unit, size] of [["w", 604800000], ["d", 86400000], ["h", 3600000],
                                ["m", 60000], ["s", 1000]]) {
      if (ms % size === 0) return ms / size + unit;
    }
    return ms + "ms";
  }
  // An epoch-ms time (number or the string protobuf's JSON writes) as UTC; 0: "–".
  function time(ms) {
    ms = Number(ms);
    if (!ms) return "–";
    return new Date(ms).toISOString().replace("T", " ").replace(/\.000Z$|Z$/, " UTC");
  }

  document.addEventListener("DOMContentLoaded", header);
  return {el, api, errorOf, status, number, percent, duration, time};
})();
