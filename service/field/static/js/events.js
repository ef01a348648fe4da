// Events near here: dated events (a clinic on the 14th, a naloxone training, a mobile clinic's stop) from
// the search's place, from GET /v1/events. What a specialist reads at a glance: when (in the event's own
// time zone), how far and which way, what it costs, whether to register and how many it takes.
import { getKept } from "./api.js";
import { clear, el, safeUrl } from "./dom.js";
import * as format from "./format.js";
import { t } from "./i18n.js";

const PAGE = 20;
const DAY = 86400000;
export const WINDOWS = ["today", "7d", "30d"];

// Where the window ends: the phone's midnight tonight, or a week or a month from now.
function until(window, now) {
  if (window === "today") {
    const midnight = new Date(now);
    midnight.setHours(24, 0, 0, 0);
    return midnight;
  }
  return new Date(now.getTime() + (window === "30d" ? 30 : 7) * DAY);
}

// The API's path for an events search from a point, and the key its answer is kept under: the same
// choices, whatever the instant, so the last answer opens with no signal.
export function path(origin, window, order, online, now = new Date()) {
  const choices = new URLSearchParams({ near: `${origin.latitude},${origin.longitude}`, order: order || "start" });
  if (online) choices.set("online", online);
  const query = new URLSearchParams(choices);
  query.set("from", now.toISOString());
  query.set("to", until(window, now).toISOString());
  query.set("limit", String(PAGE));
  choices.set("window", window);
  return { path: "/v1/events?" + query.toString(), key: "/v1/events?" + choices.toString() };
}

export async function find(origin, window, order, online) {
  const asked = path(origin, window, order, online);
  return getKept(asked.path, asked.key);
}

// "Sat, Dec 14, 6:00 – 8:00 PM", in the event's zone, naming the zone when it is not the phone's.
function when(item) {
  const zone = item.event.timezone;
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return format.span(item.starts_at, item.ends_at, zone, zone !== own);
}

function where(item, origin) {
  const place = item.event.place;
  if (item.distance_m === null || item.distance_m === undefined || !place) {
    return el("p", { class: "serves" }, item.event.online_url ? t("event_online_only") : t("event_no_place"));
  }
  const parts = [format.distance(item.distance_m)];
  if (origin && typeof place.latitude === "number" && item.distance_m > 30) parts.push(format.direction(origin, place));
  return el("p", { class: "distance" }, parts.join(" "));
}

function cost(event) {
  if (event.free === true) return t("event_free");
  if (event.fee) return t("event_fee", { fee: event.fee });
  return null;
}

function acts(event) {
  const place = event.place;
  const directions = place && typeof place.latitude === "number" ? format.directionsHref(place) : null;
  // Only https joins a call; a registration page may be plain http, but never javascript: or data:.
  const online = safeUrl(event.online_url);
  const register = safeUrl(event.registration_url);
  const outside = { target: "_blank", rel: "noopener noreferrer" };
  return el(
    "div",
    { class: "actions" },
    directions ? el("a", { class: "button", href: directions, ...outside }, t("directions")) : null,
    online && online.startsWith("https:") ? el("a", { class: "button", href: online, ...outside }, t("event_join")) : null,
    register ? el("a", { class: "button", href: register, ...outside }, t("event_register")) : null,
  );
}

export function card(item, origin) {
  const event = item.event;
  const place = event.place;
  const address = place ? [place.name, [place.address_1, place.city].filter(Boolean).join(", ")].filter(Boolean) : [];
  const languages = event.languages.filter((code) => code !== "en").map((code) => code.toUpperCase());
  const facts = [cost(event), event.capacity ? t("event_capacity", { n: event.capacity }) : null].filter(Boolean);
  return el(
    "li",
    { class: "card event", dataset: { id: event.id, starts: item.starts_at } },
    el("h3", {}, event.title),
    where(item, origin),
    el("p", { class: "hours unknown" }, el("strong", {}, when(item))),
    address.length ? el("p", { class: "address" }, address.join(" — ")) : null,
    place?.approximate ? el("p", { class: "note" }, t("approximate")) : null,
    facts.length ? el("p", { class: "facts" }, facts.join(" · ")) : null,
    languages.length ? el("ul", { class: "tags", "aria-label": t("event_languages") }, languages.map((tag) => el("li", {}, tag))) : null,
    acts(event),
  );
}

export function draw(list, page, origin) {
  clear(list).append(...page.items.map((item) => card(item, origin)));
}
