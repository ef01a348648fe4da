// The field app: one form, one call to GET /v1/resources, results a specialist can act on. The page's
// state lives in its URL (the same parameter names as the API), so a search can be bookmarked,
// shared and reloaded; answers, settings and the short list live only on this phone.
import { Offline, Problem, getKept, reachable, request } from "./api.js";
import { card, detail, languageName, summary } from "./cards.js";
import { clear, el } from "./dom.js";
import { drawMap } from "./map.js";
import { age } from "./format.js";
import * as i18n from "./i18n.js";
import * as events from "./events.js";
import * as meetings from "./meetings.js";
import * as pack from "./pack.js";
import * as reports from "./reports.js";
import * as shortlist from "./shortlist.js";
import { load, save } from "./store.js";

const t = i18n.t;
const $ = (id) => document.getElementById(id);
const PAGE = 20;
// The "cursor" of results answered from the downloaded area: the next ones are on the phone.
const LOCAL = "area";
const RADII = ["", "1", "2", "5", "10", "25", "50"];
const GENDERS = ["", "women", "men", "transgender", "nonbinary"];
const SPOKEN = ["", "es", "en", "zh", "vi", "ru", "ar", "so", "fr", "ht", "ko", "tl", "pt", "uk"];
// Search parameters the page carries in its URL, as the API names them.
const SINGLE = ["near", "zip", "address", "q", "open_now", "has_capacity", "age", "gender", "language", "cost", "radius"];
// The meetings view's own choices, in the URL beside the search (meetings=3h turns it on).
const MEETINGS = ["meetings", "meetings_online"];
// The events view's, likewise (events=7d turns it on).
const EVENTS = ["events", "events_order", "events_online"];
const REPEATED = ["category", "attribute"];
const state = { counties: [], near: null, attributes: new Map(), categories: [], items: [], rest: [], areaNote: "", origin: null, next: null, params: null, answerAt: null };

function option(value, label) {
  return el("option", { value }, label);
}

function fillSelects() {
  const keep = (node, build) => {
    const value = node.value;
    clear(node).append(...build());
    node.value = value;
  };
  keep($("radius"), () => RADII.map((r) => option(r, r ? t("within_miles", { n: r }) : t("any_distance"))));
  keep($("gender"), () => GENDERS.map((g) => option(g, g ? t("gender_" + g) : t("any"))));
  keep($("language-spoken"), () => SPOKEN.map((code) => option(code, code ? languageName(code) : t("any"))));
}

function categoryName(category) {
  return i18n.has("category_" + category.slug) ? t("category_" + category.slug) : category.name;
}

function chip(name, value, label) {
  return el("label", { class: "chip" }, el("input", { type: "checkbox", name, value }), el("span", {}, label));
}

function renderChoices() {
  const chosen = new Set(formValues("category"));
  const fieldset = $("categories");
  fieldset.querySelectorAll(".family").forEach((node) => node.remove());
  for (const family of state.categories) {
    fieldset.append(
      el(
        "div",
        { class: "family", role: "group", "aria-label": categoryName(family) },
        chip("category", family.slug, categoryName(family)),
        (family.children || []).map((child) => chip("category", child.slug, categoryName(child))),
      ),
    );
  }
  const attributes = $("attributes");
  const checked = new Set(formValues("attribute"));
  attributes.querySelectorAll(".check").forEach((node) => node.remove());
  for (const [slug, name] of state.attributes) {
    const label = i18n.has("attribute_" + slug) ? t("attribute_" + slug) : name;
    attributes.append(el("label", { class: "check" }, el("input", { type: "checkbox", name: "attribute", value: slug }), " ", label));
  }
  for (const input of document.querySelectorAll("input[name=category]")) input.checked = chosen.has(input.value);
  for (const input of document.querySelectorAll("input[name=attribute]")) input.checked = checked.has(input.value);
}

function formValues(name) {
  return [...document.querySelectorAll(`input[name=${name}]:checked`)].map((input) => input.value);
}

