// Meetings near here: mutual-aid meetings starting soon (or in progress) from the search's place, and
// online ones after them, from GET /v1/meetings. What a specialist reads at a glance: when (in the
// meeting's own time), how far and which way, how to get in (the door, or the link and the dial-in).
import { getKept } from "./api.js";
import { clear, el, safeUrl } from "./dom.js";
import * as format from "./format.js";
import { t } from "./i18n.js";

const PAGE = 20;

// The API's path for a meetings search from a point.
export function path(origin, within, online) {
  const query = new URLSearchParams({ near: `${origin.latitude},${origin.longitude}`, limit: String(PAGE) });
  if (within) query.set("starts_within", within);
  if (online) query.set("online", online);
  return "/v1/meetings?" + query.toString();
}

export async function find(origin, within, online) {
  return getKept(path(origin, within, online));
}

function when(item) {
  if (item.in_progress) return t("meeting_in_progress", { n: item.started_minutes_ago ?? 0 });
  if (item.starts_in_minutes !== null && item.starts_in_minutes < 60) return t("meeting_starts_in", { n: item.starts_in_minutes });
  return t("meeting_starts_at", { time: format.clock(item.next_start, item.timezone) });
}

function typeName(code) {
  const key = "meeting_type_" + code.replaceAll("-", "_");
  const translated = t(key);
  return translated !== key ? translated : code;
}

function where(item, origin) {
  const place = item.place;
  if (item.distance_m === null || item.distance_m === undefined || !place) return el("p", { class: "serves" }, t("meeting_online_only"));
  const parts = [format.distance(item.distance_m)];
  if (origin && typeof place.latitude === "number" && item.distance_m > 30) parts.push(format.direction(origin, place));
  return el("p", { class: "distance" }, parts.join(" "));
}

function joins(item) {
  const online = item.online || {};
  const place = item.place;
  const link = safeUrl(online.conference_url);
  // Commas are pauses before an access code (",,123456#"): kept, unlike a listing's phone.
  const digits = String(online.conference_phone || "").replace(/[^0-9+*#,]/g, "");
  const dial = digits ? "tel:" + digits : null;
  const directions = place && typeof place.latitude === "number" ? format.directionsHref(place) : null;
  return el(
    "div",
    { class: "actions" },
    directions ? el("a", { class: "button", href: directions, target: "_blank", rel: "noopener noreferrer" }, t("directions")) : null,
    link && link.startsWith("https:") ? el("a", { class: "button", href: link, target: "_blank", rel: "noopener noreferrer" }, t("meeting_join")) : null,
    dial ? el("a", { class: "button", href: dial }, t("meeting_dial_in"), " ", online.conference_phone) : null,
  );
}

export function card(item, origin) {
  const place = item.place;
  const address = place ? [place.name, place.formatted_address || [place.address_1, place.city].filter(Boolean).join(", ")].filter(Boolean) : [];
  const tags = [...item.types.map(typeName), ...item.languages.filter((code) => code !== "en").map((code) => code.toUpperCase())];
  return el(
    "li",
    { class: "card meeting", dataset: { id: item.id } },
    el("h3", {}, item.name),
    item.fellowship || item.group ? el("p", { class: "org" }, [item.fellowship, item.group].filter(Boolean).join(" · ")) : null,
    where(item, origin),
    el("p", { class: "hours " + (item.in_progress ? "open" : "unknown") }, el("strong", {}, when(item))),
    address.length ? el("p", { class: "address" }, address.join(" — ")) : null,
    place?.approximate ? el("p", { class: "note" }, t("approximate")) : null,
    tags.length ? el("ul", { class: "tags", "aria-label": t("meeting_types") }, tags.map((tag) => el("li", {}, tag))) : null,
    item.notes ? el("p", { class: "note" }, item.notes) : null,
    joins(item),
  );
}

export function draw(list, page, origin) {
  clear(list).append(...page.items.map((item) => card(item, origin)));
}
