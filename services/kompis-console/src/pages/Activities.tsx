// Activities: create one, invite an audience, follow the answers, the waitlist and
// attendance, and record answers given in person and who came.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { type Activity, ActivityKind, ActivitySchema, Attendance, type Invitation, Rsvp } from "../gen/kompis/v1/activity_pb";
import { ParticipantRole } from "../gen/kompis/v1/common_pb";
import { ParticipantState } from "../gen/kompis/v1/participant_pb";
import { activities, participants, requestId } from "../lib/api";
import { addDays, startOfDay, toLocalInput } from "../lib/calendar";
import { showError, type ShownError } from "../lib/errors";
import { ErrorBanner, Field, PersonLabel, useT, useUi } from "../ui";
import { DistrictSelect } from "./DistrictSelect";

function Name(props: { of: string }) {
  const [name, setName] = useState("…");
  useEffect(() => {
    participants.getParticipant({ name: props.of }).then(
      (r) => setName(`${r.participant?.personName?.givenName ?? ""} ${r.participant?.personName?.familyName ?? ""}`.trim()),
      () => setName(props.of.split("/").pop() ?? ""),
    );
  }, [props.of]);
  return <PersonLabel name={name} />;
}

export function Activities() {
  const t = useT();
  const { lang, chapter } = useUi();
  const tomorrow = addDays(startOfDay(new Date()), 1);
  const [f, setF] = useState({ title: "", start: toLocalInput(new Date(tomorrow.getTime() + 17 * 3600e3)), end: toLocalInput(new Date(tomorrow.getTime() + 19 * 3600e3)), location: "", district: "", capacity: "0" });
  const [activity, setActivity] = useState<Activity | null>(null);
  const [list, setList] = useState<Activity[]>([]);
  const [audience, setAudience] = useState({ role: "0", district: "" });
  const [invited, setInvited] = useState<number | null>(null);
  // What the audience chosen would invite (counted by the service, nothing sent).
  // The audience's size, with the audience it was counted for: a count arriving for an
  // audience since changed is never shown as the current one.
  const [size, setSize] = useState<{ created: number; already: number; role: string; district: string } | null>(null);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [error, setError] = useState<ShownError | null>(null);
  const fail = (e: unknown) => setError(showError(e, lang));

  const loadList = () => activities.listActivities({ parent: `chapters/${chapter}`, pageSize: 50 }).then((r) => setList(r.activities), fail);
  const loadInvitations = async (a: Activity) => {
    const r = await activities.listInvitations({ parent: a.name, pageSize: 500 });
    setInvitations(r.invitations);
    setActivity((await activities.getActivity({ name: a.name })).activity!);
  };
  useEffect(() => {
    loadList();
  }, [chapter]);

  const createActivity = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const res = await activities.createActivity({
        parent: `chapters/${chapter}`,
        activity: create(ActivitySchema, {
          kind: ActivityKind.GROUP_ACTIVITY, title: f.title, location: f.location, district: f.district, free: true,
          capacity: Number(f.capacity) || 0,
          startTime: f.start ? timestampFromDate(new Date(f.start)) : undefined,
          endTime: f.end ? timestampFromDate(new Date(f.end)) : undefined,
        }),
        requestId: requestId(),
      });
      setActivity(res.activity!);
      setInvitations([]);
      setInvited(null);
      loadList();
    } catch (err) {
      fail(err);
    }
  };
  const selection = () => ({
    roles: audience.role === "0" ? [] : [Number(audience.role) as ParticipantRole],
    states: [ParticipantState.READY, ParticipantState.MATCHED],
    districts: audience.district ? [audience.district] : [],
  });
  // The audience's size, asked again whenever the audience or the invitations change.
  useEffect(() => {
    setSize(null);
    if (!activity) return;
    let current = true;
    const counted = { role: audience.role, district: audience.district };
    activities.inviteParticipants({ activity: activity.name, audience: selection(), validateOnly: true }).then(
      (r) => current && setSize({ created: r.createdCount, already: r.alreadyInvitedCount, ...counted }),
      () => {},
    );
    return () => {
      current = false;
    };
  }, [activity?.name, activity?.invitedCount, audience.role, audience.district]);
  const shown = size && size.role === audience.role && size.district === audience.district ? size : null;
  const invite = async () => {
    setError(null);
    try {
      const res = await activities.inviteParticipants({
        activity: activity!.name,
        audience: selection(),
        requestId: requestId(),
      });
      setInvited(res.createdCount);
      await loadInvitations(activity!);
    } catch (err) {
      fail(err);
    }
  };
  const act = async (f: () => Promise<unknown>) => {
    setError(null);
    try {
      await f();
      await loadInvitations(activity!);
    } catch (err) {
      fail(err);
    }
  };
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const rsvpLabel = (r: Rsvp) => ({ [Rsvp.YES]: t("yes"), [Rsvp.NO]: t("no"), [Rsvp.WAITLISTED]: t("waitlist") } as Record<number, string>)[r] ?? "–";

  return (
    <section aria-labelledby="act-h">
      <h1 id="act-h">{t("activities")}</h1>
      <ErrorBanner error={error} />
      <form onSubmit={createActivity} noValidate aria-labelledby="create-h">
        <h2 id="create-h">{t("createActivity")}</h2>
        <div class="grid">
          <Field label={t("title")} field="activity.title" error={error}>
            {(id, d, bad) => <input id={id} value={f.title} onInput={set("title")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
          <Field label={t("start")} field="activity.start_time" error={error}>
            {(id, d, bad) => <input id={id} type="datetime-local" value={f.start} onInput={set("start")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
          <Field label={t("end")} field="activity.end_time" error={error}>
            {(id, d, bad) => <input id={id} type="datetime-local" value={f.end} onInput={set("end")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
          <Field label={t("location")} field="activity.location" error={error}>
            {(id, d, bad) => <input id={id} value={f.location} onInput={set("location")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
          <Field label={t("seats")} field="activity.capacity" error={error}>
            {(id, d, bad) => <input id={id} type="number" min={0} value={f.capacity} onInput={set("capacity")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
        </div>
        <button type="submit">{t("createActivity")}</button>
      </form>

      {list.length > 0 && (
        <ul>
          {list.map((a) => (
            <li key={a.name}>
              <button type="button" class="secondary" aria-pressed={activity?.name === a.name} onClick={() => loadInvitations(a).catch(fail)}>
                {a.title}
              </button>
            </li>
          ))}
        </ul>
      )}

      {activity && (
        <section aria-labelledby="one-h">
          <h2 id="one-h">{activity.title}</h2>
          <p data-counts>
            {activity.invitedCount} {t("invited")} · {t("yes")}: {activity.yesCount} · {t("seats")}: {activity.capacity || "∞"}
          </p>
          <fieldset>
            <legend>{t("audience")}</legend>
            <div class="grid">
              <div class="field">
                <label for="aud-role">{t("participantRole")}</label>
                <select id="aud-role" value={audience.role} onChange={(e) => setAudience({ ...audience, role: (e.target as HTMLSelectElement).value })}>
                  <option value="0">{t("everyone")}</option>
                  <option value={String(ParticipantRole.NEWCOMER)}>{t("newcomer")}</option>
                  <option value={String(ParticipantRole.ESTABLISHED_RESIDENT)}>{t("resident")}</option>
                </select>
              </div>
              <div class="field">
                <label for="aud-district">{t("district")}</label>
                <DistrictSelect id="aud-district" value={audience.district} onChange={(v) => setAudience({ ...audience, district: v })} />
              </div>
            </div>
            <p
              role="status"
              data-audience-size={shown?.created ?? ""}
              data-audience-role={shown?.role ?? ""}
              data-audience-district={shown?.district ?? ""}
            >
              {shown ? `${shown.created} ${t("willBeInvited")}${shown.already ? ` · ${shown.already} ${t("alreadyInvited")}` : ""}` : t("counting")}
            </p>
            <button type="button" onClick={invite} disabled={!shown || shown.created === 0}>{t("invite")}{shown ? ` (${shown.created})` : ""}</button>
            {invited !== null && <p role="status" data-invited={invited}>{invited} {t("invited")}</p>}
          </fieldset>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("name")}</th>
                <th scope="col">{t("answer")}</th>
                <th scope="col">{t("waitlist")}</th>
                <th scope="col">{t("attendance")}</th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((i) => (
                <tr key={i.name} data-invitation={i.name} data-rsvp={Rsvp[i.rsvp]}>
                  <td><Name of={i.participant} /></td>
                  <td>
                    <div class="actions">
                      <span>{rsvpLabel(i.rsvp)}</span>
                      <button type="button" class="secondary" onClick={() => act(() => activities.recordRsvp({ name: i.name, rsvp: Rsvp.YES, requestId: requestId() }))}>{t("yes")}</button>
                      <button type="button" class="secondary" onClick={() => act(() => activities.recordRsvp({ name: i.name, rsvp: Rsvp.NO, requestId: requestId() }))}>{t("no")}</button>
                    </div>
                  </td>
                  <td data-waitlist>{i.waitlistPosition || ""}</td>
                  <td>
                    {i.rsvp === Rsvp.YES && (
                      <div class="actions">
                        <span>{i.attendance === Attendance.ATTENDED ? t("attended") : i.attendance === Attendance.ABSENT ? t("absent") : ""}</span>
                        <button type="button" class="secondary" onClick={() => act(() => activities.recordAttendance({ activity: activity.name, records: [{ invitation: i.name, attendance: Attendance.ATTENDED }] }))}>{t("attended")}</button>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}
