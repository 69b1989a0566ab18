// Recording an interview on one form: every profile field (languages and levels,
// Swedish level, interests from the chapter's taxonomy, availability as a weekday ×
// part-of-day grid, wishes with strength, capacity, children), eligibility, notes and
// the outcome. An approved newcomer goes onto the waiting list.
import { useEffect, useState } from "preact/hooks";
import type { Interest } from "../gen/kompis/v1/admin_pb";
import { type Interview, InterviewOutcome } from "../gen/kompis/v1/interview_pb";
import { LanguageLevel, MeetingPreference, WishKind, WishStrength } from "../gen/kompis/v1/common_pb";
import { admin, interviews, requestId } from "../lib/api";
import { showError, type ShownError } from "../lib/errors";
import { dictionaries, type Key } from "../lib/i18n";
import { DAY_PARTS, WEEKDAYS, WISH_KINDS, formToProfile, profileToForm, type ProfileForm } from "../lib/profile";
import { ErrorBanner, Field, PersonLabel, Violation, useT, useUi } from "../ui";
import { DistrictSelect } from "./DistrictSelect";

const LEVELS: Array<[LanguageLevel, string]> = [
  [LanguageLevel.A1, "A1"], [LanguageLevel.A2, "A2"], [LanguageLevel.B1, "B1"], [LanguageLevel.B2, "B2"],
  [LanguageLevel.C1, "C1"], [LanguageLevel.C2, "C2"], [LanguageLevel.NATIVE, "native"],
];
const WISH_LABEL: Record<number, Key> = {
  [WishKind.SAME_GENDER]: "sameGender", [WishKind.AGE_RANGE]: "ageRange",
  [WishKind.FAMILY_MATCH]: "familyMatch", [WishKind.HAS_CHILDREN]: "hasChildrenWish",
};
const PART_LABEL: Key[] = ["morning", "afternoon", "evening"];

