// What the page keeps on the phone (and nowhere else): settings, recent answers, the list being built.
// Private browsing or a full disk must not break a search, so every access tolerates failure.
const PREFIX = "cg.";

export function load(key, otherwise = null) {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    return raw === null ? otherwise : JSON.parse(raw);
  } catch {
    return otherwise;
  }
}

export function save(key, value) {
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

export function forget(key) {
  try {
    localStorage.removeItem(PREFIX + key);
  } catch {
    // nothing kept, nothing to forget
  }
}
