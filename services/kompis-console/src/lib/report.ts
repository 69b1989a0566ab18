// The follow-up report's figures as rows for the table, and the file a download saves.
// The figures come as the contract sends them (metric, dimension, key, label, cell); a
// suppressed cell (fewer than 5 people, for partner viewers) stays suppressed here too,
// never shown as a 0.
import type { FollowUpReport, GoalProgress, ReportGoal } from "../gen/kompis/v1/report_pb";
import type { Lang } from "./i18n";

type Words = Record<string, [sv: string, en: string]>;

/** The contract's metric names (see report.proto, `Figure`) in words. */
const METRICS: Words = {
  referrals_received: ["Hänvisningar mottagna", "Referrals received"],
  recruited: ["Registrerade", "Recruited"],
  interviewed: ["Intervjuade", "Interviewed"],
  approved: ["Godkända", "Approved"],
  matched: ["Matchade personer", "People matched"],
  newcomers_matched: ["Matchade nyanlända", "Newcomers matched"],
  newcomers_wait: ["Matchade nyanlända efter väntetid", "Newcomers matched by days waited"],
  matches_made: ["Matchningar gjorda", "Matches made"],
  matches_ended: ["Matchningar avslutade", "Matches ended"],
  matches_live_at_end: ["Pågående matchningar vid periodens slut", "Matches live at the period's end"],
  check_ins: ["Uppföljningar", "Check-ins"],
  activities_held: ["Aktiviteter genomförda", "Activities held"],
  invitations_sent: ["Inbjudningar skickade", "Invitations sent"],
  invitations_accepted: ["Inbjudningar accepterade", "Invitations accepted"],
  invitations_waitlisted: ["På väntelista till aktiviteter", "Waitlisted for activities"],
  became_ready_newcomer: ["Nyanlända som blev redo", "Newcomers who became ready"],
  became_ready_established_resident: ["Etablerade som blev redo", "Established residents who became ready"],
  newcomers_waiting_at_end: ["Nyanlända som väntar vid periodens slut", "Newcomers waiting at the period's end"],
  waiting_now: ["Väntar nu", "Waiting now"],
  free_places_now: ["Lediga platser nu", "Free places now"],
};

/** The breakdowns' names in words. */
const DIMENSIONS: Words = {
  role: ["roll", "role"], source: ["källa", "source"], district: ["kommundel", "district"], month: ["månad", "month"],
  days: ["dagar", "days"], met_within_35_days: ["träffats inom 35 dagar", "met within 35 days"], end_reason: ["orsak", "reason"],
  answer: ["svar", "answer"], kind: ["slag", "kind"], free: ["kostnad", "cost"], language: ["språk", "language"],
};

/** Keys that are words of the contract rather than names (districts and months are shown as sent). */
const KEYS: Words = {
  newcomer: ["ny i Sverige", "newcomer"], established_resident: ["etablerad", "established resident"],
  coordinator: ["samordnare", "coordinator"], self_sign_up: ["anmälde sig själv", "signed up themselves"],
  yes: ["ja", "yes"], no: ["nej", "no"], met: ["har träffats", "met"], not_yet: ["inte än", "not yet"], wont_meet: ["kommer inte att träffas", "won't meet"],
  free: ["gratis", "free"], not_free: ["inte gratis", "not free"], completed: ["genomförd", "completed"], not_working: ["fungerade inte", "not working"],
  no_contact: ["tappade kontakten", "lost contact"], participant_left: ["någon lämnade", "someone left"], moved_away: ["flyttade", "moved away"],
  rematch: ["ny matchning", "rematch"], other: ["annat", "other"], concern: ["oro", "concern"], group_activity: ["gruppaktivitet", "group activity"],
};

const word = (table: Words, key: string, lang: Lang) => table[key]?.[lang === "sv" ? 0 : 1] ?? key.replace(/_/g, " ");

/** A metric's name in `lang`. */
export function metricName(metric: string, lang: Lang): string {
  return word(METRICS, metric, lang);
}

export interface Figure {
  /** `metric/dimension/key`, unique within a report, such as `recruited/source/self_sign_up`. */
  id: string;
  /** The metric's name in the contract, such as `recruited`. */
  metric: string;
  /** What the metric is broken down by and the group's label; empty for a total. */
  group: string;
  /** The metric in words. */
  title: string;
  /** The count, or null when the cell is suppressed. */
  value: number | null;
}

/** Every figure of `report`, in the order the service sends them, named in `lang`. */
export function figures(report: FollowUpReport, lang: Lang = "sv"): Figure[] {
  return report.figures.map((f) => ({
    id: `${f.metric}/${f.dimension}/${f.key}`,
    metric: f.metric,
    title: metricName(f.metric, lang),
    group: f.dimension ? `${word(DIMENSIONS, f.dimension, lang)}: ${f.label || word(KEYS, f.key, lang)}` : "",
    value: f.cell?.cell.case === "value" ? Number(f.cell.cell.value) : null,
  }));
}

/** A download link's `href` for a file the service exported. */
export function dataUrl(contentType: string, content: Uint8Array): string {
  let binary = "";
  for (const byte of content) binary += String.fromCharCode(byte);
  return `data:${contentType};base64,${btoa(binary)}`;
}

/** The metrics a goal may be set on (the totals of the follow-up report; see report.proto). */
export const GOAL_METRICS = [
  "newcomers_matched",
  "matches_made",
  "matched",
  "referrals_received",
  "recruited",
  "interviewed",
  "approved",
  "matches_ended",
  "matches_live_at_end",
  "check_ins",
  "activities_held",
  "invitations_sent",
  "invitations_accepted",
  "became_ready_newcomer",
  "became_ready_established_resident",
] as const;

/** A goal as the reports page lists it, with its progress when its period is the report's. */
export interface GoalRow {
  /** `municipality|start|end|metric`, unique among a chapter's goals. */
  key: string;
  metric: string;
  /** The metric in words. */
  title: string;
  /** `municipalities/{id}`, or empty for the whole chapter. */
  municipality: string;
  target: number;
  /** The figure reached; null when suppressed or when the goal's period is not the report's. */
  reached: number | null;
  /** `reached` as a percentage of the target, rounded; null as `reached`. */
  percent: number | null;
}

const goalKey = (g: ReportGoal) =>
  `${g.municipality}|${g.startTime?.seconds ?? ""}|${g.endTime?.seconds ?? ""}|${g.metric}`;

/**
 * The listed goals, joined with the progress the report computed for the goals of its own
 * period (matched by municipality, period and metric); a goal only in the report is kept.
 */
export function goalRows(listed: ReportGoal[], progress: GoalProgress[], lang: Lang = "sv"): GoalRow[] {
  const reached = new Map(progress.filter((p) => p.goal).map((p) => [goalKey(p.goal!), p]));
  const goals = [...listed];
  for (const p of progress) if (p.goal && !listed.some((g) => goalKey(g) === goalKey(p.goal!))) goals.push(p.goal);
  return goals.map((g) => {
    const p = reached.get(goalKey(g));
    const value = p?.reached?.cell.case === "value" ? Number(p.reached.cell.value) : null;
    const percent = p?.percent?.statistic.case === "value" ? Math.round(p.percent.statistic.value) : null;
    return {
      key: goalKey(g),
      metric: g.metric,
      title: metricName(g.metric, lang),
      municipality: g.municipality,
      target: g.target,
      reached: value,
      percent: value === null ? null : percent,
    };
  });
}
