// The engine's words for one criterion of a pair (kompis-matching `score::reason`), in
// the user's language. The service gives them in English; each of the engine's phrasings
// is matched here and said again in Swedish, with the numbers, names and levels it
// carries. A phrasing this table does not know is shown as the service gave it.
import type { Lang } from "./i18n";

const LANGUAGES: Record<string, string> = {
  Swedish: "svenska",
  English: "engelska",
  Arabic: "arabiska",
  Persian: "persiska",
  Dari: "dari",
  Tigrinya: "tigrinja",
  Somali: "somaliska",
  Ukrainian: "ukrainska",
  Russian: "ryska",
  Spanish: "spanska",
  French: "franska",
  German: "tyska",
  Turkish: "turkiska",
  Kurdish: "kurdiska",
  Pashto: "pashto",
  Amharic: "amhariska",
  Polish: "polska",
  Bosnian: "bosniska",
};

const MEETING: Record<string, string> = {
  "in person or online": "på plats eller online",
  "in person": "på plats",
  online: "online",
};

const WHO: Record<string, string> = { "the newcomer": "den nyanländes", "the resident": "den etablerades" };

function languages(list: string): string {
  return list
    .split(", ")
    .map((l) => LANGUAGES[l] ?? l)
    .join(", ");
}

function meeting(m: string): string {
  return MEETING[m] ?? m;
}

// One soft wish: "the newcomer's wish for age 25-40".
function wish(text: string): string {
  const m = /^(the newcomer|the resident)'s wish for (.+)$/.exec(text);
  if (!m) return text;
  const who = WHO[m[1]];
  const what = m[2];
  if (what === "the same gender") return `${who} önskan om samma kön`;
  if (what === "a family match") return `${who} önskan om en familjematchning`;
  if (what === "a buddy with children") return `${who} önskan om en kompis med barn`;
  const age = /^age (\d+)-(\d+)$/.exec(what);
  if (age) return `${who} önskan om ålder ${age[1]}–${age[2]}`;
  return text;
}

function wishes(list: string, joiner: string, svJoiner: string): string {
  return list.split(joiner).map(wish).join(svJoiner);
}

type Rule = [RegExp, (m: RegExpExecArray) => string];

const RULES: Rule[] = [
  [/^no shared interests$/, () => "inga gemensamma intressen"],
  [/^1 shared interest: (.+)$/, (m) => `1 gemensamt intresse: ${m[1]}`],
  [/^(\d+) shared interests: (.+)$/, (m) => `${m[1]} gemensamma intressen: ${m[2]}`],
  [
    /^([\d.]+) km apart, beyond the limit: they meet online$/,
    (m) => `${m[1].replace(".", ",")} km ifrån varandra, längre än gränsen: de träffas online`,
  ],
  [/^([\d.]+) km apart$/, (m) => `${m[1].replace(".", ",")} km ifrån varandra`],
  [/^the same age$/, () => "samma ålder"],
  [/^(\d+) years apart in age$/, (m) => `${m[1]} års åldersskillnad`],
  [/^no soft wishes to meet$/, () => "inga önskemål att uppfylla"],
  [
    /^meets (.+) but not (.+)$/,
    (m) => `uppfyller ${wishes(m[1], " and ", " och ")} men inte ${wishes(m[2], " or ", " eller ")}`,
  ],
  [/^meets (.+)$/, (m) => `uppfyller ${wishes(m[1], " and ", " och ")}`],
  [/^does not meet (.+)$/, (m) => `uppfyller inte ${wishes(m[1], " or ", " eller ")}`],
  [
    /^the newcomer's Swedish \((.+)\) is enough to talk in Swedish$/,
    (m) => `den nyanländes svenska (${m[1]}) räcker för att prata svenska`,
  ],
  [
    /^the newcomer's Swedish is (.+); both speak (.+), to explain in$/,
    (m) => `den nyanländes svenska är ${m[1]}; båda talar ${languages(m[2])} att förklara på`,
  ],
  [
    /^the newcomer's Swedish is (.+) and there is no other common language$/,
    (m) => `den nyanländes svenska är ${m[1]} och de har inget annat gemensamt språk`,
  ],
  [/^both have children: the same family situation$/, () => "båda har barn: samma familjesituation"],
  [/^only the newcomer has children$/, () => "bara den nyanlände har barn"],
  [/^only the resident has children$/, () => "bara den etablerade har barn"],
  [/^neither has children: the same family situation$/, () => "ingen av dem har barn: samma familjesituation"],
  [
    /^meeting preferences fit \((.+) \/ (.+)\)$/,
    (m) => `önskemålen om att träffas passar (${meeting(m[1])} / ${meeting(m[2])})`,
  ],
  [
    /^meeting preferences differ \((.+) \/ (.+)\)$/,
    (m) => `önskemålen om att träffas skiljer sig (${meeting(m[1])} / ${meeting(m[2])})`,
  ],
  [
    /^the newcomer waited (\d+) days, the resident (\d+) days$/,
    (m) => `den nyanlände har väntat ${m[1]} dagar, den etablerade ${m[2]} dagar`,
  ],
];

/** The engine's explanation of one criterion in `lang`; unknown phrasings unchanged. */
export function explanationText(text: string, lang: Lang): string {
  if (lang !== "sv") return text;
  for (const [pattern, say] of RULES) {
    const m = pattern.exec(text);
    if (m) return say(m);
  }
  return text;
}