export function RecordInterview(props: { name: string }) {
  const t = useT();
  const { lang, chapter } = useUi();
  const [interview, setInterview] = useState<Interview | null>(null);
  const [interests, setInterests] = useState<Interest[]>([]);
  const [p, setP] = useState<ProfileForm>(profileToForm(undefined));
  const [elig, setElig] = useState({ age: true, rules: true });
  const [notes, setNotes] = useState("");
  const [outcome, setOutcome] = useState(InterviewOutcome.APPROVED);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<ShownError | null>(null);
  const [done, setDone] = useState(false);
  const [key] = useState(requestId());

  useEffect(() => {
    interviews.getInterview({ name: props.name }).then((r) => {
      setInterview(r.interview!);
      setP(profileToForm(r.interview!.profile));
    }, (e) => setError(showError(e, lang)));
    admin.listInterests({ parent: `chapters/${chapter}`, pageSize: 200 }).then((r) => setInterests(r.interests), () => {});
  }, [props.name]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await interviews.recordInterview({
        name: props.name,
        profile: formToProfile(p),
        eligibility: { meetsMinimumAge: elig.age, meetsChapterRules: elig.rules },
        notes,
        outcome,
        outcomeReason: reason,
        requestId: key,
      });
      setDone(true);
    } catch (err) {
      setError(showError(err, lang));
    }
  };
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const weekdays = dictionaries[lang].weekdays;

  return (
    <section aria-labelledby="rec-h">
      <h1 id="rec-h">
        {t("recordInterview")}: {interview && <PersonLabel name={interview.participantDisplayName} />}
      </h1>
      <ErrorBanner error={error} />
      {done && (
        <p class="ok-banner" role="status">
          {t("saved")} <a href="#/waiting">{t("waitingList")}</a>
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <fieldset>
          <legend>{t("languages")}</legend>
          {p.languages.map((l, i) => (
            <div class="actions" key={i}>
              <Field label={`${t("languageCode")} ${i + 1}`} field={`profile.languages[${i}]`} error={error}>
                {(id, d, bad) => (
                  <input id={id} value={l.code} size={6} aria-describedby={d} aria-invalid={bad}
                    onInput={(e) => setP({ ...p, languages: p.languages.map((x, j) => (j === i ? { ...x, code: (e.target as HTMLInputElement).value } : x)) })} />
                )}
              </Field>
              <Field label={`${t("level")} ${i + 1}`} field={`profile.languages[${i}].level`} error={null}>
                {(id) => (
                  <select id={id} value={String(l.level)}
                    onChange={(e) => setP({ ...p, languages: p.languages.map((x, j) => (j === i ? { ...x, level: Number((e.target as HTMLSelectElement).value) } : x)) })}>
                    {LEVELS.map(([v, label]) => <option key={v} value={String(v)}>{label}</option>)}
                  </select>
                )}
              </Field>
              <div><button type="button" class="secondary" onClick={() => setP({ ...p, languages: p.languages.filter((_, j) => j !== i) })}>{t("remove")}</button></div>
            </div>
          ))}
          <Violation field="profile.languages" error={error} />
          <button type="button" class="secondary" onClick={() => setP({ ...p, languages: [...p.languages, { code: "", level: LanguageLevel.NATIVE }] })}>
            {t("addLanguage")}
          </button>
        </fieldset>

        <div class="grid">
          <Field label={t("swedishLevel")} field="profile.swedish_level" error={error}>
            {(id, d, bad) => (
              <select id={id} value={p.swedish} aria-describedby={d} aria-invalid={bad} onChange={(e) => setP({ ...p, swedish: (e.target as HTMLSelectElement).value })}>
                <option value="">–</option>
                <option value="sfi:1">SFI A</option><option value="sfi:2">SFI B</option>
                <option value="sfi:3">SFI C</option><option value="sfi:4">SFI D</option>
                {LEVELS.map(([v, label]) => <option key={v} value={`cefr:${v}`}>CEFR {label}</option>)}
              </select>
            )}
          </Field>
          <Field label={t("district")} field="profile.district" error={error}>
            {(id, d, bad) => <DistrictSelect id={id} value={p.district} onChange={(v) => setP({ ...p, district: v })} describedBy={d} invalid={bad} />}
          </Field>
          <Field label={t("meeting")} field="profile.meeting_preference" error={error}>
            {(id, d, bad) => (
              <select id={id} value={String(p.meeting)} aria-describedby={d} aria-invalid={bad} onChange={(e) => setP({ ...p, meeting: Number((e.target as HTMLSelectElement).value) })}>
                <option value={String(MeetingPreference.IN_PERSON)}>{t("inPerson")}</option>
                <option value={String(MeetingPreference.ONLINE)}>{t("online")}</option>
                <option value={String(MeetingPreference.BOTH)}>{t("both")}</option>
              </select>
            )}
          </Field>
          <Field label={t("capacity")} field="profile.buddy_capacity" error={error}>
            {(id, d, bad) => <input id={id} type="number" min={0} max={5} value={p.capacity} aria-describedby={d} aria-invalid={bad} onInput={(e) => setP({ ...p, capacity: (e.target as HTMLInputElement).value })} />}
          </Field>
        </div>
        <Field label={t("hasChildren")} field="profile.has_children" error={error}>
          {(id) => <input id={id} type="checkbox" checked={p.hasChildren} onChange={(e) => setP({ ...p, hasChildren: (e.target as HTMLInputElement).checked })} />}
        </Field>

        <fieldset>
          <legend>{t("interests")}</legend>
          <div class="grid">
            {interests.map((i) => (
              <label key={i.name}>
                <input type="checkbox" checked={p.interests.includes(i.name)} onChange={() => setP({ ...p, interests: toggle(p.interests, i.name) })} /> {i.displayName}
              </label>
            ))}
          </div>
          <Field label={t("freeTags")} field="profile.free_tags" error={error}>
            {(id, d, bad) => <input id={id} value={p.freeTags} aria-describedby={d} aria-invalid={bad} onInput={(e) => setP({ ...p, freeTags: (e.target as HTMLInputElement).value })} />}
          </Field>
          <Violation field="profile.interests" error={error} />
        </fieldset>

        <fieldset>
          <legend>{t("availability")}</legend>
          <table class="availability">
            <thead>
              <tr><td></td>{PART_LABEL.map((k) => <th scope="col" key={k}>{t(k)}</th>)}</tr>
            </thead>
            <tbody>
              {WEEKDAYS.map((w, wi) => (
                <tr key={w}>
                  <th scope="row">{weekdays[wi]}</th>
                  {DAY_PARTS.map((dp, pi) => {
                    const k = `${w}:${dp}`;
                    return (
                      <td key={k}>
                        <input type="checkbox" aria-label={`${weekdays[wi]} ${t(PART_LABEL[pi])}`} checked={p.availability.includes(k)}
                          onChange={() => setP({ ...p, availability: toggle(p.availability, k) })} />
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          <Violation field="profile.availability" error={error} />
        </fieldset>

        <fieldset>
          <legend>{t("wishes")}</legend>
          <div class="grid">
            {WISH_KINDS.map((k) => (
              <Field key={k} label={t(WISH_LABEL[k])} field={`profile.wishes[${WISH_KINDS.indexOf(k)}]`} error={error}>
                {(id, d, bad) => (
                  <select id={id} value={String(p.wishes[k] ?? 0)} aria-describedby={d} aria-invalid={bad}
                    onChange={(e) => setP({ ...p, wishes: { ...p.wishes, [k]: Number((e.target as HTMLSelectElement).value) } })}>
                    <option value="0">{t("noWish")}</option>
                    <option value={String(WishStrength.SOFT)}>{t("soft")}</option>
                    <option value={String(WishStrength.HARD)}>{t("hard")}</option>
                  </select>
                )}
              </Field>
            ))}
            <Field label={t("minAge")} field="profile.wishes.age_range.min_age" error={error}>
              {(id, d, bad) => <input id={id} inputMode="numeric" value={p.minAge} aria-describedby={d} aria-invalid={bad} onInput={(e) => setP({ ...p, minAge: (e.target as HTMLInputElement).value })} />}
            </Field>
            <Field label={t("maxAge")} field="profile.wishes.age_range.max_age" error={error}>
              {(id, d, bad) => <input id={id} inputMode="numeric" value={p.maxAge} aria-describedby={d} aria-invalid={bad} onInput={(e) => setP({ ...p, maxAge: (e.target as HTMLInputElement).value })} />}
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>{t("eligibility")}</legend>
          <label><input type="checkbox" checked={elig.age} onChange={(e) => setElig({ ...elig, age: (e.target as HTMLInputElement).checked })} /> {t("minimumAge")}</label>
          <br />
          <label><input type="checkbox" checked={elig.rules} onChange={(e) => setElig({ ...elig, rules: (e.target as HTMLInputElement).checked })} /> {t("chapterRules")}</label>
        </fieldset>

        <Field label={t("notes")} field="notes" error={error}>
          {(id, d, bad) => <textarea id={id} rows={3} value={notes} aria-describedby={d} aria-invalid={bad} onInput={(e) => setNotes((e.target as HTMLTextAreaElement).value)} />}
        </Field>
        <fieldset>
          <legend>{t("outcome")}</legend>
          {([[InterviewOutcome.APPROVED, "approved"], [InterviewOutcome.NEEDS_FOLLOW_UP, "followUp"], [InterviewOutcome.NOT_SUITABLE, "notSuitable"]] as const).map(([v, k]) => (
            <label key={v} style="margin-inline-end: 16px">
              <input type="radio" name="outcome" checked={outcome === v} onChange={() => setOutcome(v)} /> {t(k)}
            </label>
          ))}
          <Violation field="outcome" error={error} />
        </fieldset>
        <Field label={t("outcomeReason")} field="outcome_reason" error={error}>
          {(id, d, bad) => <input id={id} value={reason} aria-describedby={d} aria-invalid={bad} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />}
        </Field>
        <button type="submit">{t("record")}</button>
      </form>
    </section>
  );
}
