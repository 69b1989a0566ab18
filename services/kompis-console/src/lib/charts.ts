// The three charts of the reports page, computed from the follow-up report's figures as
// the contract sends them. A suppressed cell stays null (drawn as "suppressed", never 0).
import type { FollowUpReport } from "../gen/kompis/v1/report_pb";

/** One month of the matched-per-month chart. */
export interface MonthPoint {
  /** `YYYY-MM`. */
  month: string;
  /** Newcomers matched in the month; null when suppressed. */
  matched: number | null;
  /** Matched since the period's start, through this month (suppressed months count 0). */
  cumulative: number;
  /** The goal's pace: the target spread evenly over the months, through this month; null without a goal. */
  target: number | null;
}

function cell(report: FollowUpReport, metric: string, dimension: string, key: string): number | null | undefined {
  const f = report.figures.find((x) => x.metric === metric && x.dimension === dimension && x.key === key);
  if (!f) return undefined;
  return f.cell?.cell.case === "value" ? Number(f.cell.cell.value) : null;
}

/** The months `YYYY-MM` from `start` (inclusive) to `end` (exclusive), both `YYYY-MM-DD`. */
export function monthsOf(start: string, end: string): string[] {
  const months: string[] = [];
  let [y, m] = start.split("-").map(Number);
  const [ey, em, ed] = end.split("-").map(Number);
  // The last month is the end's own only when the period reaches into it.
  const lastY = ed > 1 ? ey : em === 1 ? ey - 1 : ey;
  const lastM = ed > 1 ? em : em === 1 ? 12 : em - 1;
  while (y < lastY || (y === lastY && m <= lastM)) {
    months.push(`${y}-${String(m).padStart(2, "0")}`);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
    if (months.length > 240) break;
  }
  return months;
}

/** Newcomers matched per month of the period against the goal for `newcomers_matched`. */
export function matchedPerMonth(report: FollowUpReport, start: string, end: string): MonthPoint[] {
  const months = monthsOf(start, end);
  const goal = report.goals.find((g) => g.goal?.metric === "newcomers_matched")?.goal?.target;
  let cumulative = 0;
  return months.map((month, i) => {
    const value = cell(report, "newcomers_matched", "month", month);
    const matched = value === undefined ? 0 : value;
    cumulative += matched ?? 0;
    return { month, matched, cumulative, target: goal === undefined ? null : Math.round((goal * (i + 1)) / months.length) };
  });
}

/** The waiting-time buckets of the contract, in order. */
export const WAIT_BUCKETS = ["0-30", "31-90", "91-180", "181-365", "366-"] as const;

/** Newcomers matched in the period by days waited, one bar per bucket. */
export function waitingDistribution(report: FollowUpReport): Array<{ bucket: string; count: number | null }> {
  return WAIT_BUCKETS.map((bucket) => {
    const value = cell(report, "newcomers_wait", "days", bucket);
    return { bucket, count: value === undefined ? 0 : value };
  });
}

/** One district's shortage now: newcomers waiting beyond the free buddy places. */
export interface DistrictShortage {
  district: string;
  label: string;
  waiting: number | null;
  free: number | null;
  /** `waiting - free`, at least 0; null when either is suppressed. */
  shortage: number | null;
}

/** The shortage by district at the time of the report, largest first. */
export function shortageByDistrict(report: FollowUpReport): DistrictShortage[] {
  const keys = new Map<string, string>();
  for (const f of report.figures) {
    if ((f.metric === "waiting_now" || f.metric === "free_places_now") && f.dimension === "district") keys.set(f.key, f.label || f.key);
  }
  const rows = [...keys].map(([district, label]) => {
    // A missing figure is none (0); a suppressed one (null) stays suppressed.
    const [waiting, free] = (["waiting_now", "free_places_now"] as const).map((metric) => {
      const v = cell(report, metric, "district", district);
      return v === undefined ? 0 : v;
    });
    const shortage = waiting === null || free === null ? null : Math.max(0, waiting - free);
    return { district, label, waiting, free, shortage };
  });
  return rows.sort((a, b) => (b.shortage ?? -1) - (a.shortage ?? -1) || a.label.localeCompare(b.label));
}
