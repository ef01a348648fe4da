// Every string the page shows comes from one catalogue per language (js/i18n/<code>.js); a third language is
// one more file there. The server lists the files it has in <html data-languages>.
const root = document.documentElement;
export const languages = (root.dataset.languages || "en").split(",").filter(Boolean);
let strings = {};
let plurals = new Intl.PluralRules("en");
let fallback = {};
export let lang = "en";

async function catalogue(code) {
  return (await import(`./i18n/${code}.js`)).default;
}

// The saved choice, else the first browser language we have, else English.
export function preferred(saved) {
  const wanted = [saved, ...(navigator.languages || [navigator.language])].filter(Boolean);
  for (const code of wanted) {
    const primary = code.toLowerCase().split("-")[0];
    if (languages.includes(primary)) return primary;
  }
  return languages.includes("en") ? "en" : languages[0];
}

export async function use(code) {
  fallback = languages.includes("en") ? await catalogue("en") : {};
  strings = code === "en" ? fallback : await catalogue(code);
  lang = code;
  plurals = new Intl.PluralRules(code);
  root.lang = code;
}

export function names() {
  return Promise.all(languages.map(async (code) => [code, (await catalogue(code))._name || code]));
}

// t("beds", {n: 3}): a plural entry is {one: ..., other: ...}, chosen by the language's own rules.
export function t(key, vars = {}) {
  let text = strings[key] ?? fallback[key] ?? key;
  if (typeof text === "object") {
    text = text[plurals.select(vars.n ?? 0)] ?? text.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

export function has(key) {
  return key in strings || key in fallback;
}

export function translate(scope = document) {
  for (const node of scope.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of scope.querySelectorAll("[data-t-placeholder]")) node.placeholder = t(node.dataset.tPlaceholder);
  document.title = t("title");
}
