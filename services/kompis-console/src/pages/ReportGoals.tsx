// The partnership's goals for the reports page's period and scope: the goals whose period
// overlaps it (ListReportGoals), the progress the report computed for the goals of exactly
// its period, and, for the chapter's coordinators and administrators, a form that sets a
// goal (SetReportGoal) for that period, its violations shown at their fields.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import type { GoalProgress, ReportGoal } from "../gen/kompis/v1/report_pb";
import { reports } from "../lib/api";
import { showError, type ShownError } from "../lib/errors";
import { GOAL_METRICS, goalRows, metricName } from "../lib/report";
import { ErrorBanner, Field, useT, useUi, Violation } from "../ui";

const at = (day: string) => (day ? timestampFromDate(new Date(`${day}T00:00:00`)) : undefined);

export function ReportGoals(props: {
  /** The report form's period, as `YYYY-MM-DD` days (the end exclusive). */
  period: { start: string; end: string };
  /** `municipalities/{id}`, or empty for the whole chapter. */
  municipality: string;
  /** The progress of the shown report's goals; empty before a report is shown. */
  progress: GoalProgress[];
  /** Whether the user may set goals (the chapter's coordinators and administrators). */
  canSet: boolean;
  /** Called after a goal is set, to show the report again with its progress. */
  onSet: () => void;
}) {
  const t = useT();
  const { lang, chapter } = useUi();
  const [listed, setListed] = useState<ReportGoal[]>([]);
  const [form, setForm] = useState({ metric: "newcomers_matched", target: "" });
  const [error, setError] = useState<ShownError | null>(null);
  const [saved, setSaved] = useState(false);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    reports
      .listReportGoals({
        chapter: `chapters/${chapter}`,
        municipality: props.municipality,
        startTime: at(props.period.start),
        endTime: at(props.period.end),
      })
      .then((res) => setListed(res.goals), () => setListed([]));
  }, [chapter, props.municipality, props.period.start, props.period.end, version]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await reports.setReportGoal({
        goal: {
          chapter: `chapters/${chapter}`,
          municipality: props.municipality,
          startTime: at(props.period.start),
          endTime: at(props.period.end),
          metric: form.metric,
          // An empty or fractional entry is sent as it reads, for the service to judge.
          target: form.target.trim() === "" ? -1 : Math.trunc(Number(form.target)),
        },
      });
      setSaved(true);
      setVersion((v) => v + 1);
      props.onSet();
    } catch (err) {
      setError(showError(err, lang));
    }
  };
  const rows = goalRows(listed, props.progress, lang);
  return (
    <section aria-labelledby="goals-h" class="goals">
      <h2 id="goals-h">{t("goals")}</h2>
      {rows.length === 0 ? (
        <p class="muted">{t("noGoals")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("goalMetric")}</th>
              <th scope="col">{t("scope")}</th>
              <th scope="col" style="width: 6em">{t("goalTarget")}</th>
              <th scope="col" style="width: 6em">{t("goalReached")}</th>
              <th scope="col" style="width: 30%">{t("goalProgress")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} data-goal={r.metric}>
                <td>{r.title}</td>
                <td>{r.municipality ? r.municipality.split("/").pop() : t("wholeChapter")}</td>
                <td>{r.target}</td>
                <td>{r.reached ?? "–"}</td>
                <td class="bars">
                  {r.percent === null ? (
                    <span class="muted">{t("goalOtherPeriod")}</span>
                  ) : (
                    <>
                      <span data-percent={r.percent}>{r.percent} %</span>
                      <div class="track" aria-hidden="true">
                        <div class="fill good" style={{ width: `${Math.min(100, r.percent)}%` }} />
                      </div>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.canSet && (
        <>
          <h3 id="goal-form-h">{t("setGoalTitle")}</h3>
          <ErrorBanner error={error} />
          <Violation field="goal.start_time" error={error} />
          <Violation field="goal.end_time" error={error} />
          <Violation field="goal.municipality" error={error} />
          <form onSubmit={submit} class="actions" noValidate aria-labelledby="goal-form-h">
            <Field label={t("goalMetric")} field="goal.metric" error={error}>
              {(id, d, bad) => (
                <select id={id} value={form.metric} aria-describedby={d} aria-invalid={bad}
                  onChange={(e) => setForm({ ...form, metric: (e.target as HTMLSelectElement).value })}>
                  {GOAL_METRICS.map((m) => <option key={m} value={m}>{metricName(m, lang)}</option>)}
                </select>
              )}
            </Field>
            <Field label={t("goalTarget")} field="goal.target" error={error}>
              {(id, d, bad) => (
                <input id={id} type="number" min={0} max={1000000} class="short" value={form.target} aria-describedby={d} aria-invalid={bad}
                  onInput={(e) => setForm({ ...form, target: (e.target as HTMLInputElement).value })} />
              )}
            </Field>
            <div><button type="submit">{t("setGoal")}</button></div>
            {saved && <p role="status">{t("goalSaved")}</p>}
          </form>
        </>
      )}
    </section>
  );
}
