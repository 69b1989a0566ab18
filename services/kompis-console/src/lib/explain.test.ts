import { describe, expect, it } from "vitest";
import { explanationText } from "./explain";

describe("the engine's words in the user's language", () => {
  it("says every phrasing of the engine in Swedish, keeping its numbers and names", () => {
    const cases: [string, string][] = [
      ["no shared interests", "inga gemensamma intressen"],
      ["1 shared interest: fika", "1 gemensamt intresse: fika"],
      ["3 shared interests: fika, vandring, fotboll", "3 gemensamma intressen: fika, vandring, fotboll"],
      ["4.2 km apart", "4,2 km ifrån varandra"],
      ["31.0 km apart, beyond the limit: they meet online", "31,0 km ifrån varandra, längre än gränsen: de träffas online"],
      ["the same age", "samma ålder"],
      ["12 years apart in age", "12 års åldersskillnad"],
      ["no soft wishes to meet", "inga önskemål att uppfylla"],
      ["meets the newcomer's wish for the same gender", "uppfyller den nyanländes önskan om samma kön"],
      [
        "meets the newcomer's wish for age 25-40 and the resident's wish for a family match",
        "uppfyller den nyanländes önskan om ålder 25–40 och den etablerades önskan om en familjematchning",
      ],
      [
        "does not meet the resident's wish for a buddy with children",
        "uppfyller inte den etablerades önskan om en kompis med barn",
      ],
      [
        "meets the newcomer's wish for the same gender but not the resident's wish for age 30-50",
        "uppfyller den nyanländes önskan om samma kön men inte den etablerades önskan om ålder 30–50",
      ],
      ["the newcomer's Swedish (B1) is enough to talk in Swedish", "den nyanländes svenska (B1) räcker för att prata svenska"],
      [
        "the newcomer's Swedish is A1; both speak Arabic, English, to explain in",
        "den nyanländes svenska är A1; båda talar arabiska, engelska att förklara på",
      ],
      [
        "the newcomer's Swedish is A2 and there is no other common language",
        "den nyanländes svenska är A2 och de har inget annat gemensamt språk",
      ],
      ["both have children: the same family situation", "båda har barn: samma familjesituation"],
      ["only the newcomer has children", "bara den nyanlände har barn"],
      ["only the resident has children", "bara den etablerade har barn"],
      ["neither has children: the same family situation", "ingen av dem har barn: samma familjesituation"],
      ["meeting preferences fit (in person / in person or online)", "önskemålen om att träffas passar (på plats / på plats eller online)"],
      ["meeting preferences differ (online / in person)", "önskemålen om att träffas skiljer sig (online / på plats)"],
      ["the newcomer waited 40 days, the resident 3 days", "den nyanlände har väntat 40 dagar, den etablerade 3 dagar"],
    ];
    for (const [en, sv] of cases) {
      expect(explanationText(en, "sv")).toBe(sv);
      expect(explanationText(en, "en")).toBe(en);
    }
  });

  it("shows a phrasing it does not know as the service gave it", () => {
    expect(explanationText("something new", "sv")).toBe("something new");
    expect(explanationText("", "sv")).toBe("");
  });
});
