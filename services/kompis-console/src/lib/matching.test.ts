import { describe, expect, it } from "vitest";
import { MatchCriterion, MatchEndReason } from "../gen/kompis/v1/matching_pb";
import { ENUMS, enumText, enumValues, type EnumName } from "./enums";
import { needsOverride } from "./matching";

describe("enum values in the user's language", () => {
  it("translates every value the contract defines today, in both languages", () => {
    for (const name of Object.keys(ENUMS) as EnumName[]) {
      for (const value of enumValues(name)) {
        const sv = enumText(name, value, "sv");
        const en = enumText(name, value, "en");
        // An untranslated value falls back to its lower-case proto name, with spaces.
        expect(sv, `${name} ${value} in Swedish`).not.toMatch(/^[a-z ]+$/);
        expect(en, `${name} ${value} in English`).not.toBe("");
        expect(en, `${name} ${value} in English`).not.toBe(en.toLowerCase());
      }
    }
  });

  it("shows a value the console does not know yet by its own name", () => {
    expect(enumText("MatchCriterion", 99, "sv")).toBe("99");
    expect(enumText("MatchCriterion", MatchCriterion.DISTANCE, "sv")).toBe("Avstånd");
    expect(enumText("MatchCriterion", MatchCriterion.DISTANCE, "en")).toBe("Distance");
  });

  it("lists the choices without UNSPECIFIED, in the contract's order", () => {
    const reasons = enumValues("MatchEndReason");
    expect(reasons[0]).toBe(MatchEndReason.COMPLETED);
    expect(reasons).not.toContain(MatchEndReason.UNSPECIFIED);
  });
});

describe("proposing against the engine", () => {
  it("offers an override only for the refusals an override lifts", () => {
    expect(needsOverride("PAIR_EXCLUDED")).toBe(true);
    expect(needsOverride("TOO_FAR")).toBe(true);
    expect(needsOverride("CAPACITY_EXCEEDED")).toBe(false);
    expect(needsOverride("ALREADY_MATCHED")).toBe(false);
    expect(needsOverride(undefined)).toBe(false);
  });
});

describe("the settings form", async () => {
  const { parseDays, programmeFrom, snake, toForm, weightsFrom } = await import("./settings");
  const { create } = await import("@bufbuild/protobuf");
  const { MatchingWeightsSchema } = await import("../gen/kompis/v1/admin_pb");
  const { MatchingProgrammeSchema } = await import("../gen/kompis/v1/matching_pb");

  it("reads check-in days as typed, keeping a word that is not a day for the service to name", () => {
    expect(parseDays("21, 35 91;182")).toEqual([21, 35, 91, 182]);
    expect(parseDays("")).toEqual([]);
    expect(parseDays("21, soon")[1]).toBeNaN();
  });

  it("round-trips the chapter's settings and names every weight in the update mask", () => {
    const weights = create(MatchingWeightsSchema, { sharedInterests: 30, distance: 20, waitingTime: 40, maxDistanceKm: 12.5, minAge: 18, topK: 5 });
    const programme = create(MatchingProgrammeSchema, { proposalDeadlineDays: 7, autoOfferNext: true, checkInDays: [21, 35], periodMonths: 6, minCommonSlots: 1 });
    const form = toForm(weights, programme);
    expect(form.checkInDays).toBe("21, 35");
    expect(form.ageGapYears).toBe("");
    form.distance = "25";
    form.checkInDays = "14, 28, x";
    const sent = weightsFrom(form, "botkyrka");
    expect(sent.weights.name).toBe("chapters/botkyrka/matchingWeights");
    expect(sent.weights.distance).toBe(25);
    expect(sent.weights.maxDistanceKm).toBe(12.5);
    expect(sent.paths).toContain("max_distance_km");
    expect(sent.paths).toContain("swedish_level_fit");
    const p = programmeFrom(form, "botkyrka");
    expect(p.checkInDays).toEqual([14, 28, -1]);
    expect(p.ageGapYears).toBeUndefined();
    expect(p.minCommonSlots).toBe(1);
    expect(snake("waitingDaysForFullScore")).toBe("waiting_days_for_full_score");
  });
});
