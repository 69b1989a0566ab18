// Matching: run a round and watch its progress, review its proposals page by page with
// the score of each criterion as bars, see who is left waiting and why, commit all or a
// selection; the match board with each match's state and follow-up.
import { useEffect, useState } from "preact/hooks";
import {
  type Match, MatchEndReason, MatchState, type MatchingRound, type MatchingRoundProposal, MatchingRoundState, type WaitingNewcomer,
} from "../gen/kompis/v1/matching_pb";
import { matching, requestId } from "../lib/api";
import { enumText, enumValues } from "../lib/enums";
import { showError, type ShownError } from "../lib/errors";
import { Name } from "../people";
import { ScoreBars } from "../score";
import { ErrorBanner, Field, useT, useUi } from "../ui";

const PAGE_SIZE = 10;

/** Ending a match with a reason, or rematching one of its people, from the board. */
function MatchActions(props: { match: Match; onDone: (message: string, suggestFor?: string) => void }) {
  const t = useT();
  const { lang } = useUi();
  const m = props.match;
  const [open, setOpen] = useState<"" | "end" | "rematch">("");
  const [end, setEnd] = useState({ reason: String(MatchEndReason.NOT_WORKING), note: "", back: true });
  const [rematch, setRematch] = useState({ who: m.newcomer, reason: "", reset: false });
  const [error, setError] = useState<ShownError | null>(null);
  const live = m.state === MatchState.ACCEPTED || m.state === MatchState.ACTIVE;
  if (!live) return null;
  const submitEnd = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await matching.endMatch({ name: m.name, reason: Number(end.reason), note: end.note, returnToWaitingList: end.back, requestId: requestId() });
      setOpen("");
      props.onDone(t("matchEnded"));
    } catch (err) {
      setError(showError(err, lang));
    }
  };
  const submitRematch = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await matching.rematchParticipant({ participant: rematch.who, match: m.name, reason: rematch.reason, resetWaitingSince: rematch.reset, requestId: requestId() });
      setOpen("");
      props.onDone(t("rematched"), rematch.who);
    } catch (err) {
      setError(showError(err, lang));
    }
  };
  const reasons = enumValues("MatchEndReason").filter((r) => r !== MatchEndReason.REMATCH);
  return (
    <div>
      <div class="actions">
        <button type="button" class="secondary" aria-expanded={open === "end"} onClick={() => setOpen(open === "end" ? "" : "end")}>{t("endMatch")}</button>
        <button type="button" class="secondary" aria-expanded={open === "rematch"} onClick={() => setOpen(open === "rematch" ? "" : "rematch")}>{t("rematch")}</button>
      </div>
      {open === "end" && (
        <form onSubmit={submitEnd} noValidate class="inline-form">
          <ErrorBanner error={error} />
          <Field label={t("endReason")} field="reason" error={error}>
            {(id, d, bad) => (
              <select id={id} value={end.reason} aria-describedby={d} aria-invalid={bad} onChange={(e) => setEnd({ ...end, reason: (e.target as HTMLSelectElement).value })}>
                {reasons.map((r) => <option key={r} value={String(r)}>{enumText("MatchEndReason", r, lang)}</option>)}
              </select>
            )}
          </Field>
          <Field label={t("endNote")} field="note" error={error}>
            {(id, d, bad) => <input id={id} value={end.note} maxLength={500} aria-describedby={d} aria-invalid={bad} onInput={(e) => setEnd({ ...end, note: (e.target as HTMLInputElement).value })} />}
          </Field>
          <label class="check">
            <input type="checkbox" checked={end.back} onChange={() => setEnd({ ...end, back: !end.back })} /> {t("backToWaiting")}
          </label>
          <button type="submit">{t("confirmEnd")}</button>
        </form>
      )}
      {open === "rematch" && (
        <form onSubmit={submitRematch} noValidate class="inline-form">
          <ErrorBanner error={error} />
          <fieldset>
            <legend>{t("rematchWho")}</legend>
            {[m.newcomer, m.establishedResident].map((p) => (
              <label class="check" key={p}>
                <input type="radio" name={`who-${m.name}`} checked={rematch.who === p} onChange={() => setRematch({ ...rematch, who: p })} /> <Name of={p} />
              </label>
            ))}
          </fieldset>
          <Field label={t("rematchReason")} field="reason" error={error}>
            {(id, d, bad) => <input id={id} value={rematch.reason} maxLength={500} aria-describedby={d} aria-invalid={bad} onInput={(e) => setRematch({ ...rematch, reason: (e.target as HTMLInputElement).value })} />}
          </Field>
          <label class="check">
            <input type="checkbox" checked={rematch.reset} onChange={() => setRematch({ ...rematch, reset: !rematch.reset })} /> {t("resetWaiting")}
          </label>
          <button type="submit">{t("confirmRematch")}</button>
        </form>
      )}
    </div>
  );
}

