// Follow-up figures for a chosen period, as a table and bars, and the service's own
// exports: the CSV and the one-page report with its charts, in the user's language.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { ReportFormat } from "../gen/kompis/v1/report_pb";
import { reports } from "../lib/api";
import { showError, type ShownError } from "../lib/errors";
import { dataUrl, figures, type Figure } from "../lib/report";
import { ErrorBanner, Field, useT, useUi } from "../ui";

export function Reports() {
  const t = useT();
  const { lang, chapter } = useUi();
  const year = new Date().getFullYear();
  const [period, setPeriod] = useState({ start: `${year}-01-01`, end: `${year + 1}-01-01` });
  const [rows, setRows] = useState<Figure[] | null>(null);
  const [files, setFiles] = useState<{ csv: { href: string; name: string }; page: { href: string; name: string } } | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const show = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const query = {
        chapter: `chapters/${chapter}`,
        startTime: period.start ? timestampFromDate(new Date(`${period.start}T00:00:00`)) : undefined,
        endTime: period.end ? timestampFromDate(new Date(`${period.end}T00:00:00`)) : undefined,
      };
      const res = await reports.getFollowUpReport(query);
      const [csv, page] = await Promise.all(
        [ReportFormat.CSV, ReportFormat.HTML].map((format) =>
          reports.exportFollowUpReport({ query, format, languageCode: lang }),
        ),
      );
      setFiles({
        csv: { href: dataUrl(csv.contentType, csv.content), name: csv.fileName },
        page: { href: dataUrl(page.contentType, page.content), name: page.fileName },
      });
      setRows(res.report ? figures(res.report) : []);
    } catch (err) {
      setError(showError(err, lang));
      setRows(null);
      setFiles(null);
    }
  };
  const max = Math.max(1, ...(rows ?? []).map((r) => r.value ?? 0));
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
          {files && (
            <div class="actions">
              <a class="button secondary" href={files.csv.href} download={files.csv.name}>{t("downloadCsv")}</a>
              <a class="button secondary" href={files.page.href} download={files.page.name}>{t("downloadPage")}</a>
            </div>
          )}
          <table>
            <thead>
              <tr><th scope="col">{t("figure")}</th><th scope="col" style="width: 6em">{t("value")}</th><th scope="col" style="width: 40%"></th></tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-figure={r.id}>
                  <td>{r.metric.replace(/_/g, " ")}{r.group && <span class="muted"> · {r.group}</span>}</td>
                  <td>{r.value ?? t("suppressed")}</td>
                  <td class="bars"><div class="track" aria-hidden="true"><div class="fill good" style={{ width: `${(100 * (r.value ?? 0)) / max}%` }} /></div></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
