// Client rules of the matching pages.

/** The refusals (ErrorInfo reasons) of CreateMatch that an override reason lifts; the
 * others (no free place, not matchable) no override lifts. */
export const OVERRIDABLE = [
  "PAIR_EXCLUDED", "TOO_FAR", "NO_COMMON_LANGUAGE", "NO_COMMON_TIME", "SWEDISH_LEVEL_TOO_LOW", "HARD_WISH_VIOLATED",
] as const;

/** Whether a refusal with `reason` can be proposed anyway with an override reason. */
export function needsOverride(reason: string | undefined): boolean {
  return !!reason && (OVERRIDABLE as readonly string[]).includes(reason);
}
