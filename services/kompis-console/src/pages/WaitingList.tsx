// The waiting list (who waits, how long, at what position) and the shortage: bars per
// district and per language, and a map of the districts drawn from their coordinates.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import type { District } from "../gen/kompis/v1/admin_pb";
import type { GetWaitingListResponse, ShortageCount } from "../gen/kompis/v1/participant_pb";
import { participants } from "../lib/api";
import { showError, type ShownError } from "../lib/errors";
import { placeLabels, project, radius } from "../lib/map";
import { ErrorBanner, PersonLabel, useT, useUi } from "../ui";
import { loadDistricts } from "./DistrictSelect";

function keyOf(c: ShortageCount): string {
  return c.key.case ? c.key.value : "";
}

function Bars(props: { title: string; id: string; counts: ShortageCount[]; label: (k: string) => string }) {
  const t = useT();
  // The bar is the shortage (established residents missing); its label gives the counts behind it.
  const max = Math.max(1, ...props.counts.map((c) => c.shortage));
  return (
    <figure aria-labelledby={props.id} class="bars">
      <figcaption id={props.id}><h2>{props.title}</h2></figcaption>
      {props.counts.slice(0, 12).map((c) => (
        <div class="bar" key={keyOf(c)}>
          <span>{props.label(keyOf(c))}</span>
          <div class="track" role="img" aria-label={`${c.waitingNewcomers} ${t("waitingNewcomers")}, ${c.freeResidentPlaces} ${t("availableResidents")}`}>
            <div class="fill" style={{ width: `${(100 * c.shortage) / max}%` }} />
          </div>
          <span>{c.shortage}</span>
        </div>
      ))}
    </figure>
  );
}

function DistrictMap(props: { districts: District[]; counts: ShortageCount[] }) {
  const t = useT();
  const byName = new Map(props.counts.map((c) => [keyOf(c), c]));
  const shown = props.districts.filter((d) => byName.has(d.name));
  const points = project(shown.map((d) => ({ id: d.name, label: d.displayName, latitude: d.latitude, longitude: d.longitude })), 480, 420, 50);
  const max = Math.max(1, ...props.counts.map((c) => c.shortage));
  const labelOf = (id: string) => `${points.find((p) => p.id === id)!.label} (${byName.get(id)!.shortage})`;
  const labels = placeLabels(points, labelOf, (id) => radius(byName.get(id)!.shortage, max), 480, 420, 8);
  return (
    <figure>
      <h2 aria-hidden="true">{t("map")}</h2>
      <svg viewBox="0 0 480 420" width="100%" style="border: 1px solid #c8c8c8" role="img" aria-labelledby="map-h">
        <title id="map-h">{t("map")}</title>
        {points.map((p) => {
          const c = byName.get(p.id)!;
          return (
            <g key={p.id}>
              <circle cx={p.x} cy={p.y} r={radius(c.shortage, max)} fill="#a4000f" fill-opacity="0.55" stroke="#5a0008" />
              <text x={labels.get(p.id)!.x} y={labels.get(p.id)!.y} text-anchor={labels.get(p.id)!.anchor} data-label={p.id}>{labelOf(p.id)}</text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

const PAGE_SIZE = 50;

export function WaitingList() {
  const t = useT();
  const { lang, chapter } = useUi();
  const [data, setData] = useState<GetWaitingListResponse | null>(null);
  const [districts, setDistricts] = useState<District[]>([]);
  const [error, setError] = useState<ShownError | null>(null);
  // The tokens of the pages seen so far: the last one is the page shown.
  const [pages, setPages] = useState<string[]>([""]);
  const pageToken = pages[pages.length - 1];
  useEffect(() => {
    participants.getWaitingList({ chapter: `chapters/${chapter}`, pageSize: PAGE_SIZE, pageToken }).then(setData, (e) => setError(showError(e, lang)));
  }, [chapter, pageToken]);
  useEffect(() => {
    loadDistricts().then(setDistricts, () => {});
  }, []);
  const districtLabel = (name: string) => districts.find((d) => d.name === name)?.displayName ?? name.split("/").pop() ?? name;
  const languageLabel = (code: string) => {
    try {
      return new Intl.DisplayNames([lang], { type: "language" }).of(code) ?? code;
    } catch {
      return code;
    }
  };
  return (
    <section aria-labelledby="wait-h">
      <h1 id="wait-h">{t("waitingList")}</h1>
      <ErrorBanner error={error} />
      {data && (
        <>
          <p>{t("total")}: {data.totalSize}</p>
          <div class="two">
            <div>
              <Bars id="by-district" title={t("shortageByDistrict")} counts={data.districtCounts} label={districtLabel} />
              <Bars id="by-language" title={t("shortageByLanguage")} counts={data.languageCounts} label={languageLabel} />
            </div>
            <DistrictMap districts={districts} counts={data.districtCounts} />
          </div>

          <table>
            <thead>
              <tr>
                <th scope="col" style="width: 5em">{t("position")}</th>
                <th scope="col">{t("name")}</th>
                <th scope="col">{t("district")}</th>
                <th scope="col">{t("waitingSince")}</th>
                <th scope="col" style="width: 5em">{t("waitingDays")}</th>
                <th scope="col">{t("actions")}</th>
              </tr>
            </thead>
            <tbody>
              {data.entries.map((e) => (
                <tr key={e.participant!.name} data-participant={e.participant!.name}>
                  <td>{e.position}</td>
                  <td><PersonLabel name={e.participant!.personName?.displayName || `${e.participant!.personName?.givenName} ${e.participant!.personName?.familyName}`} /></td>
                  <td>{districtLabel(e.participant!.district || e.participant!.profile?.district || "")}</td>
                  <td>{e.participant!.waitingSince ? timestampDate(e.participant!.waitingSince).toLocaleDateString(lang) : ""}</td>
                  <td>{e.waitingDuration ? Math.floor(Number(e.waitingDuration.seconds) / 86400) : ""}</td>
                  <td><a href={`#/suggest?participant=${encodeURIComponent(e.participant!.name)}`}>{t("suggestions")}</a></td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="actions" role="group" aria-label={t("waitingList")}>
            <button type="button" class="secondary" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>{t("previous")}</button>
            <span>{(pages.length - 1) * PAGE_SIZE + 1}–{(pages.length - 1) * PAGE_SIZE + data.entries.length} / {data.totalSize}</span>
            <button type="button" class="secondary" disabled={!data.nextPageToken} onClick={() => setPages([...pages, data.nextPageToken])}>{t("next")}</button>
          </div>
        </>
      )}
    </section>
  );
}
