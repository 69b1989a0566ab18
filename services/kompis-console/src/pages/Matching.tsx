// Matching: run a round and watch its progress, review its proposals page by page with
// the score of each criterion as bars, see who is left waiting and why, commit all or a
// selection; the match board with each match's state and follow-up.
import { useEffect, useState } from "preact/hooks";
import {
  FollowUpStatus, type Match, MatchCriterion, MatchState, type MatchingRound, MatchingRoundPhase, type MatchingRoundProposal,
  MatchingRoundState, WaitReason, type WaitingNewcomer,
} from "../gen/kompis/v1/matching_pb";
import { matching, participants, requestId } from "../lib/api";
import { showError, type ShownError } from "../lib/errors";
import { ErrorBanner, PersonLabel, useT, useUi } from "../ui";

const PAGE_SIZE = 10;
const names = new Map<string, Promise<string>>();

/** A participant's display name, fetched once per page load. */
function nameOf(participant: string): Promise<string> {
  if (!names.has(participant)) {
    names.set(participant, participants.getParticipant({ name: participant }).then(
      (r) => r.participant?.personName?.displayName || `${r.participant?.personName?.givenName ?? ""} ${r.participant?.personName?.familyName ?? ""}`.trim(),
      () => participant.split("/").pop() ?? participant,
    ));
  }
  return names.get(participant)!;
}

function Name(props: { of: string }) {
  const [name, setName] = useState("…");
  useEffect(() => {
    nameOf(props.of).then(setName);
  }, [props.of]);
  return <PersonLabel name={name} />;
}

const enumLabel = (e: Record<number, string>, v: number) => (e[v] ?? "").toLowerCase().replace(/_/g, " ");

function ScoreBars(props: { p: MatchingRoundProposal }) {
  const criteria = props.p.score?.criteria ?? [];
  return (
    <div class="bars" aria-label={`${Math.round((props.p.score?.total ?? 0) * 100)} / 100`}>
      {criteria.map((c) => (
        <div class="bar" key={c.criterion} title={c.explanation}>
          <span>{enumLabel(MatchCriterion, c.criterion)}</span>
          <div class="track" role="img" aria-label={`${enumLabel(MatchCriterion, c.criterion)}: ${Math.round(c.score * 100)} %. ${c.explanation}`}>
            <div class="fill good" style={{ width: `${Math.round(c.score * 100)}%` }} />
          </div>
          <span>{Math.round(c.score * 100)}</span>
        </div>
      ))}
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
          <label for="round-progress">{t("roundProgress")}: {enumLabel(MatchingRoundPhase, round.phase)} · {enumLabel(MatchingRoundState, round.state)}</label>{" "}
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
                  <td><ScoreBars p={p} /></td>
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
              <li key={w.newcomer}><Name of={w.newcomer} />: {enumLabel(WaitReason, w.reason)}</li>
            ))}
          </ul>
        </>
      )}
      <h2 id="board-h">{t("matchBoard")}</h2>
      <table aria-labelledby="board-h">
        <thead>
          <tr>
            <th scope="col">{t("newcomerCol")}</th>
            <th scope="col">{t("residentCol")}</th>
            <th scope="col">{t("state")}</th>
            <th scope="col">{t("health")}</th>
          </tr>
        </thead>
        <tbody>
          {board.map((m) => (
            <tr key={m.name} data-match={m.name} data-newcomer={m.newcomer} data-resident={m.establishedResident}>
              <td><Name of={m.newcomer} /></td>
              <td><Name of={m.establishedResident} /></td>
              <td data-state={MatchState[m.state]}>{enumLabel(MatchState, m.state)}</td>
              <td>{m.followUp ? enumLabel(FollowUpStatus, m.followUp.status) : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
