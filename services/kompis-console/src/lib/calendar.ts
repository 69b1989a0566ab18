// Calendar arithmetic for the interview view, in the browser's local time.

/** Midnight at the start of `d`'s day. */
export function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/** Monday 00:00 of `d`'s week (weeks start on Monday, as in Sweden). */
export function startOfWeek(d: Date): Date {
  const day = startOfDay(d);
  const offset = (day.getDay() + 6) % 7; // Monday = 0
  return addDays(day, -offset);
}

/** `d` moved by `n` calendar days (DST-safe: by date, not by 24 h). */
export function addDays(d: Date, n: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n, d.getHours(), d.getMinutes());
}

/** The days shown: one for the day view, Monday to Sunday for the week view. */
export function visibleDays(anchor: Date, view: "day" | "week"): Date[] {
  if (view === "day") return [startOfDay(anchor)];
  const monday = startOfWeek(anchor);
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
}

/** The items of `days`' each day, by `time(item)`, sorted by time. */
export function byDay<T>(items: T[], days: Date[], time: (t: T) => Date | undefined): T[][] {
  return days.map((day) => {
    const end = addDays(day, 1);
    return items
      .filter((i) => {
        const t = time(i);
        return t !== undefined && t >= day && t < end;
      })
      .sort((a, b) => time(a)!.getTime() - time(b)!.getTime());
  });
}

/** A `datetime-local` input's value for `d`. */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
