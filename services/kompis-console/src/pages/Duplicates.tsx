// Possible duplicates: every flagged participant with the records it may duplicate,
// resolved one pair at a time: not the same person, merge the other record into this
// one, or give this one the other's app account. Merging asks for a confirmation.
import { useEffect, useState } from "preact/hooks";
import { DuplicateResolution, type Participant } from "../gen/kompis/v1/participant_pb";
import { participants, referrals, requestId } from "../lib/api";
import { enumText } from "../lib/enums";
import { showError, type ShownError } from "../lib/errors";
import { displayName } from "../people";
import { ErrorBanner, PersonLabel, useT, useUi } from "../ui";

/** The name of a participant or a referral, by its resource name. */
function RecordName(props: { of: string }) {
  const [name, setName] = useState("…");
  useEffect(() => {
    const named = props.of.includes("/referrals/")
      ? referrals.getReferral({ name: props.of }).then((r) => displayName(r.referral?.learnerName))
      : participants.getParticipant({ name: props.of }).then((r) => displayName(r.participant?.personName));
    named.then(setName, () => setName(props.of.split("/").pop() ?? props.of));
  }, [props.of]);
  return <PersonLabel name={name} />;
}

export function Duplicates() {
  const t = useT();
  const { lang, chapter } = useUi();
  const [flagged, setFlagged] = useState<Participant[] | null>(null);
  const [confirm, setConfirm] = useState<{ name: string; duplicate: string; resolution: DuplicateResolution } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const load = () =>
    participants.listParticipants({ parent: `chapters/${chapter}`, hasPossibleDuplicates: true, pageSize: 100 }).then(
      (r) => setFlagged(r.participants),
      (e) => setError(showError(e, lang)),
    );
  useEffect(() => {
    load();
  }, [chapter]);

  const resolve = async (name: string, duplicate: string, resolution: DuplicateResolution) => {
    setError(null);
    setDone(null);
    try {
      await participants.resolveDuplicate({ name, duplicate, resolution, requestId: requestId() });
      setConfirm(null);
      setDone(enumText("DuplicateResolution", resolution, lang));
      await load();
    } catch (e) {
      setConfirm(null);
      setError(showError(e, lang));
    }
  };
  const ask = (name: string, duplicate: string, resolution: DuplicateResolution) =>
    resolution === DuplicateResolution.DISMISS ? resolve(name, duplicate, resolution) : setConfirm({ name, duplicate, resolution });

  return (
    <section aria-labelledby="dup-h">
      <h1 id="dup-h">{t("duplicates")}</h1>
      <p class="muted">{t("duplicatesHelp")}</p>
      <ErrorBanner error={error} />
      {done && <p class="ok-banner" role="status">{t("resolved")}: {done}</p>}
      {confirm && (
        <div class="override" role="alertdialog" aria-labelledby="confirm-h" aria-describedby="confirm-d">
          <h2 id="confirm-h">{enumText("DuplicateResolution", confirm.resolution, lang)}</h2>
          <p id="confirm-d">
            {confirm.resolution === DuplicateResolution.MERGE ? t("mergeExplained") : t("linkExplained")}{" "}
            <RecordName of={confirm.duplicate} /> → <RecordName of={confirm.name} />
          </p>
          <div class="actions">
            <button type="button" onClick={() => resolve(confirm.name, confirm.duplicate, confirm.resolution)}>{t("confirm")}</button>
            <button type="button" class="secondary" onClick={() => setConfirm(null)}>{t("cancel")}</button>
          </div>
        </div>
      )}
      {flagged && flagged.length === 0 && <p>{t("none")}</p>}
      {flagged && flagged.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("name")}</th>
              <th scope="col">{t("possibleDuplicate")}</th>
              <th scope="col" style="width: 40%">{t("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {flagged.flatMap((p) =>
              p.possibleDuplicates.map((d) => (
                <tr key={`${p.name}|${d}`} data-flagged={p.name} data-duplicate={d}>
                  <td>
                    <PersonLabel name={displayName(p.personName)} />
                    <div class="muted">{enumText("ParticipantState", p.state, lang)}</div>
                  </td>
                  <td>
                    <RecordName of={d} />
                    <div class="muted">{d.includes("/referrals/") ? t("referral") : t("participant")}</div>
                  </td>
                  <td>
                    <div class="actions">
                      <button type="button" class="secondary" onClick={() => ask(p.name, d, DuplicateResolution.DISMISS)}>
                        {enumText("DuplicateResolution", DuplicateResolution.DISMISS, lang)}
                      </button>
                      {d.includes("/participants/") && (
                        <>
                          <button type="button" class="secondary" onClick={() => ask(p.name, d, DuplicateResolution.MERGE)}>
                            {enumText("DuplicateResolution", DuplicateResolution.MERGE, lang)}
                          </button>
                          <button type="button" class="secondary" onClick={() => ask(p.name, d, DuplicateResolution.LINK_APP_ACCOUNT)}>
                            {enumText("DuplicateResolution", DuplicateResolution.LINK_APP_ACCOUNT, lang)}
                          </button>
                        </>
                      )}
                    </div>
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
