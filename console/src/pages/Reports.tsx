// Follow-up figures for a chosen period, as a table and bars, and as a CSV download.
// Drawn from the contract's FollowUpReport fields as they are.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { FollowUpReportSchema } from "../gen/kompis/v1/report_pb";
import { reports } from "../lib/api";
import { showError, type ShownError } from "../lib/errors";
import { figures, toCsv, type Figure } from "../lib/report";
import { ErrorBanner, Field, useT, useUi } from "../ui";

export function Reports() {
  const t = useT();
  const { lang, chapter } = useUi();
  const year = new Date().getFullYear();
  const [period, setPeriod] = useState({ start: `${year}-01-01`, end: `${year + 1}-01-01` });
  const [rows, setRows] = useState<Figure[] | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const show = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const res = await reports.getFollowUpReport({
        chapter: `chapters/${chapter}`,
        startTime: period.start ? timestampFromDate(new Date(`${period.start}T00:00:00`)) : undefined,
        endTime: period.end ? timestampFromDate(new Date(`${period.end}T00:00:00`)) : undefined,
      });
      setRows(figures(FollowUpReportSchema, (res.report ?? {}) as unknown as Record<string, unknown>));
    } catch (err) {
      setError(showError(err, lang));
      setRows(null);
    }
  };
  const href = rows ? `data:text/csv;charset=utf-8,${encodeURIComponent(toCsv(rows))}` : "";
  const max = Math.max(1, ...(rows ?? []).map((r) => r.value));
  return (
    <section aria-labelledby="rep-h">
      <h1 id="rep-h">{t("reports")}</h1>
      <ErrorBanner error={error} />
      <form onSubmit={show} class="actions" noValidate>
        <Field label={t("periodStart")} field="start_time" error={error}>
          {(id, d, bad) => <input id={id} type="date" value={period.start} aria-describedby={d} aria-invalid={bad} onInput={(e) => setPeriod({ ...period, start: (e.target as HTMLInputElement).value })} />}
        </Field>
        <Field label={t("periodEnd")} field="end_time" error={error}>
          {(id, d, bad) => <input id={id} type="date" value={period.end} aria-describedby={d} aria-invalid={bad} onInput={(e) => setPeriod({ ...period, end: (e.target as HTMLInputElement).value })} />}
        </Field>
        <div><button type="submit">{t("showReport")}</button></div>
      </form>
      {rows && (
        <>
          <a class="button secondary" href={href} download={`kompis-follow-up-${chapter}-${period.start}-${period.end}.csv`}>{t("downloadCsv")}</a>
          <table>
            <thead>
              <tr><th scope="col">{t("figure")}</th><th scope="col" style="width: 6em">{t("value")}</th><th scope="col" style="width: 40%"></th></tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.name} data-figure={r.name}>
                  <td>{r.name.replace(/_/g, " ")}</td>
                  <td>{r.value}</td>
                  <td class="bars"><div class="track" aria-hidden="true"><div class="fill good" style={{ width: `${(100 * r.value) / max}%` }} /></div></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
