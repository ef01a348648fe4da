// The short list built for the person in front of the specialist: kept only on this phone, handed over
// by text message, the share sheet, the clipboard or a printed page, and cleared in one tap.
import { clear, el } from "./dom.js";
import { summary } from "./cards.js";
import { t } from "./i18n.js";
import { forget, load, save } from "./store.js";

const KEY = "list";

export function items() {
  return load(KEY, []);
}

export function has(id) {
  return items().some((entry) => entry.id === id);
}

// Adds the listing, or takes it off when it is there; whether it is on the list now.
export function toggle(item) {
  const list = items();
  const at = list.findIndex((entry) => entry.id === item.id);
  if (at >= 0) list.splice(at, 1);
  else list.push({ id: item.id, lines: summary(item), saved_at: Date.now() });
  save(KEY, list);
  return at < 0;
}

export function remove(id) {
  save(KEY, items().filter((entry) => entry.id !== id));
}

export function empty() {
  forget(KEY);
}

export function text(list = items()) {
  return [t("list_heading"), "", ...list.map((entry, n) => `${n + 1}. ${entry.lines.join("\n   ")}`)].join("\n");
}

// A QR code of the list, for a phone that can scan but has no signal to receive a message.
export async function showCode(figure) {
  const { default: qrcode } = await import("../vendor/qrcode-generator/qrcode.mjs");
  qrcode.stringToBytes = (text) => [...new TextEncoder().encode(text)];
  const content = text();
  const caption = figure.querySelector("figcaption");
  const canvas = figure.querySelector("canvas");
  let code;
  try {
    code = qrcode(0, "L");
    code.addData(content, "Byte");
    code.make();
  } catch {
    canvas.hidden = true;
    caption.textContent = t("qr_too_long");
    figure.hidden = false;
    return;
  }
  const modules = code.getModuleCount();
  const quiet = 4;
  const scale = Math.max(2, Math.floor(288 / (modules + 2 * quiet)));
  canvas.width = canvas.height = (modules + 2 * quiet) * scale;
  const draw = canvas.getContext("2d");
  draw.fillStyle = "#ffffff";
  draw.fillRect(0, 0, canvas.width, canvas.height);
  draw.fillStyle = "#000000";
  for (let row = 0; row < modules; row += 1) {
    for (let column = 0; column < modules; column += 1) {
      if (code.isDark(row, column)) draw.fillRect((column + quiet) * scale, (row + quiet) * scale, scale, scale);
    }
  }
  canvas.hidden = false;
  canvas.setAttribute("aria-label", t("qr_label"));
  canvas.dataset.modules = String(modules);
  caption.textContent = t("qr_caption");
  figure.hidden = false;
}

export function render(section, onChange) {
  const list = items();
  section.hidden = list.length === 0;
  document.getElementById("shortlist-count").textContent = t("count", { n: list.length });
  clear(document.getElementById("shortlist-items")).append(
    ...list.map((entry) =>
      el(
        "li",
        {},
        el("span", {}, entry.lines.join(" · ")),
        " ",
        el("button", { type: "button", class: "link", "aria-label": t("remove_named", { name: entry.lines[0] }), onclick: () => { remove(entry.id); onChange(); } }, t("remove")),
      ),
    ),
  );
  document.getElementById("share-sms").href = "sms:?&body=" + encodeURIComponent(text(list));
  document.getElementById("qr").hidden = true; // drawn again on request, from the list as it is now
  const handout = clear(document.getElementById("handout"));
  handout.append(
    el("h2", {}, t("list_heading")),
    el("ol", {}, list.map((entry) => el("li", {}, entry.lines.map((line, n) => el(n ? "p" : "strong", {}, line))))),
    el("p", { class: "printed" }, t("printed", { date: new Date().toLocaleString(document.documentElement.lang) })),
  );
}