export function Matching() {
  const t = useT();
  const { lang, chapter } = useUi();
  const [round, setRound] = useState<MatchingRound | null>(null);
  const [pages, setPages] = useState<string[]>([""]);
  const [proposals, setProposals] = useState<MatchingRoundProposal[]>([]);
  const [next, setNext] = useState("");
  const [selected, setSelected] = useState<string[]>([]);
  const [waiting, setWaiting] = useState<WaitingNewcomer[]>([]);
  const [board, setBoard] = useState<Match[]>([]);
  const [done_, setDone] = useState<{ message: string; suggestFor?: string } | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const fail = (e: unknown) => setError(showError(e, lang));

  const loadBoard = () =>
    matching.listMatches({ parent: `chapters/${chapter}`, states: [MatchState.PROPOSED, MatchState.ACCEPTED, MatchState.ACTIVE], pageSize: 100 })
      .then((r) => setBoard(r.matches), fail);
  useEffect(() => {
    loadBoard();
  }, [chapter]);

  // Follows a running round until it has finished.
  useEffect(() => {
    if (!round || ![MatchingRoundState.PENDING, MatchingRoundState.RUNNING].includes(round.state)) return;
    const timer = setTimeout(() => matching.getMatchingRound({ name: round.name }).then((r) => setRound(r.matchingRound!), fail), 500);
    return () => clearTimeout(timer);
  }, [round]);

  const done = round?.state === MatchingRoundState.SUCCEEDED || round?.state === MatchingRoundState.COMMITTED;
  const pageToken = pages[pages.length - 1];
  useEffect(() => {
    if (!round || !done) return;
    matching.listMatchingRoundProposals({ parent: round.name, pageSize: PAGE_SIZE, pageToken }).then((r) => {
      setProposals(r.proposals);
      setNext(r.nextPageToken);
    }, fail);
  }, [round?.name, round?.state, done, pageToken]);
  useEffect(() => {
    if (!round || !done) return;
    matching.listWaitingNewcomers({ parent: round.name, pageSize: 20 }).then((r) => setWaiting(r.waitingNewcomers), fail);
  }, [round?.name, done]);

  const run = async () => {
    setError(null);
    setPages([""]);
    setSelected([]);
    try {
      setRound((await matching.runMatchingRound({ parent: `chapters/${chapter}`, requestId: requestId() })).matchingRound!);
    } catch (e) {
      fail(e);
    }
  };
  const commit = async (only: string[]) => {
    setError(null);
    try {
      setRound((await matching.commitMatchingRound({ name: round!.name, proposals: only, requestId: requestId() })).matchingRound!);
      setSelected([]);
      await loadBoard();
    } catch (e) {
      fail(e);
    }
  };

  return (
    <section aria-labelledby="match-h">
      <h1 id="match-h">{t("matching")}</h1>
      <ErrorBanner error={error} />
      <button type="button" onClick={run} disabled={!!round && !done && round.state !== MatchingRoundState.FAILED}>
        {t("runRound")}
      </button>
      {round && (
        <div>
          <label for="round-progress">{t("roundProgress")}: {enumText("MatchingRoundPhase", round.phase, lang)} · {enumText("MatchingRoundState", round.state, lang)}</label>{" "}
          <progress id="round-progress" max={100} value={round.progressPercent}>{round.progressPercent} %</progress>
          {round.figures && <p class="muted">{round.figures.matched} / {round.figures.newcomersReady}</p>}
        </div>
      )}
      {done && (
        <>
          <h2>{t("proposals")}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col" style="width: 4em">{t("select")}</th>
                <th scope="col">{t("newcomerCol")}</th>
                <th scope="col">{t("residentCol")}</th>
                <th scope="col" style="width: 40%">{t("score")}</th>
              </tr>
            </thead>
            <tbody>
              {proposals.map((p) => (
                <tr key={p.name} data-proposal={p.name} data-newcomer={p.newcomer} data-resident={p.establishedResident}>
                  <td>
                    {p.match ? t("committed") : (
                      <input type="checkbox" aria-label={t("select")} checked={selected.includes(p.name)}
                        onChange={() => setSelected(selected.includes(p.name) ? selected.filter((x) => x !== p.name) : [...selected, p.name])} />
                    )}
                  </td>
                  <td><Name of={p.newcomer} /></td>
                  <td><Name of={p.establishedResident} /></td>
                  <td><ScoreBars score={p.score} /></td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="actions">
            <button type="button" class="secondary" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>{t("previous")}</button>
            <button type="button" class="secondary" disabled={!next} onClick={() => setPages([...pages, next])}>{t("next")}</button>
            <button type="button" disabled={!selected.length} onClick={() => commit(selected)}>{t("commitSelected")} ({selected.length})</button>
            <button type="button" disabled={round?.state !== MatchingRoundState.SUCCEEDED} onClick={() => commit([])}>{t("commitAll")}</button>
          </div>
          <h2>{t("whoWaits")}</h2>
          <ul>
            {waiting.map((w) => (
              <li key={w.newcomer}><Name of={w.newcomer} />: {enumText("WaitReason", w.reason, lang)}</li>
            ))}
          </ul>
        </>
      )}
      <h2 id="board-h">{t("matchBoard")}</h2>
      {done_ && (
        <p class="ok-banner" role="status">
          {done_.message}
          {done_.suggestFor && <> <a href={`#/suggest?participant=${encodeURIComponent(done_.suggestFor)}`}>{t("suggestions")}</a></>}
        </p>
      )}
      <table aria-labelledby="board-h">
        <thead>
          <tr>
            <th scope="col">{t("newcomerCol")}</th>
            <th scope="col">{t("residentCol")}</th>
            <th scope="col">{t("state")}</th>
            <th scope="col">{t("health")}</th>
            <th scope="col">{t("actions")}</th>
          </tr>
        </thead>
        <tbody>
          {board.map((m) => (
            <tr key={m.name} data-match={m.name} data-newcomer={m.newcomer} data-resident={m.establishedResident}>
              <td><Name of={m.newcomer} /></td>
              <td><Name of={m.establishedResident} /></td>
              <td data-state={MatchState[m.state]}>{enumText("MatchState", m.state, lang)}</td>
              <td>{m.followUp ? enumText("FollowUpStatus", m.followUp.status, lang) : ""}</td>
              <td><MatchActions match={m} onDone={(message, suggestFor) => { setDone({ message, suggestFor }); loadBoard(); }} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
