// Interviews in a day or week calendar with the participants' names, and booking one
// for a participant (prefilled when coming from the referral inbox or the search).
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { type Interview, InterviewMode, InterviewSchema, InterviewState } from "../gen/kompis/v1/interview_pb";
import { interviews, requestId } from "../lib/api";
import { addDays, byDay, startOfDay, toLocalInput, visibleDays } from "../lib/calendar";
import { showError, type ShownError } from "../lib/errors";
import { dictionaries } from "../lib/i18n";
import { ErrorBanner, Field, PersonLabel, useT, useUi } from "../ui";

function when(i: Interview): Date | undefined {
  return i.scheduleTime ? timestampDate(i.scheduleTime) : undefined;
}

export function Interviews(props: { participant: string }) {
  const t = useT();
  const { lang, chapter } = useUi();
  const [view, setView] = useState<"day" | "week">("week");
  const [anchor, setAnchor] = useState(startOfDay(new Date()));
  const [list, setList] = useState<Interview[]>([]);
  const [error, setError] = useState<ShownError | null>(null);
  const [bookError, setBookError] = useState<ShownError | null>(null);
  const [booked, setBooked] = useState<Interview | null>(null);
  const [form, setForm] = useState({
    participant: props.participant,
    time: toLocalInput(addDays(startOfDay(new Date()), 1)).replace(/T00:00$/, "T10:00"),
    mode: String(InterviewMode.IN_PERSON),
    location: "",
  });
  const days = visibleDays(anchor, view);

  const load = async () => {
    try {
      const res = await interviews.listInterviews({
        parent: `chapters/${chapter}/participants/-`,
        state: InterviewState.BOOKED,
        scheduleTimeAfter: timestampFromDate(days[0]),
        scheduleTimeBefore: timestampFromDate(addDays(days[days.length - 1], 1)),
        pageSize: 200,
      });
      setList(res.interviews);
      setError(null);
    } catch (e) {
      setError(showError(e, lang));
    }
  };
  useEffect(() => {
    load();
  }, [anchor.getTime(), view, chapter]);

  const book = async (e: Event) => {
    e.preventDefault();
    setBookError(null);
    try {
      const res = await interviews.bookInterview({
        parent: form.participant,
        interview: create(InterviewSchema, {
          scheduleTime: form.time ? timestampFromDate(new Date(form.time)) : undefined,
          mode: Number(form.mode) as InterviewMode,
          location: form.location,
        }),
        requestId: requestId(),
      });
      setBooked(res.interview!);
      setAnchor(startOfDay(when(res.interview!)!));
      await load();
    } catch (err) {
      setBookError(showError(err, lang));
    }
  };

  const weekdays = dictionaries[lang].weekdays;
  return (
    <section aria-labelledby="int-h">
      <h1 id="int-h">{t("interviews")}</h1>
      <form onSubmit={book} aria-labelledby="book-h" noValidate>
        <h2 id="book-h">{t("bookInterview")}</h2>
        <ErrorBanner error={bookError} />
        {booked && (
          <p class="ok-banner" role="status">
            {t("saved")} <a href={`#/record?name=${encodeURIComponent(booked.name)}`}>{t("record")}</a>
          </p>
        )}
        <div class="grid">
          <Field label={t("participant")} field="parent" error={bookError}>
            {(id, d, bad) => (
              <input id={id} value={form.participant} aria-describedby={d} aria-invalid={bad}
                onInput={(e) => setForm({ ...form, participant: (e.target as HTMLInputElement).value })} />
            )}
          </Field>
          <Field label={t("when")} field="interview.schedule_time" error={bookError}>
            {(id, d, bad) => (
              <input id={id} type="datetime-local" value={form.time} aria-describedby={d} aria-invalid={bad}
                onInput={(e) => setForm({ ...form, time: (e.target as HTMLInputElement).value })} />
            )}
          </Field>
          <Field label={t("mode")} field="interview.mode" error={bookError}>
            {(id, d, bad) => (
              <select id={id} value={form.mode} aria-describedby={d} aria-invalid={bad}
                onChange={(e) => setForm({ ...form, mode: (e.target as HTMLSelectElement).value })}>
                <option value={String(InterviewMode.IN_PERSON)}>{t("inPerson")}</option>
                <option value={String(InterviewMode.VIDEO)}>{t("video")}</option>
                <option value={String(InterviewMode.PHONE)}>{t("phoneMode")}</option>
              </select>
            )}
          </Field>
          <Field label={t("location")} field="interview.location" error={bookError}>
            {(id, d, bad) => (
              <input id={id} value={form.location} aria-describedby={d} aria-invalid={bad}
                onInput={(e) => setForm({ ...form, location: (e.target as HTMLInputElement).value })} />
            )}
          </Field>
        </div>
        <button type="submit">{t("bookInterview")}</button>
      </form>

      <h2 id="cal-h">
        {view === "day" ? t("day") : t("week")}: {days[0].toLocaleDateString(lang)}
        {view === "week" ? ` – ${days[6].toLocaleDateString(lang)}` : ""}
      </h2>
      <div class="actions" role="group" aria-labelledby="cal-h">
        <button type="button" class="secondary" onClick={() => setAnchor(addDays(anchor, view === "day" ? -1 : -7))}>{t("previous")}</button>
        <button type="button" class="secondary" onClick={() => setAnchor(startOfDay(new Date()))}>{t("today")}</button>
        <button type="button" class="secondary" onClick={() => setAnchor(addDays(anchor, view === "day" ? 1 : 7))}>{t("next")}</button>
        <button type="button" aria-pressed={view === "day"} class={view === "day" ? "" : "secondary"} onClick={() => setView("day")}>{t("day")}</button>
        <button type="button" aria-pressed={view === "week"} class={view === "week" ? "" : "secondary"} onClick={() => setView("week")}>{t("week")}</button>
      </div>
      <ErrorBanner error={error} />
      <div class={`calendar ${view}`}>
        {byDay(list, days, when).map((items, i) => (
          <div class="day" key={days[i].getTime()}>
            <h3>
              {weekdays[(days[i].getDay() + 6) % 7]} {days[i].getDate()}/{days[i].getMonth() + 1}
            </h3>
            {items.map((iv) => (
              <a class="slot" key={iv.name} href={`#/record?name=${encodeURIComponent(iv.name)}`}>
                {when(iv)!.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" })}{" "}
                <PersonLabel name={iv.participantDisplayName} />
              </a>
            ))}
          </div>
        ))}
      </div>
    </section>
  );
}
