// A region pack: every listing within a radius of a search, or of a county, downloaded once from the
// public API (its size shown first), searched on the phone with no signal (distance, category,
// eligibility, words, hours computed here), and kept current from the change feed, deletions
// included. Kept in IndexedDB: a county's listings are more than localStorage holds. A county's
// listings are those /v1/resources finds in its box (bbox=) whose postal code is one of its ZIP codes,
// or that show none: the rule GET /v1/regions/counties counts by.
import { request } from "./api.js";
import { hoursAt } from "./hours.js";

const DB = "commonground";
const STORE = "packs";
const KEY = "area";
const PAGE = 100;
// The most ids one search may name (MAX_LISTINGS in service/search/resources.py).
const LISTINGS = 100;
// What the feed names that an area's listings are made of (a bed count by its service's id).
const LISTED = new Set(["service", "location", "organization", "capacity"]);
const METRES_PER_MILE = 1609.344;

function database() {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(DB, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
}

async function transact(mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = work(tx.objectStore(STORE));
    tx.oncomplete = () => {
      db.close();
      resolve(request?.result);
    };
    tx.onerror = tx.onabort = () => {
      db.close();
      reject(tx.error);
    };
  });
}

export function current() {
  return transact("readonly", (store) => store.get(KEY)).then((pack) => pack || null);
}

function keep(pack) {
  return transact("readwrite", (store) => store.put(pack, KEY));
}

export function remove() {
  return transact("readwrite", (store) => store.delete(KEY));
}

function place(params) {
  const query = new URLSearchParams();
  for (const name of ["near", "zip", "address"]) if (params.get(name)) query.set(name, params.get(name));
  return query;
}

// How many listings an area holds, before downloading it.
export async function measure(params, miles) {
  const query = place(params);
  query.set("radius", String(miles));
  query.set("unit", "mi");
  return request("/v1/resources/count?" + query.toString());
}

// The area around a search: its place (near, ZIP or address) and a radius.
export function around(params, miles, label) {
  return { place: place(params).toString(), miles, radius_m: miles * METRES_PER_MILE, label };
}

// A county's area, as GET /v1/regions/counties describes it.
export function county(found) {
  return { county: found, label: found.label, origin: { latitude: found.latitude, longitude: found.longitude } };
}

// The counties a ZIP code or a name points to, each with its listings' count.
export async function counties(text) {
  const query = /^\d{5}(-\d{4})?$/.test(text.trim()) ? { zip: text.trim() } : { q: text.trim() };
  return (await request("/v1/regions/counties?" + new URLSearchParams(query).toString())).items;
}

// Whether a listing the API found for the area is one of its own: always around a search; in a
// county, when its postal code is one of the county's, or it shows none.
function belongs(pack, item) {
  if (!pack.county) return true;
  const postal = String(item.location?.address?.postal_code || "").trim().slice(0, 5);
  return !postal || pack.county.zip_codes.some((entry) => entry.zip_code === postal);
}

// Every listing of the area, page by page; the feed's position is taken first, so a change made while
// downloading is applied by the next update.
export async function download(area, progress) {
  const { next_cursor: since } = await request("/v1/changes?since=latest");
  const query = areaQuery(area);
  const items = [];
  let cursor = null;
  let origin = area.origin || null;
  do {
    if (cursor) query.set("cursor", cursor);
    const page = await request("/v1/resources?" + query.toString());
    origin = page.origin || origin;
    items.push(...page.items.filter((item) => belongs(area, item)));
    cursor = page.next_cursor;
    progress(items.length);
  } while (cursor);
  const pack = { ...area, origin, items, since, downloaded_at: Date.now(), synced_at: Date.now() };
  await keep(pack);
  return pack;
}

// Applies the changes since the pack's position. The feed names what changed (services, locations,
// organizations; a bed count by its service), not where it is, so the API is asked which listings of
// those lie in the area now (listing=, LISTINGS ids at a time): they replace every kept listing that any
// of those ids touches. A place created or moved in arrives, one moved out or deleted leaves.
export async function update(progress = () => {}) {
  const pack = await current();
  if (!pack) return null;
  const touched = new Set();
  let since = pack.since;
  for (;;) {
    const page = await request(`/v1/changes?since=${encodeURIComponent(since)}&limit=1000`);
    for (const change of page.items) if (LISTED.has(change.entity)) touched.add(change.id);
    since = page.next_cursor;
    if (page.items.length < 1000) break;
  }
  const ids = [...touched];
  const fresh = [];
  for (let at = 0; at < ids.length; at += LISTINGS) {
    const query = areaQuery(pack);
    query.set("listing", ids.slice(at, at + LISTINGS).join(","));
    let cursor = null;
    do {
      if (cursor) query.set("cursor", cursor);
      const page = await request("/v1/resources?" + query.toString());
      fresh.push(...page.items.filter((item) => belongs(pack, item)));
      cursor = page.next_cursor;
      progress(fresh.length);
    } while (cursor);
  }
  const replaced = new Set(fresh.map((item) => item.id));
  const untouched = (item) =>
    !replaced.has(item.id) &&
    ![item.service?.id, item.location?.id, item.organization?.id].some((id) => id && touched.has(id));
  pack.items = pack.items.filter(untouched).concat(fresh);
  Object.assign(pack, { since, synced_at: Date.now() });
  await keep(pack);
  return pack;
}