// The form as the page's (and the API's) query parameters.
function readForm() {
  const params = new URLSearchParams();
  const where = $("where").value.trim();
  if (where) params.set(/^\d{5}(-\d{4})?$/.test(where) ? "zip" : "address", where);
  else if (state.near) params.set("near", state.near);
  if ($("words").value.trim()) params.set("q", $("words").value.trim());
  for (const value of formValues("category")) params.append("category", value);
  if ($("open-now").checked) params.set("open_now", "true");
  if ($("beds-now").checked) params.set("has_capacity", "bed");
  for (const value of formValues("attribute")) params.append("attribute", value);
  if ($("age").value) params.set("age", $("age").value);
  if ($("gender").value) params.set("gender", $("gender").value);
  if ($("language-spoken").value) params.set("language", $("language-spoken").value);
  if ($("free").checked) params.set("cost", "free");
  if ($("radius").value) params.set("radius", $("radius").value);
  return params;
}

function fillForm(params) {
  state.near = params.get("near");
  $("where").value = params.get("zip") || params.get("address") || "";
  $("where").placeholder = state.near ? t("my_location") : t("where_placeholder");
  $("words").value = params.get("q") || "";
  const categories = new Set(params.getAll("category"));
  for (const input of document.querySelectorAll("input[name=category]")) input.checked = categories.has(input.value);
  const attributes = new Set(params.getAll("attribute").flatMap((value) => value.split(",")));
  for (const input of document.querySelectorAll("input[name=attribute]")) input.checked = attributes.has(input.value);
  $("open-now").checked = params.get("open_now") === "true";
  $("beds-now").checked = params.get("has_capacity") === "bed";
  $("age").value = params.get("age") || "";
  $("gender").value = params.get("gender") || "";
  $("language-spoken").value = params.get("language") || "";
  $("free").checked = params.get("cost") === "free";
  $("radius").value = params.get("radius") || "";
  const narrowed = attributes.size || params.get("age") || params.get("gender") || params.get("language") || params.get("cost");
  if (narrowed) $("eligibility").open = true;
}

function apiPath(params, cursor) {
  const query = new URLSearchParams();
  for (const name of SINGLE) if (params.get(name)) query.set(name, params.get(name));
  for (const name of REPEATED) for (const value of params.getAll(name)) query.append(name, value);
  if (query.get("radius")) query.set("unit", "mi");
  query.set("limit", String(PAGE));
  if (cursor) query.set("cursor", cursor);
  return "/v1/resources?" + query.toString();
}

function hasPlace(params) {
  return ["near", "zip", "address"].some((name) => params.get(name));
}

function setStatus(text, kind = "") {
  const node = $("status");
  node.textContent = text;
  node.className = "status " + kind;
}

function showWhereError(text) {
  const node = $("where-error");
  node.textContent = text;
  node.hidden = !text;
}

function describeProblem(error) {
  const invalid = error.body?.invalid_params || [];
  if (invalid.length) return invalid.map((p) => `${p.name}: ${p.reason}`).join("; ");
  return error.message;
}

function context() {
  return {
    origin: state.origin,
    attributes: state.attributes,
    saved: false,
    onDetail: openDetail,
    onSave: saveItem,
    onCopy: copyItem,
  };
}

function drawResults(append) {
  const list = $("list");
  if (!append) clear(list);
  const shown = new Set([...list.children].map((node) => node.dataset.id));
  const saved = new Set(shortlist.items().map((entry) => entry.id));
  const base = context();
  const cards = document.createDocumentFragment();
  for (const item of state.items) {
    if (!shown.has(item.id)) cards.append(card(item, { ...base, saved: saved.has(item.id) }));
  }
  list.append(cards);
  $("more").hidden = !state.next;
}

async function run(params, { cursor = null } = {}) {
  showWhereError("");
  if (!hasPlace(params)) {
    showWhereError(t("need_place"));
    $("where").focus();
    return;
  }
  state.params = params;
  setStatus(t("searching"), "busy");
  $("go").disabled = true;
  try {
    if (cursor === LOCAL) {
      state.items = [...state.items, ...state.rest.splice(0, PAGE)];
      state.next = state.rest.length ? LOCAL : null;
      drawResults(true);
      setStatus(t("results_count", { n: state.items.length }) + " " + state.areaNote, "stale");
      return;
    }
    const answer = await getKept(apiPath(params, cursor));
    if (answer.stale && !cursor && (await answerFromArea(params, answer.at))) return;
    const page = answer.body;
    state.origin = page.origin || state.origin;
    state.items = cursor ? [...state.items, ...page.items] : page.items;
    state.next = page.next_cursor;
    state.answerAt = answer.at;
    drawResults(Boolean(cursor));
    if (!cursor) requestAnimationFrame(() => drawMap($("map"), state.origin, state.items));
    // For bench/field.py: when the results were drawn (the frame after they entered the page).
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark("cg-drawn")));
    const count = state.items.length ? t("results_count", { n: state.items.length }) : t("no_results");
    setStatus(answer.stale ? `${count} ${t("saved_answer", { age: age((Date.now() - answer.at) / 1000) })}` : count, answer.stale ? "stale" : "");
    if (!cursor) remember(params);
  } catch (error) {
    if (error instanceof Offline && !cursor && (await answerFromArea(params))) return;
    if (!cursor) clear($("list"));
    $("more").hidden = true;
    if (error instanceof Offline) setStatus(t("offline_unsaved"), "error");
    else if (error instanceof Problem && error.status === 422 && (error.body?.invalid_params || []).some((p) => ["zip", "address", "near"].includes(p.name))) {
      setStatus("");
      showWhereError(describeProblem(error));
      $("where").focus();
    } else if (error instanceof Problem) setStatus(describeProblem(error), "error");
    else {
      setStatus(t("failed"), "error");
      throw error;
    }
  } finally {
    $("go").disabled = false;
  }
}

