// The reports page's charts, drawn in SVG from the figures (no chart library). Each has
// a text alternative listing its values, for screen readers and for a printout.
import type { DistrictShortage, MonthPoint } from "./lib/charts";
import { useT } from "./ui";

const W = 640;
const H = 240;
const PAD = { left: 40, right: 12, top: 12, bottom: 40 };

function scale(max: number) {
  const top = Math.max(1, max);
  return (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / top);
}

/** Newcomers matched per month as bars, their running total as a line and the goal's pace dashed. */
export function MatchedChart(props: { points: MonthPoint[]; id: string }) {
  const t = useT();
  const { points } = props;
  const max = Math.max(...points.map((p) => Math.max(p.cumulative, p.target ?? 0, p.matched ?? 0)), 1);
  const y = scale(max);
  const step = (W - PAD.left - PAD.right) / Math.max(1, points.length);
  const x = (i: number) => PAD.left + step * i + step / 2;
  const line = (values: Array<number | null>) =>
    values.map((v, i) => (v === null ? "" : `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(1)}`)).join(" ");
  const summary = points.map((p) => `${p.month}: ${p.matched ?? t("suppressed")}`).join(", ");
  return (
    <figure class="chart" aria-labelledby={`${props.id}-c`}>
      <figcaption id={`${props.id}-c`}><h2>{t("chartMatched")}</h2></figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-labelledby={`${props.id}-t`} data-chart="matched">
        <title id={`${props.id}-t`}>{`${t("chartMatched")}. ${summary}`}</title>
        <line x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} stroke="#767676" />
        <text x={4} y={y(max) + 4}>{max}</text>
        <text x={4} y={y(0) + 4}>0</text>
        {points.map((p, i) => (
          <g key={p.month}>
            {p.matched !== null && (
              <rect x={x(i) - step * 0.3} width={step * 0.6} y={y(p.matched)} height={y(0) - y(p.matched)} fill="#0b5394" data-month={p.month} data-value={p.matched} />
            )}
            {(points.length <= 12 || i % 3 === 0) && (
              <text x={x(i)} y={H - PAD.bottom + 16} text-anchor="middle">{p.month.slice(2)}</text>
            )}
          </g>
        ))}
        <path d={line(points.map((p) => p.cumulative))} fill="none" stroke="#1e6b2f" stroke-width="2.5" />
        {points[0]?.target !== null && points.length > 0 && (
          <path d={line(points.map((p) => p.target))} fill="none" stroke="#a4000f" stroke-width="2" stroke-dasharray="6 4" data-target={points[points.length - 1].target} />
        )}
      </svg>
      <p class="legend">
        <span class="key bar-key" /> {t("legendMonth")} <span class="key line-key" /> {t("legendTotal")}
        {points[0]?.target !== null && points.length > 0 && <> <span class="key target-key" /> {t("legendTarget")} ({points[points.length - 1].target})</>}
      </p>
    </figure>
  );
}

/** Bars with a label and a value each, for the waiting-time distribution and the shortage. */
export function BarChart(props: { id: string; title: string; rows: Array<{ key: string; label: string; value: number | null; note?: string }> }) {
  const t = useT();
  const max = Math.max(1, ...props.rows.map((r) => r.value ?? 0));
  return (
    <figure class="bars chart" aria-labelledby={`${props.id}-c`} data-chart={props.id}>
      <figcaption id={`${props.id}-c`}><h2>{props.title}</h2></figcaption>
      {props.rows.length === 0 && <p>{t("none")}</p>}
      {props.rows.map((r) => (
        <div class="bar" key={r.key} data-key={r.key} data-value={r.value ?? "suppressed"}>
          <bdi class="person" dir="auto" title={r.label}>{r.label}</bdi>
          <div class="track" role="img" aria-label={`${r.label}: ${r.value ?? t("suppressed")}${r.note ? ` (${r.note})` : ""}`}>
            <div class="fill good" style={{ width: `${(100 * (r.value ?? 0)) / max}%` }} />
          </div>
          <span>{r.value ?? "–"}</span>
        </div>
      ))}
    </figure>
  );
}

/** The shortage by district, with the counts behind each bar. */
export function ShortageChart(props: { rows: DistrictShortage[] }) {
  const t = useT();
  return (
    <BarChart id="shortage" title={t("chartShortage")}
      rows={props.rows.slice(0, 15).map((r) => ({
        key: r.district, label: r.label, value: r.shortage,
        note: `${r.waiting ?? t("suppressed")} ${t("waitingNewcomers")}, ${r.free ?? t("suppressed")} ${t("availableResidents")}`,
      }))} />
  );
}
