// The public API, as any partner calls it. Answers are remembered on the phone with the time they
// arrived, so the last searches open with no signal, marked with their age.
import { load, save } from "./store.js";

const KEPT = 12;

export class Offline extends Error {}

export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

// Whether the last call reached the server. navigator.onLine only knows that a network is there: a
// phone with one bar, or on a wifi with no way out, says "online" while every call fails.
let reached = true;

export function reachable() {
  return reached;
}

function reaching(now) {
  if (now === reached) return;
  reached = now;
  window.dispatchEvent(new Event(now ? "cg-reached" : "cg-unreached"));
}

export async function request(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" }, ...options });
  } catch {
    reaching(false);
    throw new Offline("offline");
  }
  reaching(true);
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new Problem(response.status, body);
  return body;
}

// GET that falls back to the remembered answer when the network is gone: {body, at, stale}. The
// answer is kept under key, the path unless the path names an instant ("from now") that a later
// visit would name differently.
export async function getKept(path, key = path) {
  try {
    const body = await request(path);
    // Read again after the wait: other requests may have kept their answers meanwhile.
    const kept = load("answers", {});
    kept[key] = { at: Date.now(), body };
    const newest = Object.entries(kept).sort((a, b) => b[1].at - a[1].at).slice(0, KEPT);
    if (!save("answers", Object.fromEntries(newest))) save("answers", { [key]: kept[key] });
    return { body, at: Date.now(), stale: false };
  } catch (error) {
    const kept = load("answers", {});
    if (error instanceof Offline && kept[key]) return { ...kept[key], stale: true };
    throw error;
  }
}

export function kept(path) {
  return load("answers", {})[path] || null;
}

export function post(path, body, key) {
  return request(path, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json", "Idempotency-Key": key },
    body: JSON.stringify(body),
  });
}
