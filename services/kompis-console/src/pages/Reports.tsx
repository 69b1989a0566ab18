// Follow-up figures for a chosen period, scope (chapter, municipality or district) and
// target group (roles, genders, ages): three charts (matched per month against the goal,
// the waiting-time distribution, the shortage by district), every figure as a table
// with bars, and the service's own exports: the CSV and the one-page report with its
// charts, in the user's language.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import type { District } from "../gen/kompis/v1/admin_pb";
import { Gender, ParticipantRole } from "../gen/kompis/v1/common_pb";
import { type FollowUpReport, ReportFormat } from "../gen/kompis/v1/report_pb";
import { BarChart, MatchedChart, ShortageChart } from "../charts";
import { reports } from "../lib/api";
import { matchedPerMonth, shortageByDistrict, waitingDistribution } from "../lib/charts";
import { showError, type ShownError } from "../lib/errors";
import { dataUrl, figures, type Figure } from "../lib/report";
import { ErrorBanner, Field, useT, useUi } from "../ui";
import { loadDistricts } from "./DistrictSelect";
import { ReportGoals } from "./ReportGoals";

/** The reports page; `role` decides whether the goal form is offered. */
export function Reports(props: { role: string }) {
  const t = useT();
  const { lang, chapter } = useUi();
  const year = new Date().getFullYear();
  const [period, setPeriod] = useState({ start: `${year}-01-01`, end: `${year + 1}-01-01` });
  const [rows, setRows] = useState<Figure[] | null>(null);
  const [report, setReport] = useState<{ report: FollowUpReport; start: string; end: string } | null>(null);
  // Scope: "" for the chapter, `municipalities/m` or `municipalities/m/districts/d`.
  const [scope, setScope] = useState("");
  const [group, setGroup] = useState({ roles: [] as ParticipantRole[], genders: [] as Gender[], minAge: "", maxAge: "" });
  const [districts, setDistricts] = useState<District[]>([]);
  useEffect(() => {
    loadDistricts().then(setDistricts, () => {});
  }, []);
  const municipalities = [...new Set(districts.map((d) => d.name.split("/districts/")[0]))].sort();
  const [files, setFiles] = useState<{ csv: { href: string; name: string }; page: { href: string; name: string } } | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const show = async (e?: Event) => {
    e?.preventDefault();
    setError(null);
    try {
      const ages = group.minAge || group.maxAge ? { minAge: Number(group.minAge || 0), maxAge: Number(group.maxAge || 120) } : undefined;
      const query = {
        chapter: `chapters/${chapter}`,
        municipality: scope.includes("/districts/") ? "" : scope,
        district: scope.includes("/districts/") ? scope : "",
        startTime: period.start ? timestampFromDate(new Date(`${period.start}T00:00:00`)) : undefined,
        endTime: period.end ? timestampFromDate(new Date(`${period.end}T00:00:00`)) : undefined,
        targetGroup: { roles: group.roles, genders: group.genders, ageRange: ages },
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
      setRows(res.report ? figures(res.report, lang) : []);
      setReport(res.report ? { report: res.report, start: period.start, end: period.end } : null);
    } catch (err) {
      setError(showError(err, lang));
      setRows(null);
      setReport(null);
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
        <Field label={t("scope")} field="district" error={error}>
          {(id, d, bad) => (
            <select id={id} value={scope} aria-describedby={d} aria-invalid={bad} onChange={(e) => setScope((e.target as HTMLSelectElement).value)}>
              <option value="">{t("wholeChapter")}</option>
              {municipalities.map((m) => (
                <optgroup key={m} label={m.split("/").pop()}>
                  <option value={m}>{m.split("/").pop()} ({t("wholeMunicipality")})</option>
                  {districts.filter((d) => d.name.startsWith(`${m}/`)).sort((a, b) => a.displayName.localeCompare(b.displayName)).map((d) => (
                    <option key={d.name} value={d.name}>{d.displayName}</option>
                  ))}
                </optgroup>
              ))}
            </select>
          )}
        </Field>
        <fieldset class="target-group">
          <legend>{t("targetGroup")}</legend>
          <div class="actions">
            {([[ParticipantRole.NEWCOMER, t("newcomer")], [ParticipantRole.ESTABLISHED_RESIDENT, t("resident")]] as const).map(([r, label]) => (
              <label class="check" key={r}>
                <input type="checkbox" checked={group.roles.includes(r)}
                  onChange={() => setGroup({ ...group, roles: group.roles.includes(r) ? group.roles.filter((x) => x !== r) : [...group.roles, r] })} />
                {label}
              </label>
            ))}
            {([[Gender.FEMALE, t("women")], [Gender.MALE, t("men")], [Gender.NON_BINARY, t("nonBinary")]] as const).map(([g, label]) => (
              <label class="check" key={g}>
                <input type="checkbox" checked={group.genders.includes(g)}
                  onChange={() => setGroup({ ...group, genders: group.genders.includes(g) ? group.genders.filter((x) => x !== g) : [...group.genders, g] })} />
                {label}
              </label>
            ))}
          </div>
          <div class="actions">
            <Field label={t("ageFrom")} field="target_group.age_range.min_age" error={error}>
              {(id, d, bad) => <input id={id} type="number" min={0} max={120} class="short" value={group.minAge} aria-describedby={d} aria-invalid={bad} onInput={(e) => setGroup({ ...group, minAge: (e.target as HTMLInputElement).value })} />}
            </Field>
            <Field label={t("ageTo")} field="target_group.age_range.max_age" error={error}>
              {(id, d, bad) => <input id={id} type="number" min={0} max={120} class="short" value={group.maxAge} aria-describedby={d} aria-invalid={bad} onInput={(e) => setGroup({ ...group, maxAge: (e.target as HTMLInputElement).value })} />}
            </Field>
          </div>
        </fieldset>
        <div><button type="submit">{t("showReport")}</button></div>
      </form>
      <ReportGoals
        period={period}
        municipality={scope.split("/districts/")[0]}
        progress={report?.report.goals ?? []}
        canSet={props.role === "coordinator" || props.role === "administrator"}
        onSet={() => void show()}
      />
      {rows && (
        <>
          {files && (
            <div class="actions">
              <a class="button secondary" href={files.csv.href} download={files.csv.name}>{t("downloadCsv")}</a>
              <a class="button secondary" href={files.page.href} download={files.page.name}>{t("downloadPage")}</a>
            </div>
          )}
          {report && (
            <div class="charts">
              <MatchedChart id="matched" points={matchedPerMonth(report.report, report.start, report.end)} />
              <div class="two">
                <BarChart id="waited" title={t("chartWaited")}
                  rows={waitingDistribution(report.report).map((b) => ({ key: b.bucket, label: `${b.bucket} ${t("days")}`, value: b.count }))} />
                <ShortageChart rows={shortageByDistrict(report.report)} />
              </div>
            </div>
          )}
          <table>
            <thead>
              <tr><th scope="col">{t("figure")}</th><th scope="col" style="width: 6em">{t("value")}</th><th scope="col" style="width: 40%"></th></tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-figure={r.id}>
                  <td>{r.title}{r.group && <span class="muted"> · {r.group}</span>}</td>
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