// The place a search starts from, offline: its own point, or the area's when it names the area's place.
function offlinePoint(params, kept) {
  if (params.get("near")) {
    const [latitude, longitude] = params.get("near").split(",").map(Number);
    return { latitude, longitude };
  }
  const named = params.get("zip") || params.get("address");
  if (params.get("zip") && kept.county) return pack.zipPoint(kept, params.get("zip"));
  return named && named === kept.label ? kept.origin : null;
}

// Answers from the downloaded area when the network is gone (and the area is newer than any kept answer).
async function answerFromArea(params, answeredAt = 0) {
  const kept = await pack.current().catch(() => null);
  if (!kept || kept.synced_at < answeredAt) return false;
  const near = offlinePoint(params, kept);
  if (!near || !pack.covers(kept, near)) return false;
  const families = new Map(state.categories.map((family) => [family.slug, (family.children || []).map((c) => c.slug)]));
  const found = pack.search(kept, params, near, families);
  state.origin = found.origin;
  state.items = found.items.slice(0, PAGE);
  state.rest = found.items.slice(PAGE);
  state.next = state.rest.length ? LOCAL : null;
  state.areaNote = t("from_area", { age: age((Date.now() - kept.synced_at) / 1000) });
  drawResults(false);
  $("map").hidden = true;
  const count = found.items.length ? t("results_count", { n: found.items.length }) : t("no_results");
  setStatus(`${count} ${state.areaNote}`, "stale");
  requestAnimationFrame(() => requestAnimationFrame(() => performance.mark("cg-drawn")));
  return true;
}

async function drawArea() {
  const kept = await pack.current().catch(() => null);
  $("area-kept").hidden = !kept;
  $("area-new").hidden = Boolean(kept);
  $("area-county-new").hidden = Boolean(kept);
  $("area-download").hidden = true;
  $("area-county-download").hidden = true;
  $("area-county-pick").hidden = true;
  state.counties = [];
  const vars = kept && { n: kept.items.length, miles: kept.miles, place: kept.label, age: age((Date.now() - kept.synced_at) / 1000) };
  $("area-state").textContent = kept ? t(kept.county ? "area_kept_county" : "area_kept", vars) : t("area_none");
}

// The county a ZIP code or a name points to, and what downloading it weighs.
async function findCounty() {
  const text = $("area-county").value.trim();
  $("area-county-download").hidden = true;
  $("area-county-pick").hidden = true;
  if (!text) {
    $("area-state").textContent = t("area_county_need");
    $("area-county").focus();
    return;
  }
  try {
    state.counties = await pack.counties(text);
  } catch (error) {
    $("area-state").textContent = error instanceof Offline ? t("offline_banner") : describeProblem(error);
    return;
  }
  const choice = $("area-county-choice");
  clear(choice).append(...state.counties.map((found, n) => option(String(n), found.label)));
  $("area-county-pick").hidden = state.counties.length < 2;
  showCounty();
}

function showCounty() {
  const found = state.counties[Number($("area-county-choice").value || 0)];
  if (!found) {
    $("area-state").textContent = t("area_county_none", { text: $("area-county").value.trim() });
    return;
  }
  const size = megabytes(found.listings * averageItemBytes());
  $("area-state").textContent = t("area_county_size", { n: found.listings, size, place: found.label });
  $("area-county-download").hidden = found.listings === 0;
}

