// The contract's enum values in the user's language. Each table is keyed by the
// generated enum's numbers, so a value the contract adds later shows its own name
// (lower case, no prefix) until it is translated here; a unit test checks that every
// value known today has both languages.
import { FollowUpStatus, MatchCriterion, MatchEndReason, MatchingRoundPhase, MatchingRoundState, MatchState, WaitReason } from "../gen/kompis/v1/matching_pb";
import { DuplicateResolution, ParticipantState } from "../gen/kompis/v1/participant_pb";
import type { Lang } from "./i18n";

type Table = Record<number, [sv: string, en: string]>;

/** Every enum shown in the console, with its translations. */
export const ENUMS = {
  MatchCriterion: [MatchCriterion, {
    [MatchCriterion.SHARED_INTERESTS]: ["Gemensamma intressen", "Shared interests"],
    [MatchCriterion.DISTANCE]: ["Avstånd", "Distance"],
    [MatchCriterion.AGE_CLOSENESS]: ["Ålder", "Age"],
    [MatchCriterion.SOFT_WISHES]: ["Önskemål", "Wishes"],
    [MatchCriterion.SWEDISH_LEVEL_FIT]: ["Svenskanivå", "Swedish level"],
    [MatchCriterion.FAMILY_SITUATION]: ["Familjesituation", "Family situation"],
    [MatchCriterion.MEETING_PREFERENCE]: ["Sätt att träffas", "How to meet"],
    [MatchCriterion.WAITING_TIME]: ["Väntetid", "Waiting time"],
  }],
  MatchState: [MatchState, {
    [MatchState.PROPOSED]: ["Föreslagen", "Proposed"],
    [MatchState.ACCEPTED]: ["Accepterad", "Accepted"],
    [MatchState.ACTIVE]: ["Aktiv", "Active"],
    [MatchState.ENDED]: ["Avslutad", "Ended"],
    [MatchState.DECLINED]: ["Avböjd", "Declined"],
  }],
  FollowUpStatus: [FollowUpStatus, {
    [FollowUpStatus.MET]: ["Har träffats", "Met"],
    [FollowUpStatus.NOT_MET_YET]: ["Inte träffats än", "Not met yet"],
    [FollowUpStatus.CHECK_IN_OVERDUE]: ["Uppföljning försenad", "Check-in overdue"],
    [FollowUpStatus.CONCERN_RAISED]: ["Oro anmäld", "Concern raised"],
  }],
  MatchEndReason: [MatchEndReason, {
    [MatchEndReason.COMPLETED]: ["Genomförd", "Completed"],
    [MatchEndReason.NOT_WORKING]: ["Fungerade inte", "Not working"],
    [MatchEndReason.NO_CONTACT]: ["Tappade kontakten", "Lost contact"],
    [MatchEndReason.PARTICIPANT_LEFT]: ["Någon lämnade programmet", "Someone left the programme"],
    [MatchEndReason.MOVED_AWAY]: ["Flyttade", "Moved away"],
    [MatchEndReason.REMATCH]: ["Ny matchning", "Rematch"],
    [MatchEndReason.OTHER]: ["Annat", "Other"],
    [MatchEndReason.CONCERN]: ["Oro", "Concern"],
  }],
  WaitReason: [WaitReason, {
    [WaitReason.NO_RESIDENT_WITHIN_REACH]: ["Ingen etablerad inom räckhåll", "No resident within reach"],
    [WaitReason.NO_SHARED_LANGUAGE]: ["Inget gemensamt språk", "No shared language"],
    [WaitReason.NO_COMMON_TIME]: ["Ingen gemensam tid", "No common time"],
    [WaitReason.HARD_WISH]: ["Ett krav går inte att uppfylla", "A firm wish cannot be met"],
    [WaitReason.ONLY_EXCLUDED_PAIRS]: ["Bara par som inte får föreslås igen", "Only pairs not to be proposed again"],
    [WaitReason.CANDIDATES_TAKEN]: ["Kandidaterna gick till andra", "The candidates went to others"],
  }],
  MatchingRoundPhase: [MatchingRoundPhase, {
    [MatchingRoundPhase.QUEUED]: ["I kö", "Queued"],
    [MatchingRoundPhase.LOADING]: ["Läser in", "Loading"],
    [MatchingRoundPhase.SCORING]: ["Poängsätter", "Scoring"],
    [MatchingRoundPhase.ASSIGNING]: ["Parar ihop", "Assigning"],
    [MatchingRoundPhase.EXPLAINING]: ["Förklarar", "Explaining"],
    [MatchingRoundPhase.SAVING]: ["Sparar", "Saving"],
    [MatchingRoundPhase.DONE]: ["Klar", "Done"],
  }],
  MatchingRoundState: [MatchingRoundState, {
    [MatchingRoundState.PENDING]: ["Väntar", "Pending"],
    [MatchingRoundState.RUNNING]: ["Pågår", "Running"],
    [MatchingRoundState.SUCCEEDED]: ["Klar att granska", "Ready to review"],
    [MatchingRoundState.FAILED]: ["Misslyckades", "Failed"],
    [MatchingRoundState.COMMITTED]: ["Bekräftad", "Committed"],
    [MatchingRoundState.CANCELLED]: ["Avbruten", "Cancelled"],
  }],
  ParticipantState: [ParticipantState, {
    [ParticipantState.APPLICANT]: ["Sökande", "Applicant"],
    [ParticipantState.INTERVIEW_BOOKED]: ["Intervju bokad", "Interview booked"],
    [ParticipantState.READY]: ["Väntar på kompis", "Waiting for a buddy"],
    [ParticipantState.MATCHED]: ["Matchad", "Matched"],
    [ParticipantState.NOT_SUITABLE]: ["Inte lämplig", "Not suitable"],
    [ParticipantState.NEEDS_FOLLOW_UP]: ["Behöver uppföljning", "Needs follow-up"],
    [ParticipantState.WITHDRAWN]: ["Har lämnat", "Withdrawn"],
    [ParticipantState.ENDED]: ["Avslutad", "Ended"],
  }],
  DuplicateResolution: [DuplicateResolution, {
    [DuplicateResolution.DISMISS]: ["Inte samma person", "Not the same person"],
    [DuplicateResolution.MERGE]: ["Slå ihop", "Merge"],
    [DuplicateResolution.LINK_APP_ACCOUNT]: ["Koppla appkontot", "Link the app account"],
  }],
} satisfies Record<string, [Record<number | string, string | number>, Table]>;

export type EnumName = keyof typeof ENUMS;

/** The label of `value` of enum `name` in `lang`. */
export function enumText(name: EnumName, value: number, lang: Lang): string {
  const [values, table] = ENUMS[name] as [Record<number, string>, Table];
  const known = table[value];
  if (known) return known[lang === "sv" ? 0 : 1];
  return (values[value] ?? String(value)).toLowerCase().replace(/_/g, " ");
}

/** The values of enum `name` other than UNSPECIFIED (0), in the contract's order. */
export function enumValues(name: EnumName): number[] {
  const [values] = ENUMS[name] as [Record<string, string | number>, Table];
  return Object.values(values).filter((v): v is number => typeof v === "number" && v !== 0);
}
