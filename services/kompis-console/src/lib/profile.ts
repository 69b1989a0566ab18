// The interview form's state and its conversion into the API's MatchingProfile.
import { create } from "@bufbuild/protobuf";
import {
  DayPart, type LanguageLevel, type MatchingProfile, MatchingProfileSchema, MeetingPreference, type SfiCourse, Weekday,
  WishKind, WishStrength,
} from "../gen/kompis/v1/common_pb";

/** The wishes the form offers, one per kind. */
export const WISH_KINDS = [WishKind.SAME_GENDER, WishKind.AGE_RANGE, WishKind.FAMILY_MATCH, WishKind.HAS_CHILDREN] as const;

export interface ProfileForm {
  languages: Array<{ code: string; level: number }>;
  /** `sfi:N` (SfiCourse) or `cefr:N` (LanguageLevel), or "" for none. */
  swedish: string;
  interests: string[];
  freeTags: string;
  district: string;
  /** `weekday:daypart` keys of the ticked cells. */
  availability: string[];
  meeting: number;
  /** Strength per wish kind (0 = no wish). */
  wishes: Record<number, number>;
  minAge: string;
  maxAge: string;
  capacity: string;
  hasChildren: boolean;
}

export function emptyProfile(): ProfileForm {
  return {
    languages: [], swedish: "", interests: [], freeTags: "", district: "", availability: [],
    meeting: MeetingPreference.BOTH, wishes: {}, minAge: "", maxAge: "", capacity: "0", hasChildren: false,
  };
}

/** The form of an existing profile (a booked interview's, or the participant's). */
export function profileToForm(p: MatchingProfile | undefined): ProfileForm {
  const f = emptyProfile();
  if (!p) return f;
  f.languages = p.languages.map((l) => ({ code: l.languageCode, level: l.level }));
  const lvl = p.swedishLevel?.level;
  f.swedish = lvl?.case === "sfiCourse" ? `sfi:${lvl.value}` : lvl?.case === "cefr" ? `cefr:${lvl.value}` : "";
  f.interests = [...p.interests];
  f.freeTags = p.freeTags.join(", ");
  f.district = p.district;
  f.availability = p.availability.map((s) => `${s.weekday}:${s.dayPart}`);
  f.meeting = p.meetingPreference || MeetingPreference.BOTH;
  for (const w of p.wishes) {
    f.wishes[w.kind] = w.strength;
    if (w.ageRange) {
      f.minAge = String(w.ageRange.minAge);
      f.maxAge = String(w.ageRange.maxAge);
    }
  }
  f.capacity = String(p.buddyCapacity);
  f.hasChildren = p.hasChildren;
  return f;
}

/** The MatchingProfile the form describes. Values are sent as typed; the server judges them. */
export function formToProfile(f: ProfileForm): MatchingProfile {
  const [kind, n] = f.swedish.split(":");
  return create(MatchingProfileSchema, {
    languages: f.languages.filter((l) => l.code.trim()).map((l) => ({ languageCode: l.code.trim().toLowerCase(), level: l.level as LanguageLevel })),
    swedishLevel:
      kind === "sfi" ? { level: { case: "sfiCourse", value: Number(n) as SfiCourse } }
      : kind === "cefr" ? { level: { case: "cefr", value: Number(n) as LanguageLevel } }
      : undefined,
    interests: f.interests,
    freeTags: f.freeTags.split(",").map((s) => s.trim()).filter(Boolean),
    district: f.district,
    availability: f.availability.map((k) => {
      const [w, d] = k.split(":").map(Number);
      return { weekday: w as Weekday, dayPart: d as DayPart };
    }),
    meetingPreference: f.meeting as MeetingPreference,
    wishes: WISH_KINDS.filter((k) => (f.wishes[k] ?? 0) !== WishStrength.UNSPECIFIED).map((k) => ({
      kind: k,
      strength: f.wishes[k] as WishStrength,
      ageRange: k === WishKind.AGE_RANGE ? { minAge: Number(f.minAge) || 0, maxAge: Number(f.maxAge) || 0 } : undefined,
    })),
    buddyCapacity: Number(f.capacity) || 0,
    hasChildren: f.hasChildren,
  });
}

export const WEEKDAYS = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY, Weekday.SATURDAY, Weekday.SUNDAY];
export const DAY_PARTS = [DayPart.MORNING, DayPart.AFTERNOON, DayPart.EVENING];