function areaLabel(params) {
  return params.get("zip") || params.get("address") || t("my_location");
}

async function measureArea() {
  const params = state.params;
  if (!params || !hasPlace(params)) {
    $("area-state").textContent = t("area_need_search");
    return;
  }
  try {
    const measured = await pack.measure(params, $("area-radius").value);
    const bytes = measured.count * averageItemBytes();
    $("area-state").textContent = t("area_size", { n: measured.count, size: megabytes(bytes), place: areaLabel(params), miles: $("area-radius").value });
    $("area-download").hidden = measured.count === 0;
  } catch (error) {
    $("area-state").textContent = error instanceof Offline ? t("offline_banner") : describeProblem(error);
  }
}

// What one listing weighs as the API sends it, from the answer on the screen.
function averageItemBytes() {
  if (!state.items.length) return 3000;
  return new TextEncoder().encode(JSON.stringify(state.items)).length / state.items.length;
}

function megabytes(bytes) {
  return new Intl.NumberFormat(i18n.lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(Math.max(bytes, 1e5) / 1e6) + " MB";
}

async function downloadArea(area, button) {
  button.disabled = true;
  try {
    await pack.download(area, (n) => {
      $("area-state").textContent = t("area_progress", { n });
    });
    setStatus(t("area_saved"));
  } catch (error) {
    $("area-state").textContent = error instanceof Offline ? t("offline_banner") : describeProblem(error);
    return;
  } finally {
    button.disabled = false;
  }
  await drawArea();
}

async function updateArea(quiet = false) {
  try {
    const updated = await pack.update((n) => {
      $("area-state").textContent = t("area_progress", { n });
    });
    if (updated && !quiet) setStatus(t("area_updated"));
  } catch (error) {
    if (!quiet) setStatus(error instanceof Offline ? t("offline_banner") : describeProblem(error), "error");
  }
  await drawArea();
}

function label(params) {
  const parts = [];
  const names = new Map(state.categories.flatMap((family) => [family, ...(family.children || [])]).map((c) => [c.slug, categoryName(c)]));
  for (const slug of params.getAll("category")) parts.push(names.get(slug) || slug);
  if (params.get("open_now")) parts.push(t("open_now"));
  if (params.get("has_capacity")) parts.push(t("beds_now"));
  parts.push(params.get("zip") || params.get("address") || t("my_location"));
  return parts.join(" · ");
}

function remember(params) {
  const query = params.toString();
  const recent = load("recent", []).filter((entry) => entry.query !== query);
  recent.unshift({ query, at: Date.now() });
  save("recent", recent.slice(0, 8));
  drawRecent();
}

function drawRecent() {
  const recent = load("recent", []);
  $("recent").hidden = recent.length === 0;
  clear($("recent-list")).append(
    ...recent.map((entry) =>
      el(
        "li",
        {},
        el("a", { href: "/?" + entry.query, onclick: (event) => { event.preventDefault(); go(new URLSearchParams(entry.query)); } }, label(new URLSearchParams(entry.query))),
        " ",
        el("span", { class: "age" }, age((Date.now() - entry.at) / 1000)),
      ),
    ),
  );
}

// The point meetings are found from: the last search's place as the API resolved it, or the phone's.
function meetingsOrigin() {
  if (state.origin) return state.origin;
  if (!state.near) return null;
  const [latitude, longitude] = state.near.split(",").map(Number);
  return { latitude, longitude };
}

async function findMeetings() {
  const origin = meetingsOrigin();
  const list = $("meetings-list");
  if (!origin) {
    clear(list);
    $("meetings-state").textContent = t("meetings_need_place");
    return;
  }
  const within = $("meetings-within").value;
  const online = $("meetings-online").value;
  const current = new URLSearchParams(location.search);
  current.set("meetings", within);
  if (online) current.set("meetings_online", online);
  else current.delete("meetings_online");
  history.replaceState(null, "", "/?" + current.toString());
  $("meetings-state").textContent = t("searching");
  try {
    const answer = await meetings.find(origin, within, online);
    meetings.draw(list, answer.body, origin);
    const count = answer.body.items.length ? t("meetings_count", { n: answer.body.items.length }) : t("meetings_none");
    $("meetings-state").textContent = answer.stale ? `${count} ${t("saved_answer", { age: age((Date.now() - answer.at) / 1000) })}` : count;
  } catch (error) {
    clear(list);
    $("meetings-state").textContent = error instanceof Offline ? t("offline_unsaved") : error instanceof Problem ? describeProblem(error) : t("failed");
  }
}

async function findEvents() {
  const origin = meetingsOrigin();
  const list = $("events-list");
  if (!origin) {
    clear(list);
    $("events-state").textContent = t("meetings_need_place");
    return;
  }
  const within = $("events-window").value;
  const order = $("events-order").value;
  const online = $("events-online").value;
  const current = new URLSearchParams(location.search);
  current.set("events", within);
  for (const [name, value] of [["events_order", order === "start" ? "" : order], ["events_online", online]]) {
    if (value) current.set(name, value);
    else current.delete(name);
  }
  history.replaceState(null, "", "/?" + current.toString());
  $("events-state").textContent = t("searching");
  try {
    const answer = await events.find(origin, within, order, online);
    events.draw(list, answer.body, origin);
    const count = answer.body.items.length ? t("events_count", { n: answer.body.items.length }) : t("events_none");
    $("events-state").textContent = answer.stale ? `${count} ${t("saved_answer", { age: age((Date.now() - answer.at) / 1000) })}` : count;
  } catch (error) {
    clear(list);
    $("events-state").textContent = error instanceof Offline ? t("offline_unsaved") : error instanceof Problem ? describeProblem(error) : t("failed");
  }
}

function go(params) {
  const kept = new URLSearchParams(location.search);
  for (const name of [...MEETINGS, ...EVENTS]) if (kept.get(name)) params.set(name, kept.get(name));
  history.pushState(null, "", "/?" + params.toString());
  fillForm(params);
  // Meetings and events shown for the last place follow the new one.
  run(params).then(() => {
    if (params.get("meetings")) findMeetings();
    if (params.get("events")) findEvents();
  });
  $("results").focus({ preventScroll: false });
}

function detailContext(item) {
  return { ...context(), saved: shortlist.has(item.id), report: (shown) => reports.form(shown, (text) => setStatus(text)) };
}

async function openDetail(item) {
  const dialog = $("detail");
  detail($("detail-content"), item, detailContext(item));
  if (!dialog.open) dialog.showModal();
  try {
    const fresh = await getKept(`/v1/resources/${encodeURIComponent(item.id)}`);
    const typing = $("report-words")?.value || document.activeElement?.closest?.("#detail form");
    if (dialog.open && !typing) detail($("detail-content"), { ...item, ...fresh.body, match: item.match, distance_m: item.distance_m }, detailContext(item));
  } catch {
    // the card's own data is already shown
  }
}

function saveItem(item, button) {
  const now = shortlist.toggle(item);
  for (const node of document.querySelectorAll(`.card[data-id="${CSS.escape(item.id)}"] .save, #detail .save`)) {
    node.setAttribute("aria-pressed", String(now));
    node.textContent = now ? t("saved") : t("save");
  }
  button.setAttribute("aria-pressed", String(now));
  drawList();
  setStatus(now ? t("added", { name: item.service?.name || "" }) : t("removed", { name: item.service?.name || "" }));
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    setStatus(t("copied"));
  } catch {
    setStatus(t("copy_failed"), "error");
  }
}

