// Reading the server's errors: the gRPC code, the ErrorInfo reason and every field
// violation of a google.rpc.BadRequest (sent in grpc-status-details-bin), each put in
// the user's language.
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "../gen/google/rpc/error_details_pb";
import type { Lang } from "./i18n";

/** A request's error as the console shows it. */
export interface ShownError {
  /** One sentence for the whole request, in the user's language. */
  message: string;
  /** The violations by field path (`participant.contact.phone`), in the user's language. */
  fields: Record<string, string>;
  /** The ErrorInfo reason (`CONSENT_MISSING`), if the server sent one. */
  reason?: string;
}

const CODE_TEXT: Record<Lang, Partial<Record<Code, string>>> = {
  en: {
    [Code.InvalidArgument]: "Some fields need correcting.",
    [Code.NotFound]: "It was not found, or it is not yours to see.",
    [Code.PermissionDenied]: "Your role may not do this.",
    [Code.Unauthenticated]: "Your sign-in has expired or is not valid. Sign in again.",
    [Code.FailedPrecondition]: "This cannot be done in its current state.",
    [Code.AlreadyExists]: "It exists already.",
    [Code.Aborted]: "Someone changed it at the same time. Try again.",
    [Code.Unavailable]: "The service cannot be reached just now. Try again shortly.",
    [Code.ResourceExhausted]: "Too many requests. Wait a moment.",
    [Code.Unimplemented]: "The service does not do this yet.",
  },
  sv: {
    [Code.InvalidArgument]: "Några fält behöver rättas.",
    [Code.NotFound]: "Det hittades inte, eller så har du inte behörighet att se det.",
    [Code.PermissionDenied]: "Din roll får inte göra detta.",
    [Code.Unauthenticated]: "Din inloggning har gått ut eller är ogiltig. Logga in igen.",
    [Code.FailedPrecondition]: "Det går inte i det nuvarande läget.",
    [Code.AlreadyExists]: "Det finns redan.",
    [Code.Aborted]: "Någon ändrade samtidigt. Försök igen.",
    [Code.Unavailable]: "Tjänsten går inte att nå just nu. Försök igen strax.",
    [Code.ResourceExhausted]: "För många anrop. Vänta en stund.",
    [Code.Unimplemented]: "Tjänsten gör inte detta ännu.",
  },
};

/** Sentences for reasons that say more than their code. */
const REASON_TEXT: Record<Lang, Record<string, string>> = {
  en: {
    INTERVIEW_NOT_STARTED: "The interview has not started yet: record it once it has been held, or move it to when it was held.",
    NOT_ELIGIBLE: "An approved person must meet the eligibility rules.",
    ROUND_IN_PROGRESS: "A matching round is already running for this chapter.",
    PAIR_EXCLUDED: "The engine refuses the pair: they declined or ended a match with each other before.",
    TOO_FAR: "The engine refuses the pair: they live too far apart.",
    NO_COMMON_LANGUAGE: "The engine refuses the pair: they share no language.",
    NO_COMMON_TIME: "The engine refuses the pair: they have no free time in common.",
    SWEDISH_LEVEL_TOO_LOW: "The engine refuses the pair: the established resident's Swedish is below C1.",
    HARD_WISH_VIOLATED: "The engine refuses the pair: it breaks a firm wish.",
    ALREADY_MATCHED: "The person already has a buddy or a proposal.",
    CAPACITY_EXCEEDED: "The established resident has no free place for another buddy.",
    NO_LIVE_MATCH: "The person has no accepted or active match to end.",
    NOT_A_POSSIBLE_DUPLICATE: "The two are no longer flagged as possible duplicates.",
    MERGE_NOT_POSSIBLE: "These two cannot be merged (different roles, a match or a booked interview, or two app accounts).",
    ACCOUNT_LINK_NOT_POSSIBLE: "The app account cannot be linked: the other record has none, or this one has one already.",
  },
  sv: {
    INTERVIEW_NOT_STARTED: "Intervjun har inte börjat än: registrera den när den har hållits, eller flytta den till när den hölls.",
    NOT_ELIGIBLE: "En godkänd person måste uppfylla behörighetsreglerna.",
    ROUND_IN_PROGRESS: "En matchningsomgång pågår redan för avdelningen.",
    PAIR_EXCLUDED: "Motorn avvisar paret: de har tackat nej till eller avslutat en matchning med varandra tidigare.",
    TOO_FAR: "Motorn avvisar paret: de bor för långt från varandra.",
    NO_COMMON_LANGUAGE: "Motorn avvisar paret: de har inget gemensamt språk.",
    NO_COMMON_TIME: "Motorn avvisar paret: de har ingen gemensam ledig tid.",
    SWEDISH_LEVEL_TOO_LOW: "Motorn avvisar paret: den etablerades svenska är under C1.",
    HARD_WISH_VIOLATED: "Motorn avvisar paret: det bryter mot ett krav.",
    ALREADY_MATCHED: "Personen har redan en kompis eller ett förslag.",
    CAPACITY_EXCEEDED: "Den etablerade har ingen ledig plats för fler kompisar.",
    NO_LIVE_MATCH: "Personen har ingen accepterad eller aktiv matchning att avsluta.",
    NOT_A_POSSIBLE_DUPLICATE: "De två är inte längre markerade som möjliga dubbletter.",
    MERGE_NOT_POSSIBLE: "De två går inte att slå ihop (olika roller, en matchning eller bokad intervju, eller två appkonton).",
    ACCOUNT_LINK_NOT_POSSIBLE: "Appkontot går inte att koppla: den andra posten har inget, eller så har den här redan ett.",
  },
};

