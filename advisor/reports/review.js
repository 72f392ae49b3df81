// The review section of report.html: filters, search and a detail view over the embedded samples.
// No libraries and no network: it runs from file://. State lives in the URL hash.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("review-data").textContent);
  const rungs = data.rungs;
  const filterBox = document.getElementById("review-filter");
  const searchBox = document.getElementById("review-search");
  const table = document.getElementById("review-table");
  const detail = document.getElementById("review-detail");
  const PAGE = 500; // rows drawn at once; "show more" draws the next page

  const right = (a) => a !== undefined && a.score >= 1;
  const wrong = (a) => a !== undefined && a.score < 1;
  const cheaper = (item) => rungs.filter((r) => r !== "finetune").map((r) => item.answers[r]).filter((a) => a);
  const FILTERS = {
    all: () => true,
    failed_all: (item) => Object.values(item.answers).every(wrong),
    fixed_ft: (item) => right(item.answers.finetune) && cheaper(item).length > 0 && cheaper(item).every(wrong),
    broken_ft: (item) => wrong(item.answers.finetune) && cheaper(item).some(right),
    disagree: (item) => {
      const marks = Object.values(item.answers).map(right);
      return marks.includes(true) && marks.includes(false);
    },
  };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c === null || c === undefined ? "" : c);
    return node;
  }

  function readHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    return { filter: params.get("filter") || "all", q: params.get("q") || "", item: params.get("item") };
  }

  function writeHash(state) {
    const params = new URLSearchParams();
    if (state.filter !== "all") params.set("filter", state.filter);
    if (state.q) params.set("q", state.q);
    if (state.item) params.set("item", state.item);
    history.replaceState(null, "", "#" + params.toString());
    draw(state);
  }

  function matches(item, q) {
    if (!q) return true;
    const hay = [item.id, item.input, item.expected, ...Object.values(item.answers).map((a) => a.output)];
    return hay.join("\n").toLowerCase().includes(q.toLowerCase());
  }

  function answerCell(a) {
    if (!a) return el("td", { class: "muted" }, "—");
    const ok = right(a);
    return el("td", { class: "text answer " + (ok ? "right" : "wrong") }, el("span", { class: ok ? "ok" : "bad" }, ok ? "✓ " : "✗ "), a.output);
  }

  function draw(state, limit) {
    limit = limit || PAGE;
    filterBox.value = FILTERS[state.filter] ? state.filter : "all";
    searchBox.value = state.q;
    const keep = FILTERS[filterBox.value];
    const shown = data.items.filter((item) => keep(item) && matches(item, state.q));
    document.getElementById("review-count").textContent = `${shown.length} of ${data.items.length} items`;
    const head = el("tr", {}, el("th", { class: "text" }, "id"), el("th", { class: "text" }, "input"), el("th", { class: "text" }, "expected"),
      ...rungs.map((r) => el("th", { class: "text" }, data.titles[r])));
    table.tHead.replaceChildren(head);
    const rows = shown.slice(0, limit).map((item) => {
      const row = el("tr", { "data-id": item.id, class: "item" + (item.id === state.item ? " open" : "") },
        el("td", { class: "text" }, item.id), el("td", { class: "text wrap" }, item.input), el("td", { class: "text" }, item.expected),
        ...rungs.map((r) => answerCell(item.answers[r])));
      row.addEventListener("click", () => writeHash({ ...state, item: item.id }));
      return row;
    });
    if (shown.length > limit) {
      const more = el("button", { type: "button" }, `show ${Math.min(PAGE, shown.length - limit)} more`);
      more.addEventListener("click", () => draw(state, limit + PAGE));
      rows.push(el("tr", {}, el("td", { colspan: String(3 + rungs.length) }, more)));
    }
    table.tBodies[0].replaceChildren(...rows);
    showDetail(data.items.find((item) => item.id === state.item));
  }

  function facts(a) {
    const lines = [["answer read", a.answer], ["grade", a.score], ["reason", a.reason],
      ["latency ms", a.latency_ms], ["tokens in / out", a.tokens && a.tokens.join(" / ")],
      ["shots", a.shots && a.shots.join(", ")],
      ["retrieved", a.retrieved && a.retrieved.map(([id, s]) => (s === null ? id : `${id} (${s.toFixed(3)})`)).join(", ")],
      ["cited", a.cited && a.cited.join(", ")]];
    return el("dl", { class: "facts" }, ...lines.filter(([, v]) => v !== undefined && v !== null && v !== "")
      .flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
  }

  function showDetail(item) {
    detail.hidden = !item;
    if (!item) return detail.replaceChildren();
    const close = el("button", { type: "button", class: "close" }, "close");
    close.addEventListener("click", () => writeHash({ ...readHash(), item: null }));
    const parts = rungs.filter((r) => item.answers[r]).map((r) => {
      const a = item.answers[r];
      const prompt = (a.prompt || []).map(([role, t]) => el("div", { class: "msg " + role }, el("b", {}, role), data.texts[t]));
      return el("div", { class: "rung-detail" }, el("h3", {}, data.titles[r], " ", el("span", { class: right(a) ? "ok" : "bad" }, right(a) ? "right" : "wrong")),
        facts(a), el("div", { class: "label" }, "output"), el("pre", {}, a.output),
        el("details", {}, el("summary", {}, `prompt (${prompt.length} messages)`), ...prompt));
    });
    detail.replaceChildren(el("div", { class: "detail-head" }, el("h2", {}, "Item " + item.id), close),
      el("p", {}, el("b", {}, "input: "), item.input), el("p", {}, el("b", {}, "expected: "), item.expected), ...parts);
  }

  if (!rungs.includes("finetune")) {
    for (const option of filterBox.options) {
      if (option.value.endsWith("_ft")) { option.disabled = true; option.textContent += " (no fine-tune measured)"; }
    }
  }
  filterBox.addEventListener("change", () => writeHash({ ...readHash(), filter: filterBox.value, item: null }));
  searchBox.addEventListener("input", () => writeHash({ ...readHash(), q: searchBox.value, item: null }));
  window.addEventListener("hashchange", () => draw(readHash()));
  draw(readHash());
})();
