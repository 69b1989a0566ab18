// Suggestions for one person: the engine's top candidates with its explanation as bars
// per criterion, and proposing one. A pair the engine refuses (someone found by name
// rather than suggested, or a pair that ended before) is proposed only with an override
// reason, which the service records on the match.
import { useEffect, useState } from "preact/hooks";
import type { Candidate } from "../gen/kompis/v1/matching_pb";
import { ParticipantRole } from "../gen/kompis/v1/common_pb";
import type { Participant, PersonFound } from "../gen/kompis/v1/participant_pb";
import { matching, participants, requestId } from "../lib/api";
import { enumText } from "../lib/enums";
import { showError, type ShownError } from "../lib/errors";
import { needsOverride } from "../lib/matching";
import { displayName, Name } from "../people";
import { ScoreBars } from "../score";
import { ErrorBanner, Field, PersonLabel, useT, useUi } from "../ui";

/** The pair for proposing `other` to `person`, whichever side each is on. */
function pairOf(person: Participant, other: string) {
  return person.role === ParticipantRole.NEWCOMER
    ? { newcomer: person.name, establishedResident: other }
    : { newcomer: other, establishedResident: person.name };
}

export function Suggestions(props: { participant: string }) {
  const t = useT();
  const { lang, chapter } = useUi();
  const [person, setPerson] = useState<Participant | null>(null);
  const [candidates, setCandidates] = useState<Candidate[] | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<PersonFound[] | null>(null);
  // The pair the engine refused, waiting for the coordinator's reason to override it.
  const [refused, setRefused] = useState<{ other: string; rule: string } | null>(null);
  const [overrideReason, setOverrideReason] = useState("");
  const [proposed, setProposed] = useState<string | null>(null);

  useEffect(() => {
    setError(null);
    setCandidates(null);
    participants.getParticipant({ name: props.participant }).then(
      (r) => setPerson(r.participant ?? null),
      (e) => setError(showError(e, lang)),
    );
    matching.suggestCandidates({ participant: props.participant, maxCandidates: 5 }).then(
      (r) => setCandidates(r.candidates),
      (e) => setError(showError(e, lang)),
    );
  }, [props.participant]);

  const propose = async (other: string, reason = "") => {
    setError(null);
    try {
      const res = await matching.createMatch({
        parent: `chapters/${chapter}`,
        match: pairOf(person!, other),
        overrideReason: reason,
        requestId: requestId(),
      });
      setRefused(null);
      setOverrideReason("");
      setProposed(res.match?.name ?? "");
    } catch (e) {
      const shown = showError(e, lang);
      if (!reason && needsOverride(shown.reason)) {
        setRefused({ other, rule: shown.message });
      } else {
        setError(shown);
      }
    }
  };
  const search = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const res = await participants.searchPeople({ parent: `chapters/${chapter}`, query });
      setFound(res.people.filter((p) => p.name.includes("/participants/") && p.name !== props.participant));
    } catch (err) {
      setError(showError(err, lang));
    }
  };

  const personName = person ? displayName(person.personName) : "…";
  return (
    <section aria-labelledby="sug-h">
      <h1 id="sug-h">
        {t("suggestionsFor")} <PersonLabel name={personName} />
      </h1>
      {person && <p class="muted">{enumText("ParticipantState", person.state, lang)}</p>}
      <ErrorBanner error={error} />
      {proposed !== null && (
        <p class="ok-banner" role="status">
          {t("proposedDone")} <a href="#/matching">{t("matchBoard")}</a>
        </p>
      )}
      {refused && (
        <form
          class="override"
          aria-labelledby="override-h"
          onSubmit={(e) => {
            e.preventDefault();
            propose(refused.other, overrideReason);
          }}
        >
          <h2 id="override-h">
            {t("engineRefuses")} <Name of={refused.other} />
          </h2>
          <p role="alert">{refused.rule}</p>
          <Field label={t("overrideReason")} field="override_reason" error={error}>
            {(id, d, bad) => (
              <textarea id={id} rows={2} maxLength={500} value={overrideReason} aria-describedby={d} aria-invalid={bad}
                onInput={(e) => setOverrideReason((e.target as HTMLTextAreaElement).value)} />
            )}
          </Field>
          <div class="actions">
            <button type="submit">{t("proposeAnyway")}</button>
            <button type="button" class="secondary" onClick={() => setRefused(null)}>{t("cancel")}</button>
          </div>
        </form>
      )}
      <h2>{t("candidates")}</h2>
      {candidates === null && !error && <p>{t("loading")}</p>}
      {candidates && candidates.length === 0 && <p>{t("noCandidates")}</p>}
      {candidates && candidates.length > 0 && (
        <ol class="candidates">
          {candidates.map((c) => {
            const other = person?.role === ParticipantRole.NEWCOMER ? c.establishedResident : c.newcomer;
            // The candidate's name as sent, else looked up (the engine may send ids only).
            const name = displayName(c.participant?.personName);
            return (
              <li key={other} data-candidate={other}>
                <div class="candidate-head">
                  <strong>{name ? <PersonLabel name={name} /> : <Name of={other} />}</strong>
                  <span>{t("score")}: {Math.round(c.score?.total ?? 0)} / 100</span>
                  <button type="button" disabled={!person} onClick={() => propose(other)}>
                    {t("propose")}
                  </button>
                </div>
                <ScoreBars score={c.score} />
              </li>
            );
          })}
        </ol>
      )}
      <form onSubmit={search} class="actions" role="search" aria-labelledby="other-h">
        <h2 id="other-h" class="full">{t("proposeSomeoneElse")}</h2>
        <Field label={t("query")} field="query" error={error}>
          {(id, d, bad) => (
            <input id={id} type="search" value={query} aria-describedby={d} aria-invalid={bad}
              onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
          )}
        </Field>
        <div><button type="submit">{t("searchButton")}</button></div>
      </form>
      {found && found.length === 0 && <p>{t("none")}</p>}
      {found && found.length > 0 && (
        <ul class="found">
          {found.map((p) => (
            <li key={p.name} data-person={p.name}>
              <PersonLabel name={displayName(p.personName)} />{" "}
              <span class="muted">{enumText("ParticipantState", p.participantState, lang)}</span>{" "}
              <button type="button" class="secondary" disabled={!person} onClick={() => propose(p.name)}>
                {t("propose")}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
