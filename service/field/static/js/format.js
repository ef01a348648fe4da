// How a result reads at a glance: distance and direction from the searcher, hours in the place's own
// time zone, how old a bed count or a verification is. Pure functions of the API's fields.
import { has, lang, t } from "./i18n.js";

const METRES_PER_MILE = 1609.344;
const COMPASS = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];

export function distance(metres) {
  const miles = metres / METRES_PER_MILE;
  const digits = miles < 10 ? 1 : 0;
  return t("miles", { n: formatter("NumberFormat", { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(miles) });
}

// The initial bearing from the searcher to the place, as one of eight compass points.
export function direction(from, to) {
  const rad = Math.PI / 180;
  const [φ1, φ2] = [from.latitude * rad, to.latitude * rad];
  const Δλ = (to.longitude - from.longitude) * rad;
  const y = Math.sin(Δλ) * Math.cos(φ2);
  const x = Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(Δλ);
  const degrees = (Math.atan2(y, x) / rad + 360) % 360;
  return t("compass_" + COMPASS[Math.round(degrees / 45) % 8]);
}

// Intl formatters are slow to make and a page of results needs a few hundred: made once each.
const formatters = new Map();

function formatter(kind, options) {
  const key = kind + lang + JSON.stringify(options);
  let made = formatters.get(key);
  if (!made) {
    made = new Intl[kind](lang, options);
    formatters.set(key, made);
  }
  return made;
}

function zoned(timezone, options) {
  try {
    return formatter("DateTimeFormat", { timeZone: timezone || undefined, ...options });
  } catch {
    return formatter("DateTimeFormat", options); // an unknown zone name: the phone's own
  }
}

// "5:00 PM" in the place's zone; with the weekday when it is not today there.
export function clock(iso, timezone, now = new Date()) {
  const when = new Date(iso);
  const day = zoned(timezone, { year: "numeric", month: "numeric", day: "numeric" });
  const sameDay = day.format(when) === day.format(now);
  const options = { hour: "numeric", minute: "2-digit" };
  return zoned(timezone, sameDay ? options : { weekday: "short", ...options }).format(when);
}

// "Sat, Dec 14, 6:00 – 8:00 PM" in the place's zone, with the zone's name when asked (it is not the phone's).
export function span(startIso, endIso, timezone, named = false) {
  const options = { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" };
  const shown = zoned(timezone, named ? { ...options, timeZoneName: "short" } : options);
  const [start, end] = [new Date(startIso), new Date(endIso)];
  return end > start ? shown.formatRange(start, end) : shown.format(start);
}

// "09:00"-"17:00" written by the API (local wall time, 24:00 for midnight) in the reader's style.
export function wallTime(text) {
  const [hours, minutes] = text.split(":").map(Number);
  if (hours === 24) return t("midnight");
  const at = new Date(Date.UTC(2000, 0, 1, hours, minutes));
  return formatter("DateTimeFormat", { hour: "numeric", minute: "2-digit", timeZone: "UTC" }).format(at);
}

export function weekday(date) {
  return formatter("DateTimeFormat", { weekday: "long", timeZone: "UTC" }).format(date);
}

export function openStatus(item, now = new Date()) {
  const zone = item.location?.timezone;
  if (item.open_now === true) {
    return { open: true, text: item.closes_at ? t("open_closes", { time: clock(item.closes_at, zone, now) }) : t("open") };
  }
  if (item.open_now === false) {
    return {
      open: false,
      text: item.opens_next_at ? t("closed_opens", { time: clock(item.opens_next_at, zone, now) }) : t("closed"),
    };
  }
  return { open: null, text: t("hours_unknown") };
}

export function hoursToday(item) {
  if (!item.hours_today?.length) return item.open_now === null ? "" : t("today_closed");
  return t("today_hours", { hours: item.hours_today.map((h) => `${wallTime(h.opens_at)}–${wallTime(h.closes_at)}`).join(", ") });
}

const UNITS = [
  ["year", 31536000],
  ["month", 2592000],
  ["week", 604800],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
];

// "20 minutes ago"
export function age(seconds) {
  const relative = formatter("RelativeTimeFormat", { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (seconds >= size) return relative.format(-Math.floor(seconds / size), unit);
  }
  return relative.format(0, "minute");
}

// "12 beds, 20 minutes ago", or "unknown" once the count is older than the search's bound.
export function capacity(report) {
  const current = report.current && report.available !== null;
  const n = current ? report.available : 2;
  const unit = has("unit_" + report.unit) ? t("unit_" + report.unit, { n }) : report.unit.replace(/-/g, " ");
  if (!current) return t("capacity_unknown", { unit, age: age(report.age_seconds) });
  return t("capacity_count", { n: report.available, unit, age: age(report.age_seconds) });
}

export function verified(assuredDate, now = new Date()) {
  if (!assuredDate) return t("not_verified");
  const seconds = Math.max(0, (now - new Date(assuredDate + "T12:00:00Z")) / 1000);
  return t("verified", { age: seconds < 86400 ? t("today") : age(seconds) });
}

// The phone number as a tel: target: digits and dialling symbols only, so listing text cannot become a link.
export function telHref(phone) {
  const number = String(phone.number || "").replace(/[^0-9+*#]/g, "");
  if (!number) return null;
  const extension = String(phone.extension || "").replace(/[^0-9]/g, "");
  return "tel:" + number + (extension ? ";ext=" + extension : "");
}

export function directionsHref(location) {
  if (typeof location?.latitude !== "number" || typeof location?.longitude !== "number") return null;
  const point = `${location.latitude.toFixed(6)},${location.longitude.toFixed(6)}`;
  return `https://www.google.com/maps/dir/?api=1&destination=${point}`;
}

export function addressLines(address) {
  if (!address) return [];
  const street = [address.address_1, address.address_2].filter(Boolean).join(", ");
  const place = [address.city, [address.state_province, address.postal_code].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  return [street, place].filter(Boolean);
}
