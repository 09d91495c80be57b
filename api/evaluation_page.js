// The online evaluation form: collects the answers, submits evaluateDossier.
"use strict";

const MUTATION = `
mutation E($code: String!, $scores: [CitizenScoreInput!]!,
           $satisfaction: Satisfaction, $convenience: Satisfaction) {
  evaluateDossier(dossier: {code: $code}, scores: $scores,
                  satisfaction: $satisfaction, convenience: $convenience) {
    __typename
    ... on DossierEvaluated { code scores { index score } satisfaction convenience }
    ... on DossierNotFound { message }
    ... on NotAllowed { message }
    ... on IllegalTransition { message }
    ... on VersionConflict { message }
    ... on InvalidInput { message errorCode }
  }
}`;
const REFUSED = new Set(["UNAUTHENTICATED", "FORBIDDEN", "INVALID_TOKEN"]);
const $ = (id) => document.getElementById(id);
const form = $("evaluation");
const params = new URLSearchParams(location.search);
const code = (params.get("ma") || "").trim();

function token() {
  return sessionStorage.getItem("motcua-citizen-token") || "";
}

function state(name, message) {
  document.body.dataset.state = name;
  $("error").hidden = !message;
  $("error").textContent = message || "";
}

function show(part) {
  for (const id of ["prompt", "evaluation", "done"]) $(id).hidden = id !== part;
}

function answers() {
  const chosen = (name) => form.querySelector(`input[name="${name}"]:checked`);
  const scores = [...form.querySelectorAll("fieldset[data-index]")]
    .map((set) => chosen(`i${set.dataset.index}`))
    .filter(Boolean)
    .map((input) => ({ index: Number(input.name.slice(1)), score: Number(input.value) }));
  const level = (name) => (chosen(name) ? chosen(name).value : null);
  return { code, scores, satisfaction: level("satisfaction"), convenience: level("convenience") };
}

function labelOf(name, value) {
  const input = form.querySelector(`input[name="${name}"][value="${value}"]`);
  return input ? input.parentElement.textContent : value;
}

function recorded(result) {
  $("done-code").textContent = result.code;
  const list = $("recorded");
  list.replaceChildren();
  const item = (text, key) => {
    const li = document.createElement("li");
    li.textContent = text;
    li.dataset.answer = key;
    list.appendChild(li);
  };
  for (const s of result.scores) item(`Chỉ số ${s.index}: ${labelOf(`i${s.index}`, s.score).replace(" điểm ", " điểm – ")}`, `i${s.index}=${s.score}`);
  for (const name of ["satisfaction", "convenience"]) {
    if (!result[name]) continue;
    const legend = form.querySelector(`fieldset[data-question="${name}"] legend`).textContent;
    item(`${legend}: ${labelOf(name, result[name])}`, `${name}=${result[name]}`);
  }
}

async function submit(event) {
  event.preventDefault();
  $("send").disabled = true;
  state("sending", "");
  try {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Accept-Language": "vi",
        Authorization: `Bearer ${token()}`,
      },
      body: JSON.stringify({ query: MUTATION, variables: answers() }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) {
      const first = body.errors[0];
      const refused = REFUSED.has(first.extensions && first.extensions.code);
      if (refused) sessionStorage.removeItem("motcua-citizen-token");
      show(refused ? "prompt" : "evaluation");
      state(refused ? "needs-token" : "error", `Không gửi được: ${first.message}`);
      return;
    }
    const result = body.data.evaluateDossier;
    if (result.__typename !== "DossierEvaluated") {
      state("refused", `Không ghi nhận được: ${result.message}`);
      document.body.dataset.outcome = result.__typename;
      return;
    }
    recorded(result);
    show("done");
    state("saved", "");
  } catch (failure) {
    state("error", `Không kết nối được máy chủ: ${failure.message}`);
  } finally {
    $("send").disabled = false;
  }
}

function start() {
  const given = new URLSearchParams(location.hash.slice(1)).get("token");
  if (given) {
    sessionStorage.setItem("motcua-citizen-token", given);
    history.replaceState(null, "", location.pathname + location.search);
  }
  $("code").textContent = code || "–";
  form.addEventListener("submit", submit);
  $("again").addEventListener("click", () => { show("evaluation"); state("ready", ""); });
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("motcua-citizen-token", $("token").value.trim());
    route();
  });
  route();
}

function route() {
  if (!code) {
    show(null);
    state("no-code", "Thiếu mã hồ sơ: hãy mở trang từ mã QR hoặc đường dẫn trên phiếu đánh giá (…/danh-gia?ma=<mã hồ sơ>).");
    return;
  }
  if (!token()) {
    show("prompt");
    state("needs-token", "");
    return;
  }
  show("evaluation");
  state("ready", "");
}

start();
