// A small map of the results, only when the server names a tile source (COMMONGROUND_TILE_URL). It is
// drawn after the list and never waits for it: a tile that fails to load hides the map, and the
// list with its directions stays the answer. Numbered pins match the cards' order.
import { clear, el } from "./dom.js";
import { t } from "./i18n.js";

const TILE = 256;
const HEIGHT = 220;

function world(latitude, longitude, zoom) {
  const size = TILE * 2 ** zoom;
  const sin = Math.sin((Math.max(-85, Math.min(85, latitude)) * Math.PI) / 180);
  return [((longitude + 180) / 360) * size, (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * size];
}

// Longitudes taken to the origin's side of the antimeridian, so an island's results stay together.
function near(origin, longitude) {
  return origin.longitude + ((((longitude - origin.longitude + 540) % 360) + 360) % 360) - 180;
}

export function drawMap(figure, origin, items) {
  const template = document.documentElement.dataset.tiles;
  const view = figure.querySelector(".map-view");
  figure.hidden = true;
  figure.parentElement.classList.remove("has-map");
  clear(view);
  if (!template || !origin || !navigator.onLine) return;
  const points = [{ latitude: origin.latitude, longitude: origin.longitude, label: "" }];
  items.forEach((item, n) => {
    const location = item.location || {};
    if (typeof location.latitude === "number" && item.location?.location_type === "physical") {
      points.push({ latitude: location.latitude, longitude: near(origin, location.longitude), label: String(n + 1) });
    }
  });
  const width = Math.min(view.clientWidth || figure.parentElement.clientWidth || 320, 640);
  let zoom = 16;
  for (; zoom > 2; zoom -= 1) {
    const xy = points.map((p) => world(p.latitude, p.longitude, zoom));
    const xs = xy.map(([x]) => x);
    const ys = xy.map(([, y]) => y);
    if (Math.max(...xs) - Math.min(...xs) < width - 32 && Math.max(...ys) - Math.min(...ys) < HEIGHT - 32) break;
  }
  const xy = points.map((p) => world(p.latitude, p.longitude, zoom));
  const left = (Math.max(...xy.map(([x]) => x)) + Math.min(...xy.map(([x]) => x))) / 2 - width / 2;
  const top = (Math.max(...xy.map(([, y]) => y)) + Math.min(...xy.map(([, y]) => y))) / 2 - HEIGHT / 2;
  const tiles = 2 ** zoom;
  for (let ty = Math.floor(top / TILE); ty <= Math.floor((top + HEIGHT) / TILE); ty += 1) {
    if (ty < 0 || ty >= tiles) continue;
    for (let tx = Math.floor(left / TILE); tx <= Math.floor((left + width) / TILE); tx += 1) {
      const wrapped = ((tx % tiles) + tiles) % tiles;
      const src = template.replace("{z}", zoom).replace("{x}", wrapped).replace("{y}", ty);
      const tile = el("img", { src, alt: "", class: "tile", width: TILE, height: TILE, draggable: "false" });
      tile.style.left = `${tx * TILE - left}px`;
      tile.style.top = `${ty * TILE - top}px`;
      tile.addEventListener("error", () => {
        figure.hidden = true;
        figure.parentElement.classList.remove("has-map");
      });
      view.append(tile);
    }
  }
  points.forEach((point, n) => {
    const [x, y] = xy[n];
    const pin = el("span", { class: n ? "pin" : "pin here", "aria-hidden": "true" }, point.label || "●");
    pin.style.left = `${x - left}px`;
    pin.style.top = `${y - top}px`;
    view.append(pin);
  });
  view.style.height = `${HEIGHT}px`;
  view.setAttribute("aria-label", t("map_label", { n: points.length - 1 }));
  figure.querySelector(".map-credit").textContent = document.documentElement.dataset.tilesAttribution || "";
  figure.hidden = false;
  figure.parentElement.classList.add("has-map");
}
