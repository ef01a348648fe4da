// The field app's service worker: the app shell of this build is kept on the phone, so the page opens
// with no signal; its own answers are kept by the page, which knows how old they are.
const BUILD = "{{build}}";
const SHELL = {{shell}};
const CACHE = "commonground-shell-" + BUILD;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith("commonground-shell-") && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/") {
    // The page first from the network (it names the newest build), else the kept one.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) caches.open(CACHE).then((cache) => cache.put("/", response.clone()));
          return response;
        })
        .catch(() => caches.match("/")),
    );
  } else if (url.pathname.startsWith("/app/")) {
    event.respondWith(caches.match(request).then((kept) => kept || fetch(request)));
  }
});
