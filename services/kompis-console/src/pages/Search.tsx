// Find a person by name, phone or e-mail (participants and referrals not yet converted).
import { useState } from "preact/hooks";
import type { PersonFound } from "../gen/kompis/v1/participant_pb";
import { participants } from "../lib/api";
import { enumText } from "../lib/enums";
import { showError, type ShownError } from "../lib/errors";
import { ErrorBanner, Field, PersonLabel, useT, useUi } from "../ui";

export function Search() {
  const t = useT();
  const { lang, chapter } = useUi();
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<PersonFound[] | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const search = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setFound((await participants.searchPeople({ parent: `chapters/${chapter}`, query })).people);
    } catch (err) {
      setError(showError(err, lang));
      setFound(null);
    }
  };
  return (
    <section aria-labelledby="search-h">
      <h1 id="search-h">{t("search")}</h1>
      <form onSubmit={search} class="actions" role="search">
        <Field label={t("query")} field="query" error={error}>
          {(id, d, bad) => (
            <input id={id} type="search" value={query} aria-describedby={d} aria-invalid={bad}
              onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
          )}
        </Field>
        <div><button type="submit">{t("searchButton")}</button></div>
      </form>
      <ErrorBanner error={error} />
      {found && found.length === 0 && <p>{t("none")}</p>}
      {found && found.length > 0 && (
        <table>
          <thead>
            <tr><th scope="col">{t("name")}</th><th scope="col">{t("actions")}</th></tr>
          </thead>
          <tbody>
            {found.map((p) => (
              <tr key={p.name}>
                <td><PersonLabel name={p.personName?.displayName || `${p.personName?.givenName} ${p.personName?.familyName}`} /></td>
                <td>
                  {p.name.includes("/participants/") ? (
                    <a href={`#/interviews?participant=${encodeURIComponent(p.name)}`}>
                      {enumText("ParticipantState", p.participantState, lang)} · {t("bookInterview")}
                    </a>
                  ) : (
                    <a href="#/referrals">{t("referrals")}</a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
