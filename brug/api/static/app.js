// Live parts of the back office: the queue and a case's thread refresh themselves by polling the JSON API.
// Only textContent is used to put data on the page, never innerHTML: message texts come from strangers.
"use strict";

const POLL_MS = 3000;

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function minutesSince(iso) {
  const minutes = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
  return minutes < 120 ? `${minutes} min` : `${Math.floor(minutes / 60)} h`;
}

async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (response.status === 401) { window.location.href = "/login?next=" + encodeURIComponent(location.pathname); return null; }
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function queueRow(c, labels, languages) {
  const row = el("tr", { class: c.severity, "data-case": String(c.id) });
  const first = el("td");
  if (c.severity === "urgent") { first.append(el("span", { class: "badge urgent" }, "Urgent"), " "); }
  first.append(el("a", { href: `/cases/${c.id}` }, c.pseudonym));
  row.append(first);
  const cells = [
    languages[c.language] || c.language,
    labels[c.phase] || "—",
    labels[c.role] || "—",
    labels[c.reason] || c.reason,
    minutesSince(c.created_at),
    c.interpreter_needed ? "Needed" : "",
    c.assigned_to_name ? `Claimed by ${c.assigned_to_name}` : "Waiting",
  ];
  for (const text of cells) row.append(el("td", {}, text));
  return row;
}

async function refreshQueue() {
  const body = document.querySelector("#queue tbody");
  const cases = await getJSON("/api/cases?status=open,claimed");
  if (!cases) return;
  const labels = JSON.parse(document.body.dataset.labels || "{}");
  const languages = JSON.parse(document.body.dataset.languages || "{}");
  const rows = cases.map((c) => queueRow(c, labels, languages));
  if (rows.length === 0) {
    const empty = el("tr", { class: "empty" });
    empty.append(el("td", { colspan: "8" }, "No open cases."));
    rows.push(empty);
  }
  body.replaceChildren(...rows);
}

function threadItem(m) {
  const item = el("li", { class: `msg ${m.direction}` + (m.severity ? ` signal-${m.severity}` : "") });
  const at = new Date(m.at);
  let meta = `${m.author} · ${at.toLocaleString([], { day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" })}`;
  if (m.severity) meta += ` · ${m.severity}` + (m.categories.length ? `: ${m.categories.join(", ")}` : "");
  item.append(el("span", { class: "meta", dir: "ltr" }, meta), el("bdi", { class: "text" }, m.text));
  if (m.voice_url) item.append(el("audio", { controls: "", preload: "none", src: m.voice_url }));
  return item;
}

let shownMessages = -1;

async function refreshCase(caseId) {
  const data = await getJSON(`/api/cases/${caseId}`);
  if (!data) return;
  const thread = document.getElementById("thread");
  if (shownMessages < 0) shownMessages = thread.children.length;
  if (data.messages.length !== shownMessages) {
    const atBottom = thread.scrollTop + thread.clientHeight >= thread.scrollHeight - 20;
    thread.replaceChildren(...data.messages.map(threadItem));
    shownMessages = data.messages.length;
    if (atBottom) thread.scrollTop = thread.scrollHeight;
  }
}

function poll(task) {
  const run = () => task().catch((error) => console.warn(error)).finally(() => setTimeout(run, POLL_MS));
  setTimeout(run, POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "queue") poll(refreshQueue);
  if (page === "case") {
    const caseId = document.querySelector("[data-case]").dataset.case;
    const thread = document.getElementById("thread");
    thread.scrollTop = thread.scrollHeight;
    poll(() => refreshCase(caseId));
    for (const button of document.querySelectorAll(".canned-reply")) {
      button.addEventListener("click", () => {
        const box = document.getElementById("reply-text");
        box.value = box.value ? `${box.value}\n${button.dataset.text}` : button.dataset.text;
        box.focus();
      });
    }
  }
});
