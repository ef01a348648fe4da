// Opening hours computed on the phone, for listings kept offline: a place's weekly schedules read in
// its own time zone, as the API reads them (weekday 1 is Monday; closes_at at or before opens_at runs
// past midnight; 24:00 is midnight). Holiday exceptions are known only to the API, so an answer
// computed here says so.
const WEEKDAYS = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const clocks = new Map();

function clock(timezone) {
  let made = clocks.get(timezone);
  if (!made) {
    made = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    clocks.set(timezone, made);
  }
  return made;
}

// The wall clock in a zone at an instant: date, ISO weekday and minutes since midnight.
export function wall(instant, timezone) {
  const parts = Object.fromEntries(clock(timezone).formatToParts(instant).map((part) => [part.type, part.value]));
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAYS[parts.weekday],
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    utc: Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)),
  };
}

// The instant a wall-clock time happens in a zone (the first of two in a repeated hour, the next
// valid one in a skipped hour).
function instantOf(date, minutes, timezone) {
  const [year, month, day] = date.split("-").map(Number);
  const target = Date.UTC(year, month - 1, day, 0, minutes);
  let guess = target;
  for (let n = 0; n < 3; n += 1) guess = target - (wall(new Date(guess), timezone).utc - guess);
  return new Date(guess);
}

function minutesOf(text) {
  const [hours, minutes] = text.split(":").map(Number);
  return hours * 60 + minutes;
}

function addDays(date, days) {
  const [year, month, day] = date.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

function valid(schedule, date) {
  return (!schedule.valid_from || schedule.valid_from <= date) && (!schedule.valid_to || date <= schedule.valid_to);
}

// Openings that start on a local date: [start, end) in minutes from that midnight (end may pass 1440).
function openings(schedules, date, weekday) {
  return schedules
    .filter((s) => s.weekday === weekday && s.opens_at && s.closes_at && valid(s, date))
    .map((s) => {
      const start = minutesOf(s.opens_at);
      let end = minutesOf(s.closes_at);
      if (end <= start) end += 1440;
      return [start, end];
    })
    .sort((a, b) => a[0] - b[0]);
}

// open_now, closes_at, opens_next_at and hours_today as the API reports them, from the schedules.
export function hoursAt(item, now = new Date()) {
  const timezone = item.location?.timezone;
  const schedules = item.schedules || [];
  if (!timezone || !schedules.length) return { open_now: null, closes_at: null, opens_next_at: null, hours_today: [] };
  const here = wall(now, timezone);
  const today = openings(schedules, here.date, here.weekday);
  const yesterdayDate = addDays(here.date, -1);
  const yesterday = openings(schedules, yesterdayDate, ((here.weekday + 5) % 7) + 1);
  let closes = null;
  for (const [start, end] of yesterday) if (here.minutes < end - 1440) closes = instantOf(yesterdayDate, end, timezone);
  for (const [start, end] of today) if (start <= here.minutes && here.minutes < end) closes = instantOf(here.date, end, timezone);
  let opensNext = null;
  for (let days = 0; days < 8 && !opensNext; days += 1) {
    const date = addDays(here.date, days);
    const weekday = ((here.weekday - 1 + days) % 7) + 1;
    const next = openings(schedules, date, weekday).find(([start]) => days > 0 || start > here.minutes);
    if (next) opensNext = instantOf(date, next[0], timezone);
  }
  const text = (minutes) => (minutes >= 1440 ? minutes - 1440 : minutes);
  const pad = (minutes) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
  return {
    open_now: closes !== null,
    closes_at: closes ? closes.toISOString() : null,
    opens_next_at: closes ? null : opensNext ? opensNext.toISOString() : null,
    hours_today: today.map(([start, end]) => ({ opens_at: pad(start), closes_at: end === 1440 ? "24:00" : pad(text(end)) })),
  };
}
