// The referral inbox: new (received), contacted and converted referrals; mark contacted,
// convert into a participant (then book the interview), resolve a possible duplicate.
import { useEffect, useState } from "preact/hooks";
import { type Referral, ReferralState } from "../gen/kompis/v1/referral_pb";
import { DuplicateResolution } from "../gen/kompis/v1/participant_pb";
import { participants, referrals, requestId } from "../lib/api";
import { showError, type ShownError } from "../lib/errors";
import { ErrorBanner, PersonLabel, useT, useUi } from "../ui";

type Tab = "received" | "contacted" | "converted";

/** Which tab a referral belongs to (closed ones are in none). */
export function tabOf(r: Referral): Tab | null {
  if (r.participant) return "converted";
  if (r.state === ReferralState.RECEIVED) return "received";
  if (r.state === ReferralState.CONTACTED) return "contacted";
  return null;
}

export function Referrals() {
  const t = useT();
  const { lang, chapter } = useUi();
  const [tab, setTab] = useState<Tab>("received");
  const [list, setList] = useState<Referral[] | null>(null);
  const [error, setError] = useState<ShownError | null>(null);

  const load = async () => {
    try {
      const all: Referral[] = [];
      let pageToken = "";
      do {
        const res = await referrals.listReferrals({ parent: `chapters/${chapter}`, pageSize: 200, pageToken });
        all.push(...res.referrals);
        pageToken = res.nextPageToken;
      } while (pageToken);
      setList(all);
    } catch (e) {
      setError(showError(e, lang));
    }
  };
  useEffect(() => {
    load();
  }, [chapter]);

  const act = async (f: () => Promise<unknown>) => {
    setError(null);
    try {
      await f();
      await load();
    } catch (e) {
      setError(showError(e, lang));
    }
  };
  const convert = async (r: Referral) => {
    setError(null);
    try {
      const res = await referrals.convertReferral({ name: r.name, requestId: requestId() });
      location.hash = `#/interviews?participant=${encodeURIComponent(res.participant!.name)}`;
    } catch (e) {
      setError(showError(e, lang));
    }
  };

  const shown = (list ?? []).filter((r) => tabOf(r) === tab);
  const tabs: Array<[Tab, string]> = [
    ["received", t("stateReceived")],
    ["contacted", t("stateContacted")],
    ["converted", t("stateConverted")],
  ];
  return (
    <section aria-labelledby="ref-h">
      <h1 id="ref-h">{t("referrals")}</h1>
      <div class="tabs" role="group" aria-label={t("referrals")}>
        {tabs.map(([k, label]) => (
          <button type="button" aria-pressed={tab === k} onClick={() => setTab(k)} key={k}>
            {label} ({(list ?? []).filter((r) => tabOf(r) === k).length})
          </button>
        ))}
      </div>
      <ErrorBanner error={error} />
      {list === null ? (
        <p>{t("loading")}</p>
      ) : shown.length === 0 ? (
        <p>{t("none")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("organization")}</th>
              <th scope="col">{t("received")}</th>
              <th scope="col">{t("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.name} data-referral={r.name}>
                <td>
                  <PersonLabel name={r.learnerName?.displayName || `${r.learnerName?.givenName} ${r.learnerName?.familyName}`} />
                  {r.possibleDuplicates.length > 0 && (
                    <div class="muted">
                      {t("possibleDuplicate")}:{" "}
                      {r.possibleDuplicates.map((d) => (
                        <span key={d} class="actions">
                          <code>{d.split("/").pop()?.slice(0, 8)}</code>
                          <button type="button" class="secondary"
                            onClick={() => act(() => participants.resolveDuplicate({ name: d, duplicate: r.name, resolution: DuplicateResolution.DISMISS, requestId: requestId() }))}>
                            {t("dismissDuplicate")}
                          </button>
                        </span>
                      ))}
                    </div>
                  )}
                </td>
                <td>{r.organization.split("/").pop()}</td>
                <td>{r.createTime ? new Date(Number(r.createTime.seconds) * 1000).toLocaleDateString(lang) : ""}</td>
                <td>
                  <div class="actions">
                  {r.state === ReferralState.RECEIVED && !r.participant && (
                    <button type="button" class="secondary"
                      onClick={() => act(() => referrals.markReferralContacted({ name: r.name, requestId: requestId() }))}>
                      {t("markContacted")}
                    </button>
                  )}
                  {!r.participant && (
                    <button type="button" onClick={() => convert(r)}>
                      {t("convert")}
                    </button>
                  )}
                  {r.participant && (
                    <a class="button secondary" href={`#/interviews?participant=${encodeURIComponent(r.participant)}`}>
                      {t("bookInterview")}
                    </a>
                  )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
