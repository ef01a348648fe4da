// A result as a card, and the full listing: what a specialist reads at a glance and acts on.
import { clear, el, safeUrl } from "./dom.js";
import * as format from "./format.js";
import { t } from "./i18n.js";

function attributeName(slug, attributes) {
  const key = "attribute_" + slug;
  const translated = t(key);
  return translated !== key ? translated : attributes.get(slug) || slug;
}

function eligibility(item, attributes) {
  const service = item.service;
  const tags = (service.attributes || []).map((slug) => attributeName(slug, attributes));
  for (const gender of service.genders || []) tags.push(t("gender_" + gender));
  if (service.minimum_age !== null && service.minimum_age !== undefined) {
    tags.push(service.maximum_age != null ? t("ages_range", { min: service.minimum_age, max: service.maximum_age }) : t("ages_from", { min: service.minimum_age }));
  } else if (service.maximum_age != null) {
    tags.push(t("ages_to", { max: service.maximum_age }));
  }
  if ((service.cost || []).includes("free")) tags.push(t("free"));
  for (const code of service.languages || []) if (code !== "en") tags.push(languageName(code));
  return tags;
}

let displayNames = null;

export function languageName(code) {
  const lang = document.documentElement.lang;
  try {
    if (displayNames?.lang !== lang) displayNames = { lang, names: new Intl.DisplayNames([lang], { type: "language" }) };
    return displayNames.names.of(code) || code;
  } catch {
    return code;
  }
}

function whereLine(item, origin) {
  if (item.match === "serves_area") return el("p", { class: "serves" }, t("serves_area"));
  if (item.distance_m === null || item.distance_m === undefined) return null;
  const location = item.location || {};
  const parts = [format.distance(item.distance_m)];
  if (origin && typeof location.latitude === "number" && item.distance_m > 30) parts.push(format.direction(origin, location));
  return el("p", { class: "distance" }, parts.join(" "));
}

function statusLine(item) {
  const status = format.openStatus(item);
  const state = status.open === true ? "open" : status.open === false ? "closed" : "unknown";
  return el("p", { class: "hours " + state }, el("strong", {}, status.text), " ", format.hoursToday(item));
}

function actions(item, { onDetail, onSave, saved, onCopy }) {
  const phone = (item.phones || []).find((p) => p.type !== "fax" && format.telHref(p));
  const directions = format.directionsHref(item.location);
  return el(
    "div",
    { class: "actions" },
    phone ? el("a", { class: "button", href: format.telHref(phone) }, t("call"), " ", phone.number) : null,
    directions && item.location?.location_type === "physical"
      ? el("a", { class: "button", href: directions, target: "_blank", rel: "noopener noreferrer" }, t("directions"))
      : null,
    el("button", { type: "button", onclick: () => onCopy(item) }, t("copy")),
    el("button", { type: "button", class: "details", onclick: () => onDetail(item) }, t("details")),
    el("button", { type: "button", "aria-pressed": saved ? "true" : "false", class: "save", onclick: (event) => onSave(item, event.currentTarget) }, saved ? t("saved") : t("save")),
  );
}

export function card(item, context) {
  const service = item.service || {};
  const location = item.location || {};
  const tags = eligibility(item, context.attributes);
  return el(
    "li",
    { class: "card", dataset: { id: item.id } },
    el("h3", {}, service.name || t("unnamed")),
    item.organization?.name && item.organization.name !== service.name ? el("p", { class: "org" }, item.organization.name) : null,
    whereLine(item, context.origin),
    statusLine(item),
    (item.capacity || []).map((report) => el("p", { class: "capacity" + (report.current && report.available !== null ? "" : " unknown") }, format.capacity(report))),
    format.addressLines(location.address).length ? el("p", { class: "address" }, format.addressLines(location.address).join(", ")) : null,
    location.approximate ? el("p", { class: "note" }, t("approximate")) : null,
    tags.length ? el("ul", { class: "tags", "aria-label": t("eligibility") }, tags.map((tag) => el("li", {}, tag))) : null,
    el("p", { class: "verified" }, format.verified(service.assured_date)),
    actions(item, context),
  );
}

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

function weekdayName(weekday) {
  // 2024-01-01 was a Monday: weekday 1 in the API's ISO numbering.
  return format.weekday(new Date(Date.UTC(2024, 0, weekday)));
}

function schedule(item) {
  const rows = [];
  for (const weekday of WEEKDAYS) {
    const hours = (item.schedules || []).filter((s) => s.weekday === weekday && s.opens_at && s.closes_at);
    const text = hours.length ? hours.map((s) => `${format.wallTime(s.opens_at)}–${format.wallTime(s.closes_at)}`).join(", ") : t("closed");
    rows.push(el("tr", {}, el("th", { scope: "row" }, weekdayName(weekday)), el("td", {}, text)));
  }
  return el("table", { class: "week" }, el("caption", {}, t("weekly_hours", { zone: item.location?.timezone || "" })), el("tbody", {}, rows));
}

export function detail(node, item, context) {
  const service = item.service || {};
  const link = safeUrl(service.url);
  const parts = [
    el("h2", { id: "detail-title" }, service.name || t("unnamed")),
    item.organization?.name ? el("p", { class: "org" }, item.organization.name) : null,
    statusLine(item),
    service.description ? el("p", {}, service.description) : null,
    item.description ? el("p", {}, item.description) : null,
    service.eligibility_description ? el("p", {}, el("strong", {}, t("who_label")), " ", service.eligibility_description) : null,
    service.fees_description ? el("p", {}, el("strong", {}, t("cost_label")), " ", service.fees_description) : null,
    service.application_process ? el("p", {}, el("strong", {}, t("how_label")), " ", service.application_process) : null,
    (item.capacity || []).map((report) => el("p", { class: "capacity" }, format.capacity(report))),
    format.addressLines(item.location?.address).length ? el("p", { class: "address" }, format.addressLines(item.location.address).join(", ")) : null,
    (item.phones || []).map((phone) =>
      format.telHref(phone) ? el("p", {}, el("a", { href: format.telHref(phone) }, phone.number), phone.description ? " — " + phone.description : "") : null,
    ),
    link ? el("p", {}, el("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, link)) : service.url ? el("p", {}, service.url) : null,
    service.email ? el("p", {}, service.email) : null,
    item.schedules?.length ? schedule(item) : null,
    el("p", { class: "verified" }, format.verified(service.assured_date)),
    actions(item, context),
    context.report && service.id ? context.report(item) : null,
  ];
  clear(node).append(...parts.flat(Infinity).filter(Boolean));
}

// The plain-text lines of a listing, for a text message, the clipboard and the handout.
export function summary(item) {
  const lines = [item.service?.name || t("unnamed")];
  const phone = (item.phones || []).find((p) => p.type !== "fax" && p.number);
  if (phone) lines.push(phone.number + (phone.extension ? " x" + phone.extension : ""));
  const address = format.addressLines(item.location?.address);
  if (address.length) lines.push(address.join(", "));
  const hours = format.hoursToday(item);
  if (hours) lines.push(hours);
  return lines;
}
