// Register a person the coordinator met (not referred): name, contact, birth year,
// gender, district, role and consent. Every violation is shown at its field.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { Gender, ParticipantRole } from "../gen/kompis/v1/common_pb";
import { ParticipantSchema } from "../gen/kompis/v1/participant_pb";
import { participants, requestId } from "../lib/api";
import { showError, type ShownError } from "../lib/errors";
import { ErrorBanner, Field, useT, useUi } from "../ui";
import { DistrictSelect } from "./DistrictSelect";

export function Register() {
  const t = useT();
  const { lang, chapter } = useUi();
  const [f, setF] = useState({ given: "", family: "", phone: "", email: "", birth: "", gender: "0", district: "", role: "1", consent: false, version: "2026-01" });
  const [error, setError] = useState<ShownError | null>(null);
  const [created, setCreated] = useState("");
  const [key] = useState(requestId());
  const set = (k: keyof typeof f) => (e: Event) => {
    const el = e.target as HTMLInputElement;
    setF({ ...f, [k]: el.type === "checkbox" ? el.checked : el.value });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const participant = create(ParticipantSchema, {
        role: Number(f.role) as ParticipantRole,
        personName: { givenName: f.given, familyName: f.family },
        contact: { phone: f.phone, email: f.email },
        birthYear: Number(f.birth) || 0,
        gender: Number(f.gender) as Gender,
        district: f.district,
        consent: f.consent ? { giveTime: timestampFromDate(new Date()), textVersion: f.version } : undefined,
      });
      const res = await participants.createParticipant({ parent: `chapters/${chapter}`, participant, requestId: key });
      setCreated(res.participant!.name);
    } catch (err) {
      setError(showError(err, lang));
    }
  };
  return (
    <section aria-labelledby="reg-h">
      <h1 id="reg-h">{t("register")}</h1>
      <ErrorBanner error={error} />
      {created && (
        <p class="ok-banner" role="status">
          {t("saved")} <a href={`#/interviews?participant=${encodeURIComponent(created)}`}>{t("bookInterview")}</a>
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <div class="grid">
          <Field label={t("participantRole")} field="participant.role" error={error}>
            {(id, d, bad) => (
              <select id={id} value={f.role} onChange={set("role")} aria-describedby={d} aria-invalid={bad}>
                <option value={String(ParticipantRole.NEWCOMER)}>{t("newcomer")}</option>
                <option value={String(ParticipantRole.ESTABLISHED_RESIDENT)}>{t("resident")}</option>
              </select>
            )}
          </Field>
          <Field label={t("givenName")} field="participant.person_name.given_name" error={error}>
            {(id, d, bad) => <input id={id} dir="auto" value={f.given} onInput={set("given")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
          <Field label={t("familyName")} field="participant.person_name.family_name" error={error}>
            {(id, d, bad) => <input id={id} dir="auto" value={f.family} onInput={set("family")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
          <Field label={t("phone")} field="participant.contact.phone" error={error}>
            {(id, d, bad) => <input id={id} type="tel" value={f.phone} onInput={set("phone")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
          <Field label={t("email")} field="participant.contact.email" error={error}>
            {(id, d, bad) => <input id={id} type="email" value={f.email} onInput={set("email")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
          <Field label={t("birthYear")} field="participant.birth_year" error={error}>
            {(id, d, bad) => <input id={id} inputMode="numeric" value={f.birth} onInput={set("birth")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
          <Field label={t("gender")} field="participant.gender" error={error}>
            {(id, d, bad) => (
              <select id={id} value={f.gender} onChange={set("gender")} aria-describedby={d} aria-invalid={bad}>
                <option value="0">–</option>
                <option value={String(Gender.FEMALE)}>{lang === "sv" ? "Kvinna" : "Female"}</option>
                <option value={String(Gender.MALE)}>{lang === "sv" ? "Man" : "Male"}</option>
                <option value={String(Gender.NON_BINARY)}>{lang === "sv" ? "Icke-binär" : "Non-binary"}</option>
                <option value={String(Gender.UNDISCLOSED)}>{lang === "sv" ? "Vill inte ange" : "Undisclosed"}</option>
              </select>
            )}
          </Field>
          <Field label={t("district")} field="participant.district" error={error}>
            {(id, d, bad) => <DistrictSelect id={id} value={f.district} onChange={(v) => setF({ ...f, district: v })} describedBy={d} invalid={bad} />}
          </Field>
          <Field label={t("consentVersion")} field="participant.consent.text_version" error={error}>
            {(id, d, bad) => <input id={id} value={f.version} onInput={set("version")} aria-describedby={d} aria-invalid={bad} />}
          </Field>
        </div>
        <Field label={t("consentGiven")} field="participant.consent" error={error}>
          {(id, d, bad) => <input id={id} type="checkbox" checked={f.consent} onChange={set("consent")} aria-describedby={d} aria-invalid={bad} />}
        </Field>
        <button type="submit">{t("save")}</button>
      </form>
    </section>
  );
}