// The search that downloaded the pack, without its page: the same place (near, ZIP or address, so
// services serving a ZIP stay in) and radius, or the county's box searched from its middle.
function areaQuery(pack) {
  if (pack.county) {
    const { latitude, longitude, bbox } = pack.county;
    return new URLSearchParams({ near: `${latitude},${longitude}`, bbox: bbox.join(","), limit: String(PAGE) });
  }
  const query = new URLSearchParams(pack.place || `near=${pack.origin.latitude},${pack.origin.longitude}`);
  query.set("radius", String(pack.miles));
  query.set("unit", "mi");
  query.set("limit", String(PAGE));
  return query;
}

function metres(from, to) {
  const rad = Math.PI / 180;
  const dφ = (to.latitude - from.latitude) * rad;
  const dλ = (to.longitude - from.longitude) * rad;
  const a = Math.sin(dφ / 2) ** 2 + Math.cos(from.latitude * rad) * Math.cos(to.latitude * rad) * Math.sin(dλ / 2) ** 2;
  return 6371008.8 * 2 * Math.asin(Math.min(1, Math.sqrt(a)));
}

// Lowercase, without accents: "Albergue de Emergéncia" finds "emergencia".
function folded(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function capacityNow(report, now) {
  const age = Math.max(0, Math.round((now - new Date(report.updated_at)) / 1000));
  const current = age <= 86400;
  return { ...report, age_seconds: age, current, available: current ? report.reported_available : null };
}

// The search's answer from the pack: the same filters the API applies, nearest first, hours and
// bed counts as of now. family maps a parent category to its children.
export function search(pack, params, near, family, now = new Date()) {
  const origin = near || pack.origin;
  const radius = params.get("radius") ? Number(params.get("radius")) * METRES_PER_MILE : Infinity;
  const categories = new Set(params.getAll("category").flatMap((slug) => [slug, ...(family.get(slug) || [])]));
  const attributes = params.getAll("attribute").flatMap((value) => value.split(","));
  const words = folded(params.get("q")).split(/\s+/).filter(Boolean);
  const age = params.get("age") ? Number(params.get("age")) : null;
  const items = [];
  for (const kept of pack.items) {
    const service = kept.service || {};
    const location = kept.location || {};
    const hours = hoursAt(kept, now);
    const item = { ...kept, ...hours, capacity: (kept.capacity || []).map((report) => capacityNow(report, now)) };
    const located = typeof location.latitude === "number";
    item.distance_m = item.match === "serves_area" || !located ? null : metres(origin, location);
    if (item.distance_m !== null && item.distance_m > radius) continue;
    if (categories.size && !(service.categories || []).some((slug) => categories.has(slug))) continue;
    if (attributes.some((slug) => !(service.attributes || []).includes(slug))) continue;
    if (params.get("open_now") === "true" && item.open_now !== true) continue;
    if (params.get("has_capacity") && !item.capacity.some((r) => r.unit === params.get("has_capacity") && r.current && r.available > 0)) continue;
    if (age !== null && ((service.minimum_age ?? 0) > age || (service.maximum_age ?? 200) < age)) continue;
    if (params.get("gender") && (service.genders || []).length && !service.genders.includes(params.get("gender"))) continue;
    if (params.get("language") && !(service.languages || []).includes(params.get("language"))) continue;
    if (params.get("cost") && !(service.cost || []).includes(params.get("cost"))) continue;
    if (words.length) {
      const text = folded([service.name, service.alternate_name, service.description, kept.organization?.name, ...(service.categories || [])].join(" "));
      if (!words.every((word) => text.includes(word))) continue;
    }
    items.push(item);
  }
  items.sort((a, b) => (a.distance_m ?? -1) - (b.distance_m ?? -1));
  return { items, origin };
}

// Whether a place lies inside the pack's area.
export function covers(pack, near) {
  if (!near) return true;
  if (pack.county) {
    const [west, south, east, north] = pack.county.bbox;
    const across = west > east; // a box across 180°, as the Aleutians' is
    const inside = across ? near.longitude >= west || near.longitude <= east : west <= near.longitude && near.longitude <= east;
    return south <= near.latitude && near.latitude <= north && inside;
  }
  return metres(pack.origin, near) <= pack.radius_m;
}

// The centroid of one of a county pack's ZIP codes, so a ZIP search works with no signal.
export function zipPoint(pack, zip) {
  const found = pack.county?.zip_codes.find((entry) => entry.zip_code === String(zip).trim().slice(0, 5));
  return found && typeof found.latitude === "number" ? { latitude: found.latitude, longitude: found.longitude } : null;
}
