// The chapter's matching weights and programme settings: administrators change them,
// coordinators see them. Every field the service refuses is named at its field.
import { useEffect, useState } from "preact/hooks";
import { admin, matching } from "../lib/api";
import { showError, type ShownError } from "../lib/errors";
import type { Key } from "../lib/i18n";
import { LIMIT_FIELDS, PROGRAMME_FIELDS, type SettingsForm, WEIGHT_FIELDS, programmeFrom, snake, toForm, weightsFrom } from "../lib/settings";
import { ErrorBanner, Field, useT, useUi } from "../ui";

export function Settings(props: { role: string }) {
  const t = useT();
  const { lang, chapter } = useUi();
  const canChange = props.role === "administrator";
  const [form, setForm] = useState<SettingsForm | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [saved, setSaved] = useState(false);
  const load = async () => {
    const [w, p] = await Promise.all([
      admin.getMatchingWeights({ name: `chapters/${chapter}/matchingWeights` }),
      matching.getMatchingProgramme({ name: `chapters/${chapter}/matchingProgramme` }),
    ]);
    setForm(toForm(w.matchingWeights!, p.matchingProgramme!));
  };
  useEffect(() => {
    load().catch((e) => setError(showError(e, lang)));
  }, [chapter]);

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const { weights, paths } = weightsFrom(form!, chapter);
      await admin.updateMatchingWeights({ matchingWeights: weights, updateMask: { paths } });
      await matching.updateMatchingProgramme({ matchingProgramme: programmeFrom(form!, chapter) });
      await load();
      setSaved(true);
    } catch (err) {
      setError(showError(err, lang));
    }
  };
  const numberField = (f: keyof SettingsForm, field: string, attrs: { min: number; max: number; step?: number }) => (
    <Field key={f} label={t(f as Key)} field={field} error={error}>
      {(id, d, bad) => (
        <input id={id} type="number" inputMode="numeric" {...attrs} value={form![f] as string} disabled={!canChange}
          aria-describedby={d} aria-invalid={bad}
          onInput={(e) => setForm({ ...form!, [f]: (e.target as HTMLInputElement).value })} />
      )}
    </Field>
  );

  return (
    <section aria-labelledby="set-h">
      <h1 id="set-h">{t("settings")}</h1>
      {!canChange && <p class="muted">{t("settingsReadOnly")}</p>}
      <ErrorBanner error={error} />
      {saved && <p class="ok-banner" role="status">{t("saved")}</p>}
      {form && (
        <form onSubmit={save} noValidate>
          <fieldset>
            <legend>{t("weights")}</legend>
            <p class="muted">{t("weightsHelp")}</p>
            <div class="grid">
              {WEIGHT_FIELDS.map((f) => numberField(f, `matching_weights.${snake(f)}`, { min: 0, max: 100 }))}
            </div>
          </fieldset>
          <fieldset>
            <legend>{t("engineRules")}</legend>
            <div class="grid">
              {LIMIT_FIELDS.map((f) =>
                numberField(f, `matching_weights.${snake(f)}`, f === "maxDistanceKm" ? { min: 0, max: 500, step: 0.5 } : f === "minAge" ? { min: 16, max: 99 } : { min: 1, max: 50 }),
              )}
              {PROGRAMME_FIELDS.slice(2).map((f) => numberField(f, `matching_programme.${snake(f)}`, { min: 0, max: 3650 }))}
            </div>
          </fieldset>
          <fieldset>
            <legend>{t("programme")}</legend>
            <div class="grid">
              {numberField("proposalDeadlineDays", "matching_programme.proposal_deadline_days", { min: 1, max: 60 })}
              {numberField("periodMonths", "matching_programme.period_months", { min: 1, max: 24 })}
              <Field label={t("checkInDays")} field="matching_programme.check_in_days" error={error}>
                {(id, d, bad) => (
                  <input id={id} value={form.checkInDays} disabled={!canChange} aria-describedby={d} aria-invalid={bad}
                    onInput={(e) => setForm({ ...form, checkInDays: (e.target as HTMLInputElement).value })} />
                )}
              </Field>
              <label class="check">
                <input type="checkbox" checked={form.autoOfferNext} disabled={!canChange} onChange={() => setForm({ ...form, autoOfferNext: !form.autoOfferNext })} />
                {t("autoOfferNext")}
              </label>
            </div>
          </fieldset>
          {canChange && <button type="submit">{t("save")}</button>}
        </form>
      )}
    </section>
  );
}
