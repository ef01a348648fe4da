// Reports from the field: "closed", "wrong phone", "full" or words of one's own, sent without a key as
// a suggestion an admin reviews. Written with no signal, a report waits in an outbox on the phone and
// is sent once when the signal returns: its Idempotency-Key makes a retry after a lost answer harmless.
import { Offline, Problem, post } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { load, save } from "./store.js";

// What the admin reads (in the queue's language, English), whatever language the page is in.
const PROBLEMS = {
  closed: null,
  wrong_phone: "Wrong phone number",
  wrong_address: "Wrong address",
  wrong_hours: "Wrong hours",
  full: "Full",
  other: "Problem",
};

function outbox() {
  return load("outbox", []);
}

export function pending() {
  return outbox().length;
}

function body(serviceId, problem, words) {
  if (problem === "closed") return { kind: "closure", service_id: serviceId, ...(words ? { note: words } : {}) };
  return { kind: "problem", service_id: serviceId, note: words ? `${PROBLEMS[problem]}: ${words}` : PROBLEMS[problem] };
}

// Sends what waits, oldest first: true when something was sent. A refusal (4xx) leaves the outbox
// with the reason kept, so a report is never retried forever; no signal keeps it for later.
// One flush at a time: the signal's return is heard both from the browser and from the next call.
let flushing = null;

export function flush() {
  flushing ??= send().finally(() => {
    flushing = null;
  });
  return flushing;
}

async function send() {
  let sent = false;
  for (const report of outbox()) {
    try {
      await post("/v1/suggestions", report.body, report.key);
      sent = true;
    } catch (error) {
      if (error instanceof Offline) break;
      if (error instanceof Problem && (error.status === 429 || error.status >= 500)) break;
    }
    save("outbox", outbox().filter((entry) => entry.key !== report.key));
  }
  return sent;
}

export function form(item, announce) {
  const serviceId = item.service?.id;
  const choices = Object.keys(PROBLEMS).map((problem, n) =>
    el("label", { class: "check" }, el("input", { type: "radio", name: "problem", value: problem, required: true, checked: n === 0 }), " ", t("problem_" + problem)),
  );
  const words = el("textarea", { id: "report-words", rows: "3", maxlength: "3000" });
  const result = el("p", { class: "status", role: "status" });
  const node = el(
    "form",
    { class: "report", "aria-labelledby": "report-title" },
    el("h3", { id: "report-title" }, t("report_title")),
    el("fieldset", { class: "checks" }, el("legend", { class: "visually-hidden" }, t("report_what")), choices),
    el("label", { for: "report-words" }, t("report_words")),
    words,
    el("button", { type: "submit", class: "primary" }, t("report_send")),
    result,
  );
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = node.querySelector("input[name=problem]:checked")?.value || "other";
    const report = { key: crypto.randomUUID(), body: body(serviceId, problem, words.value.trim()), at: Date.now() };
    save("outbox", [...outbox(), report]);
    node.querySelector("button[type=submit]").disabled = true;
    try {
      await post("/v1/suggestions", report.body, report.key);
      save("outbox", outbox().filter((entry) => entry.key !== report.key));
      result.textContent = t("report_received");
    } catch (error) {
      if (error instanceof Offline) {
        result.textContent = t("report_queued");
      } else {
        save("outbox", outbox().filter((entry) => entry.key !== report.key));
        node.querySelector("button[type=submit]").disabled = false;
        result.textContent = error instanceof Problem ? error.message : t("failed");
      }
    }
    announce(result.textContent);
  });
  return node;
}
