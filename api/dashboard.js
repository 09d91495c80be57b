// The monitoring dashboard: every number comes from the GraphQL monitoring API.
"use strict";

const QUERY = `
query D($agency: String!, $from: Date!, $to: Date!, $structure: IndicatorStructure!) {
  total: indicators(agencyCode: $agency, from: $from, to: $to, groupBy: AGENCY, structure: $structure) {
    total { score computedMax
      groups { number name maxPoints points computedMax }
      indicators { code name clock numerator denominator percent average points maxPoints } }
    rows { key score }
    evaluation { indices { index score }
      citizens { evaluations online paper indices { index name answers average }
        satisfaction { question verySatisfied satisfied dissatisfied } } }
  }
  trend: indicators(agencyCode: $agency, from: $from, to: $to, groupBy: MONTH, structure: $structure) {
    rows { key score }
  }
  late: indicatorDossiers(agencyCode: $agency, indicator: "2.1", from: $from, to: $to, structure: $structure) {
    code procedureCode competentAgency receivedOn reason
  }
}`;

const UNITS = `query U { indicatorUnits { code name level parent } }`;
const REFUSED = new Set(["UNAUTHENTICATED", "FORBIDDEN", "INVALID_TOKEN"]);

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const fmt = (n) => (n === null || n === undefined ? "N/A" : Number(n).toFixed(2));