function copyItem(item) {
  copyText(summary(item).join("\n"));
}

function drawList() {
  shortlist.render($("shortlist"), () => {
    drawList();
    drawResults(false);
  });
}

// The browser says a network is back: whether it reaches the server is known by calling it (the
// waiting reports, else the health check), and the banner follows that answer.
function regained() {
  if (reports.pending()) reports.flush().then((sent) => sent && setStatus(t("reports_sent")));
  else request("/healthz").catch(() => {});
  showOnline();
}

function showOnline() {
  const offline = !navigator.onLine || !reachable();
  $("offline").hidden = !offline;
  $("offline").textContent = offline ? t("offline_banner") + (reports.pending() ? " " + t("reports_waiting", { n: reports.pending() }) : "") : "";
  if (!offline && reports.pending()) reports.flush().then((sent) => sent && setStatus(t("reports_sent")));
}

async function loadChoices() {
  const [categories, attributes] = await Promise.allSettled([getKept("/v1/categories"), getKept("/v1/attributes")]);
  if (categories.status === "fulfilled") state.categories = categories.value.body.items || [];
  if (attributes.status === "fulfilled") state.attributes = new Map((attributes.value.body.items || []).map((a) => [a.slug, a.name]));
}

function locate() {
  if (!navigator.geolocation) {
    showWhereError(t("no_geolocation"));
    return;
  }
  setStatus(t("locating"), "busy");
  navigator.geolocation.getCurrentPosition(
    (position) => {
      state.near = `${position.coords.latitude.toFixed(5)},${position.coords.longitude.toFixed(5)}`;
      $("where").value = "";
      $("where").placeholder = t("my_location");
      go(readForm());
    },
    () => {
      setStatus("");
      showWhereError(t("location_denied"));
      $("where").focus();
    },
    { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 },
  );
}