const FALLBACK: Record<Lang, string> = {
  en: "Something went wrong on the server. Try again.",
  sv: "Något gick fel i tjänsten. Försök igen.",
};

/** Swedish for the server's most common field descriptions (it answers in English). */
const SV_DESCRIPTIONS: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  [/^is required\b/i, () => "måste fyllas i"],
  [/^must be a birth year between (\d+) and (\d+)$/i, (m) => `måste vara ett födelseår mellan ${m[1]} och ${m[2]}`],
  [/exactly one @/i, () => "är ingen giltig e-postadress"],
  [/^must not be empty$/i, () => "får inte vara tomt"],
  [/^must be (\d+) to (\d+) characters?$/i, (m) => `måste vara ${m[1]} till ${m[2]} tecken`],
  [/^must be between (\d+) and (\d+)$/i, (m) => `måste vara mellan ${m[1]} och ${m[2]}`],
  [/^must be (\d+) to (\d+)$/i, (m) => `måste vara mellan ${m[1]} och ${m[2]}`],
  [/^is not a valid e-?mail address$/i, () => "är ingen giltig e-postadress"],
  [/^is not a valid (swedish )?phone number.*$/i, () => "är inget giltigt telefonnummer"],
  [/^is not in the future$|^must be in the future$/i, () => "måste ligga i framtiden"],
  [/^must not be in the future$/i, () => "får inte ligga i framtiden"],
  [/^is not a known ISO 639 language code.*$/i, () => "är ingen känd språkkod (ISO 639)"],
];

/** `description` in `lang`: as sent for English, translated (or marked) for Swedish. */
export function localiseDescription(description: string, lang: Lang): string {
  if (lang === "en") return description;
  for (const [pattern, render] of SV_DESCRIPTIONS) {
    const m = description.match(pattern);
    if (m) return render(m);
  }
  // No translation: say so in Swedish and keep the server's words, so nothing is lost.
  return `är ogiltigt (${description})`;
}

/** The error `e` as the console shows it, in `lang`. */
export function showError(e: unknown, lang: Lang): ShownError {
  const err = ConnectError.from(e);
  const fields: Record<string, string> = {};
  for (const bad of err.findDetails(BadRequestSchema)) {
    for (const v of bad.fieldViolations) {
      const text = localiseDescription(v.description, lang);
      fields[v.field] = fields[v.field] ? `${fields[v.field]}; ${text}` : text;
    }
  }
  const info = err.findDetails(ErrorInfoSchema)[0];
  // A bad request is explained at its fields; other refusals by their reason when it says more.
  const byReason = err.code !== Code.InvalidArgument && info ? REASON_TEXT[lang][info.reason] : undefined;
  const message = byReason ?? CODE_TEXT[lang][err.code] ?? FALLBACK[lang];
  return { message, fields, reason: info?.reason };
}

/** The violation of `field` or of any field inside it (`contact` also shows `contact.phone`). */
export function fieldError(shown: ShownError | null | undefined, field: string): string | undefined {
  if (!shown) return undefined;
  const own = shown.fields[field];
  if (own) return own;
  const inner = Object.entries(shown.fields).filter(([k]) => k.startsWith(field + ".") || k.startsWith(field + "["));
  return inner.length ? inner.map(([, v]) => v).join("; ") : undefined;
}