function el(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function cells(row, values, numeric) {
  const tr = document.createElement("tr");
  values.forEach((v, i) => {
    const td = document.createElement("td");
    td.textContent = v;
    if (numeric.includes(i)) td.className = "num";
    tr.appendChild(td);
  });
  row.appendChild(tr);
  return tr;
}

function groupBars(groups) {
  const svg = $("groups");
  svg.replaceChildren();
  groups.forEach((g, i) => {
    const y = 8 + i * 32;
    const width = 200;
    svg.appendChild(el("text", { x: 0, y: y + 12 }, `${g.number}. ${g.name}`.slice(0, 30)));
    svg.appendChild(el("rect", { x: 0, y: y + 16, width, height: 10, fill: "#e6ebef", rx: 3 }));
    svg.appendChild(el("rect", { x: 0, y: y + 16, width: (width * g.points) / g.maxPoints, height: 10, fill: "#b3261e", rx: 3 }));
    svg.appendChild(el("text", { x: width + 8, y: y + 25 }, `${fmt(g.points)} / ${g.maxPoints}`));
  });
}

function trendLine(rows) {
  const svg = $("trend");
  svg.replaceChildren();
  if (!rows.length) {
    svg.appendChild(el("text", { x: 10, y: 20 }, "Chưa có số liệu"));
    return;
  }
  const max = 100, left = 30, top = 10, w = 310, h = 120;
  for (const tick of [0, 50, 100]) {
    const y = top + h - (h * tick) / max;
    svg.appendChild(el("line", { x1: left, x2: left + w, y1: y, y2: y, stroke: "#d9e1e7" }));
    svg.appendChild(el("text", { x: 0, y: y + 4 }, String(tick)));
  }
  const step = rows.length > 1 ? w / (rows.length - 1) : 0;
  const points = rows.map((r, i) => [left + i * step, top + h - (h * r.score) / max]);
  svg.appendChild(el("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: "#b3261e", "stroke-width": 2 }));
  // At most six labelled months, counted back from the latest: more would
  // overlap on a phone; every point keeps its month and score as a tooltip.
  const every = Math.ceil(rows.length / 6);
  points.forEach(([x, y], i) => {
    const dot = el("circle", { cx: x, cy: y, r: 3, fill: "#b3261e", "data-key": rows[i].key, "data-score": rows[i].score });
    dot.appendChild(el("title", {}, `${monthLabel(rows[i].key)}: ${fmt(rows[i].score)}`));
    svg.appendChild(dot);
    if ((rows.length - 1 - i) % every === 0) {
      svg.appendChild(el("text", { x: x - 14, y: top + h + 16 }, monthLabel(rows[i].key)));
      svg.appendChild(el("text", { x: x - 10, y: y - 6 }, fmt(rows[i].score)));
    }
  });
}

function monthLabel(key) {
  // "2025-07-01" or "2025-07" → "07/25"
  const [year, month] = key.split("-");
  return `${month}/${year.slice(2)}`;
}

function render(data) {
  const total = data.total.total;
  $("score").innerHTML = "";
  $("score").append(fmt(total.score));
  const small = document.createElement("small");
  small.textContent = " / 100";
  $("score").append(small);
  $("score-note").textContent =
    `Tính được từ dữ liệu hồ sơ: tối đa ${total.computedMax} điểm (các chỉ số về công bố TTHC lấy từ CSDL quốc gia).`;
  groupBars(total.groups);

  const ranking = $("ranking").tBodies[0];
  ranking.replaceChildren();
  [...data.total.rows].sort((a, b) => b.score - a.score).forEach((r, i) => {
    const tr = cells(ranking, [String(i + 1), r.key, fmt(r.score), ""], [2]);
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.style.width = `${Math.max(2, r.score)}%`;
    tr.lastChild.appendChild(bar);
  });

  trendLine(data.trend.rows);

  const table = $("indicators").tBodies[0];
  table.replaceChildren();
  total.indicators.forEach((f) => {
    const tr = cells(
      table,
      [f.code, f.name, fmt(f.numerator), String(f.denominator),
       f.average !== null ? `${fmt(f.average)} giờ` : f.percent === null ? "N/A" : `${fmt(f.percent)} %`,
       f.maxPoints ? `${fmt(f.points)} / ${f.maxPoints}` : "theo dõi",
       f.clock === "dvcqg" ? "như Cổng DVCQG" : "đồng hồ địa phương"],
      [2, 3, 4, 5],
    );
    tr.dataset.code = f.code;
  });

  citizens(data.total.evaluation);

  const late = $("late").tBodies[0];
  late.replaceChildren();
  data.late.forEach((d) => cells(late, [d.code, d.procedureCode, d.competentAgency, d.receivedOn, d.reason], []));
  if (!data.late.length) cells(late, ["Không có hồ sơ trễ hạn", "", "", "", ""], []);
}

function satisfactionBar(counts) {
  const all = counts.verySatisfied + counts.satisfied + counts.dissatisfied;
  const bar = document.createElement("div");
  bar.className = "stack";
  [["verySatisfied", "#2e7d32"], ["satisfied", "#7cb342"], ["dissatisfied", "#b3261e"]].forEach(([key, color]) => {
    const part = document.createElement("span");
    part.style.width = all ? `${(100 * counts[key]) / all}%` : "0";
    part.style.background = color;
    part.dataset.part = key;
    bar.appendChild(part);
  });
  return bar;
}

function citizens(evaluation) {
  const found = evaluation.citizens;
  const system = new Map(evaluation.indices.map((i) => [i.index, i.score]));
  $("citizens-note").textContent = found.evaluations
    ? `${found.evaluations} phiếu (trực tuyến ${found.online}, phiếu giấy ${found.paper}); phiếu mới nhất của mỗi hồ sơ. Điểm người dân hiện bên cạnh, không cộng vào tổng điểm 18.`
    : "Chưa có phiếu đánh giá nào của người dân trong kỳ.";
  const table = $("citizens").tBodies[0];
  table.replaceChildren();
  found.indices.forEach((i) => {
    const tr = cells(
      table,
      [String(i.index), i.name, String(i.answers), fmt(i.average),
       system.has(i.index) ? fmt(system.get(i.index)) : "–"],
      [2, 3, 4],
    );
    tr.dataset.index = String(i.index);
  });
  const list = $("satisfaction");
  list.replaceChildren();
  found.satisfaction.forEach((q) => {
    const item = document.createElement("li");
    item.textContent = `${q.question}: rất hài lòng ${q.verySatisfied}, hài lòng ${q.satisfied}, không hài lòng ${q.dissatisfied}`;
    item.appendChild(satisfactionBar(q));
    list.appendChild(item);
  });
}

function token() {
  return $("token").value || sessionStorage.getItem("motcua-token") || "";
}

async function ask(query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token()}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

function prompt(message) {
  $("prompt").hidden = false;
  document.querySelector("main").hidden = true;
  const error = $("error");
  error.hidden = !message;
  error.textContent = message || "";
  document.body.dataset.state = "needs-token";
}

function failed(body) {
  if (!body.errors || !body.errors.length) return false;
  const first = body.errors[0];
  const code = first.extensions && first.extensions.code;
  if (REFUSED.has(code)) {
    sessionStorage.removeItem("motcua-token");
    prompt(`Mã truy cập không dùng được: ${first.message}`);
    return true;
  }
  $("error").hidden = false;
  $("error").textContent = first.message;
  document.body.dataset.state = "error";
  return true;
}

async function defaultUnit() {
  // Today's root unit from the directory (after a reorganisation: the successor).
  const body = await ask(UNITS, {});
  if (failed(body)) return null;
  const units = body.data.indicatorUnits;
  return units.length ? units[0] : null;
}

async function load() {
  if (!token()) {
    prompt("");
    return;
  }
  if ($("token").value) sessionStorage.setItem("motcua-token", $("token").value);
  if (!$("agency").value.trim()) {
    const unit = await defaultUnit();
    if (!unit) {
      if (document.body.dataset.state !== "needs-token" && document.body.dataset.state !== "error") {
        prompt("Chưa có đơn vị nào trong danh mục.");
      }
      return;
    }
    $("agency").value = unit.code;
    $("agency").setAttribute("value", unit.code);
    $("agency").title = unit.name;
  }
  const variables = {
    agency: $("agency").value.trim(), from: $("from").value, to: $("to").value,
    structure: $("structure").value,
  };
  const body = await ask(QUERY, variables);
  if (failed(body)) return;
  $("error").hidden = true;
  $("prompt").hidden = true;
  document.querySelector("main").hidden = false;
  render(body.data);
  document.body.dataset.agency = variables.agency;
  document.body.dataset.state = "ready";
}

function start() {
  const params = new URLSearchParams(location.hash.slice(1) || location.search.slice(1));
  const today = new Date();
  const first = new Date(today.getFullYear(), 0, 1);
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  $("from").value = params.get("from") || iso(first);
  $("to").value = params.get("to") || iso(today);
  if (params.get("agency")) $("agency").value = params.get("agency");
  if (params.get("structure") === "HISTORICAL") $("structure").value = "HISTORICAL";
  if (params.get("token")) $("token").value = params.get("token");
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  load();
}

start();