async function chooseLanguage(code) {
  await i18n.use(code);
  save("language", code);
  i18n.translate();
  fillSelects();
  renderChoices();
  if (state.params) fillForm(state.params);
  drawResults(false);
  drawRecent();
  drawList();
  drawArea();
  showOnline();
}

async function boot() {
  const choices = loadChoices(); // the API's answers travel while the language loads
  await i18n.use(i18n.preferred(load("language")));
  i18n.translate();
  const picker = $("language");
  picker.append(...(await i18n.names()).map(([code, name]) => option(code, name)));
  picker.value = i18n.lang;
  picker.addEventListener("change", () => chooseLanguage(picker.value));
  fillSelects();
  await choices;
  renderChoices();
  const params = new URLSearchParams(location.search);
  fillForm(params);
  drawRecent();
  drawList();
  showOnline();
  window.addEventListener("online", regained);
  window.addEventListener("offline", showOnline);
  window.addEventListener("cg-reached", showOnline);
  window.addEventListener("cg-unreached", showOnline);
  window.addEventListener("popstate", () => {
    const current = new URLSearchParams(location.search);
    fillForm(current);
    if (hasPlace(current)) run(current);
  });
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    performance.clearMarks();
    performance.clearResourceTimings();
    performance.mark("cg-search");
    go(readForm());
  });
  $("where").addEventListener("input", () => {
    if ($("where").value) state.near = null;
  });
  $("locate").addEventListener("click", locate);
  $("meetings-go").addEventListener("click", findMeetings);
  if (params.get("meetings")) $("meetings-within").value = params.get("meetings");
  if (params.get("meetings_online")) $("meetings-online").value = params.get("meetings_online");
  $("events-go").addEventListener("click", findEvents);
  if (events.WINDOWS.includes(params.get("events"))) $("events-window").value = params.get("events");
  if (params.get("events_order") === "distance") $("events-order").value = "distance";
  if (["true", "false"].includes(params.get("events_online"))) $("events-online").value = params.get("events_online");
  $("more").addEventListener("click", () => run(state.params, { cursor: state.next }));
  $("area-measure").addEventListener("click", measureArea);
  $("area-download").addEventListener("click", () =>
    downloadArea(pack.around(state.params, Number($("area-radius").value), areaLabel(state.params)), $("area-download")),
  );
  $("area-county-find").addEventListener("click", findCounty);
  $("area-county").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      findCounty();
    }
  });
  $("area-county-choice").addEventListener("change", showCounty);
  $("area-county-download").addEventListener("click", () => {
    const found = state.counties[Number($("area-county-choice").value || 0)];
    if (found) downloadArea(pack.county(found), $("area-county-download"));
  });
  $("area-update").addEventListener("click", () => updateArea());
  $("area-delete").addEventListener("click", async () => {
    await pack.remove();
    await drawArea();
    setStatus(t("area_deleted"));
  });
  await drawArea();
  if (navigator.onLine) updateArea(true);
  $("detail-close").addEventListener("click", () => $("detail").close());
  $("print").addEventListener("click", () => window.print());
  $("copy-list").addEventListener("click", () => copyText(shortlist.text()));
  $("show-qr").addEventListener("click", () => shortlist.showCode($("qr")));
  $("clear-list").addEventListener("click", () => {
    shortlist.empty();
    drawList();
    drawResults(false);
    setStatus(t("list_cleared"));
  });
  if (navigator.share) {
    $("share").hidden = false;
    $("share").addEventListener("click", () => navigator.share({ title: t("list_heading"), text: shortlist.text() }).catch(() => {}));
  }
  document.body.dataset.ready = "true";
  performance.mark("cg-ready");
  if (hasPlace(params)) await run(params);
  if (params.get("meetings") && hasPlace(params)) await findMeetings();
  if (params.get("events") && hasPlace(params)) await findEvents();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
}

boot();
