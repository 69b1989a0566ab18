// The settings page's form values and the contract's messages, both ways.
import { create } from "@bufbuild/protobuf";
import { type MatchingWeights, MatchingWeightsSchema } from "../gen/kompis/v1/admin_pb";
import { type MatchingProgramme, MatchingProgrammeSchema } from "../gen/kompis/v1/matching_pb";

/** The weights of the engine's criteria, in the order the page shows them. */
export const WEIGHT_FIELDS = [
  "sharedInterests", "distance", "ageCloseness", "softWishes", "swedishLevelFit", "familySituation", "meetingPreference", "waitingTime",
] as const;
/** The engine's limits beside the weights. */
export const LIMIT_FIELDS = ["maxDistanceKm", "minAge", "topK"] as const;
/** The programme's numbers (the engine rules are optional in the contract). */
export const PROGRAMME_FIELDS = [
  "proposalDeadlineDays", "periodMonths", "minCommonSlots", "interestsForFullScore", "ageGapYears", "waitingDaysForFullScore",
] as const;

export type SettingsForm = Record<(typeof WEIGHT_FIELDS)[number] | (typeof LIMIT_FIELDS)[number] | (typeof PROGRAMME_FIELDS)[number], string> & {
  autoOfferNext: boolean;
  checkInDays: string;
};

/** The contract's field name (snake case) of a form field, for its violations. */
export function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The form showing `weights` and `programme`. */
export function toForm(weights: MatchingWeights, programme: MatchingProgramme): SettingsForm {
  const form = { autoOfferNext: programme.autoOfferNext, checkInDays: programme.checkInDays.join(", ") } as SettingsForm;
  for (const f of [...WEIGHT_FIELDS, ...LIMIT_FIELDS]) form[f] = String(weights[f]);
  for (const f of PROGRAMME_FIELDS) form[f] = programme[f] === undefined ? "" : String(programme[f]);
  return form;
}

/** Days as typed ("21, 35, 91"): numbers in the order given; a word that is not a
 * whole number stays in as NaN, so the service names it (never silently dropped). */
export function parseDays(text: string): number[] {
  return text.split(/[\s,;]+/).filter(Boolean).map((w) => (/^\d+$/.test(w) ? Number(w) : Number.NaN));
}

/** A number as typed; empty or not a number becomes NaN, sent as 0 or left unset. */
function num(text: string): number {
  return text.trim() === "" ? Number.NaN : Number(text);
}

/** The weights to send for chapter `chapter`, and the update mask naming every field. */
export function weightsFrom(form: SettingsForm, chapter: string): { weights: MatchingWeights; paths: string[] } {
  const weights = create(MatchingWeightsSchema, { name: `chapters/${chapter}/matchingWeights` });
  for (const f of [...WEIGHT_FIELDS, ...LIMIT_FIELDS]) {
    const n = num(form[f]);
    // An integer field cannot hold 1.5 or NaN: send what the service will refuse by name.
    (weights as unknown as Record<string, number>)[f] = Number.isNaN(n) ? -1 : f === "maxDistanceKm" ? n : Math.trunc(n);
  }
  return { weights, paths: [...WEIGHT_FIELDS, ...LIMIT_FIELDS].map(snake) };
}

/** The programme to send for chapter `chapter` (every field is replaced). */
export function programmeFrom(form: SettingsForm, chapter: string): MatchingProgramme {
  const days = parseDays(form.checkInDays).map((d) => (Number.isNaN(d) ? -1 : d));
  const optional = (f: (typeof PROGRAMME_FIELDS)[number]) => {
    const n = num(form[f]);
    return Number.isNaN(n) ? undefined : Math.trunc(n);
  };
  return create(MatchingProgrammeSchema, {
    name: `chapters/${chapter}/matchingProgramme`,
    proposalDeadlineDays: optional("proposalDeadlineDays") ?? -1,
    periodMonths: optional("periodMonths") ?? -1,
    autoOfferNext: form.autoOfferNext,
    checkInDays: days,
    minCommonSlots: optional("minCommonSlots"),
    interestsForFullScore: optional("interestsForFullScore"),
    ageGapYears: optional("ageGapYears"),
    waitingDaysForFullScore: optional("waitingDaysForFullScore"),
  });
}
