import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema } from "../gen/google/rpc/error_details_pb";
import { LanguageLevel, WishKind, WishStrength } from "../gen/kompis/v1/common_pb";
import { addDays, byDay, startOfWeek, visibleDays } from "./calendar";
import { fieldError, localiseDescription, showError } from "./errors";
import { dictionaries } from "./i18n";
import { placeLabels, project, radius } from "./map";
import { emptyProfile, formToProfile, profileToForm } from "./profile";
import { readToken } from "./token";

function badRequest(violations: Array<[string, string]>): ConnectError {
  const detail = create(BadRequestSchema, { fieldViolations: violations.map(([field, description]) => ({ field, description })) });
  const info = create(ErrorInfoSchema, { reason: "INVALID_FIELD", domain: "kompis" });
  return new ConnectError("bad", Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: detail },
    { desc: ErrorInfoSchema, value: info },
  ]);
}

describe("server errors", () => {
  it("puts every field violation at its field, in the user's language", () => {
    const shown = showError(badRequest([["participant.contact.phone", "is required"], ["participant.birth_year", "must be between 1900 and 2026"]]), "sv");
    expect(shown.fields["participant.contact.phone"]).toBe("måste fyllas i");
    expect(shown.fields["participant.birth_year"]).toBe("måste vara mellan 1900 och 2026");
    expect(shown.message).toBe("Några fält behöver rättas.");
    expect(shown.reason).toBe("INVALID_FIELD");
    expect(localiseDescription("must be a birth year between 1916 and 2010", "sv")).toBe("måste vara ett födelseår mellan 1916 och 2010");
  });

  it("keeps English descriptions as sent and marks untranslated ones in Swedish", () => {
    expect(localiseDescription("is required", "en")).toBe("is required");
    expect(localiseDescription("odd new rule", "sv")).toBe("är ogiltigt (odd new rule)");
  });

  it("reads details that arrived as encoded bytes, as the gRPC-Web transport gives them", () => {
    const detail = create(BadRequestSchema, { fieldViolations: [{ field: "query", description: "is required" }] });
    const packed = anyPack(BadRequestSchema, detail);
    const err = new ConnectError("bad", Code.InvalidArgument);
    err.details.push({ type: "google.rpc.BadRequest", value: toBinary(BadRequestSchema, detail) });
    expect(packed.typeUrl).toContain("google.rpc.BadRequest");
    expect(showError(err, "en").fields.query).toBe("is required");
  });

  it("shows a nested violation at its enclosing group", () => {
    const shown = showError(badRequest([["profile.languages[1].language_code", "is not a known ISO 639 language code"]]), "en");
    expect(fieldError(shown, "profile.languages[1]")).toContain("ISO 639");
    expect(fieldError(shown, "profile.district")).toBeUndefined();
  });

  it("explains a reason that says more than its code", () => {
    const info = create(ErrorInfoSchema, { reason: "INTERVIEW_NOT_STARTED", domain: "kompis" });
    const err = new ConnectError("starts at ...", Code.FailedPrecondition, undefined, [{ desc: ErrorInfoSchema, value: info }]);
    expect(showError(err, "sv").message).toMatch(/^Intervjun har inte börjat/);
  });

  it("never shows a server's internal message", () => {
    const shown = showError(new ConnectError("db password wrong at 10.0.0.5", Code.Internal), "en");
    expect(shown.message).not.toContain("10.0.0.5");
  });
});

describe("tokens", () => {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const token = (claims: object) => `${b64({ alg: "HS256" })}.${b64(claims)}.sig`;

  it("reads the role, chapter and expiry of a token", () => {
    const s = readToken(token({ role: "coordinator", chapter: "botkyrka", exp: 2000 }), 1000);
    expect(s).toMatchObject({ role: "coordinator", chapter: "botkyrka", exp: 2000 });
  });

  it("refuses an expired or unreadable token", () => {
    expect(readToken(token({ role: "coordinator", exp: 999 }), 1000)).toBeNull();
    expect(readToken("not a token")).toBeNull();
    expect(readToken(token({ exp: 2000 }), 1000)).toBeNull();
  });
});

describe("calendar", () => {
  it("starts weeks on Monday and shows seven days", () => {
    const sunday = new Date(2026, 10, 29, 15, 0); // Sunday 29 November 2026
    expect(startOfWeek(sunday).getDate()).toBe(23);
    const days = visibleDays(sunday, "week");
    expect(days).toHaveLength(7);
    expect(days[6].getDate()).toBe(29);
    expect(visibleDays(sunday, "day")).toHaveLength(1);
  });

  it("puts items on their day, in time order, across a daylight-saving change", () => {
    const days = visibleDays(new Date(2026, 2, 23), "week"); // the week Sweden moves its clocks
    expect(addDays(days[0], 7).getDate()).toBe(30);
    const items = [new Date(2026, 2, 29, 14), new Date(2026, 2, 29, 9), new Date(2026, 2, 24, 10)];
    const grouped = byDay(items, days, (d) => d);
    expect(grouped[1]).toEqual([items[2]]);
    expect(grouped[6]).toEqual([items[1], items[0]]);
  });
});

describe("district map", () => {
  it("keeps north up and east right inside the box", () => {
    const [fittja, tumba] = project(
      [
        { id: "fittja", label: "Fittja", latitude: 59.2476, longitude: 17.8607 },
        { id: "tumba", label: "Tumba", latitude: 59.1998, longitude: 17.8329 },
      ],
      400, 300,
    );
    expect(fittja.y).toBeLessThan(tumba.y); // Fittja is north of Tumba
    expect(fittja.x).toBeGreaterThan(tumba.x); // and east of it
    for (const p of [fittja, tumba]) {
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.x).toBeLessThanOrEqual(400);
      expect(p.y).toBeGreaterThanOrEqual(0);
      expect(p.y).toBeLessThanOrEqual(300);
    }
  });

  it("places Botkyrka's ten district labels without overlapping each other or a circle", () => {
    // The districts' coordinates as seeded (services/kompis-store/seeds/places.sql).
    const places = [
      ["Alby", 59.2391, 17.8459], ["Eriksberg", 59.2335, 17.8592], ["Fittja", 59.2476, 17.861], ["Hallunda", 59.2434, 17.8251],
      ["Norsborg", 59.244, 17.8144], ["Tumba", 59.1999, 17.8331], ["Storvreten", 59.1924, 17.8196], ["Tullinge", 59.2053, 17.9028],
      ["Vårsta", 59.1664, 17.8013], ["Grödinge", 59.1511, 17.7614],
    ] as const;
    const points = project(places.map(([label, latitude, longitude]) => ({ id: label, label, latitude, longitude })), 480, 420, 50);
    const r = (id: string) => radius(id === "Alby" ? 40 : 12, 40);
    const text = (id: string) => `${id} (12)`;
    const labels = [...placeLabels(points, text, r, 480, 420).values()];
    expect(labels).toHaveLength(10);
    for (const a of labels) {
      expect(a.box.left).toBeGreaterThanOrEqual(0);
      expect(a.box.right).toBeLessThanOrEqual(480);
      for (const b of labels) {
        if (a === b) continue;
        const apart = a.box.right <= b.box.left || b.box.right <= a.box.left || a.box.bottom <= b.box.top || b.box.bottom <= a.box.top;
        expect(apart, `${a.id} and ${b.id} overlap`).toBe(true);
      }
      for (const p of points) {
        const c = { left: p.x - r(p.id), right: p.x + r(p.id), top: p.y - r(p.id), bottom: p.y + r(p.id) };
        const clear = a.box.right <= c.left || c.right <= a.box.left || a.box.bottom <= c.top || c.bottom <= a.box.top;
        expect(clear, `${a.id}'s label covers ${p.id}`).toBe(true);
      }
    }
  });

  it("gives circles an area proportional to the count", () => {
    expect(radius(100, 100)).toBe(24);
    expect(radius(25, 100)).toBe(12);
    expect(radius(0, 100)).toBe(3);
  });
});

describe("interview form", () => {
  it("turns the form into a profile and back without losing a field", () => {
    const f = emptyProfile();
    f.languages = [{ code: " AR ", level: LanguageLevel.NATIVE }];
    f.swedish = "sfi:2";
    f.interests = ["chapters/botkyrka/interests/fika"];
    f.freeTags = "chess, , baking";
    f.district = "municipalities/0127/districts/fittja";
    f.availability = ["1:3", "6:1"];
    f.wishes = { [WishKind.SAME_GENDER]: WishStrength.HARD, [WishKind.AGE_RANGE]: WishStrength.SOFT };
    f.minAge = "20";
    f.maxAge = "40";
    f.capacity = "0";
    f.hasChildren = true;
    const p = formToProfile(f);
    expect(p.languages[0].languageCode).toBe("ar");
    expect(p.freeTags).toEqual(["chess", "baking"]);
    expect(p.wishes).toHaveLength(2);
    expect(p.wishes.find((w) => w.kind === WishKind.AGE_RANGE)?.ageRange).toMatchObject({ minAge: 20, maxAge: 40 });
    const back = profileToForm(p);
    expect(back.swedish).toBe("sfi:2");
    expect(back.availability).toEqual(["1:3", "6:1"]);
    expect(back.wishes[WishKind.SAME_GENDER]).toBe(WishStrength.HARD);
    expect(back.hasChildren).toBe(true);
  });
});

describe("words", () => {
  it("has every word in both languages", () => {
    const sv = Object.keys(dictionaries.sv).sort();
    expect(Object.keys(dictionaries.en).sort()).toEqual(sv);
    for (const k of sv) {
      expect((dictionaries.en as Record<string, unknown>)[k]).toBeTruthy();
      expect((dictionaries.sv as Record<string, unknown>)[k]).toBeTruthy();
    }
  });
});

describe("follow-up report", () => {
  it("lists the figures as sent and keeps a suppressed cell suppressed, never 0", async () => {
    const { create } = await import("@bufbuild/protobuf");
    const { FollowUpReportSchema } = await import("../gen/kompis/v1/report_pb");
    const { figures, dataUrl } = await import("./report");
    const report = create(FollowUpReportSchema, {
      figures: [
        { metric: "matched", cell: { cell: { case: "value", value: 105n } } },
        { metric: "recruited", dimension: "source", key: "self_sign_up", label: "Self sign-up", cell: { cell: { case: "suppressed", value: true } } },
      ],
    });
    const rows = figures(report, "en");
    expect(rows).toEqual([
      { id: "matched//", metric: "matched", title: "People matched", group: "", value: 105 },
      { id: "recruited/source/self_sign_up", metric: "recruited", title: "Recruited", group: "source: Self sign-up", value: null },
    ]);
    // In Swedish, a key that is a word of the contract is translated; a label is shown as sent.
    const sv = figures(create(FollowUpReportSchema, { figures: [{ metric: "check_ins", dimension: "answer", key: "not_yet", cell: { cell: { case: "value", value: 3n } } }] }), "sv");
    expect([sv[0].title, sv[0].group]).toEqual(["Uppföljningar", "svar: inte än"]);
    expect(dataUrl("text/csv; charset=utf-8", new TextEncoder().encode("a,b\r\n"))).toBe("data:text/csv; charset=utf-8;base64,YSxiDQo=");
  });

  it("joins the listed goals with the report's progress by scope, period and metric", async () => {
    const { create } = await import("@bufbuild/protobuf");
    const { ReportGoalSchema, GoalProgressSchema } = await import("../gen/kompis/v1/report_pb");
    const { goalRows, GOAL_METRICS } = await import("./report");
    const year = { startTime: { seconds: 1514761200n }, endTime: { seconds: 1546297200n } };
    const matched = create(ReportGoalSchema, { chapter: "chapters/b", ...year, metric: "newcomers_matched", target: 105 });
    const activities = create(ReportGoalSchema, { chapter: "chapters/b", ...year, metric: "activities_held", target: 85 });
    // Another period's goal of the same metric gets no progress from this report.
    const spring = create(ReportGoalSchema, { chapter: "chapters/b", startTime: year.startTime, endTime: { seconds: 1530396000n }, metric: "newcomers_matched", target: 50 });
    const inMunicipality = create(ReportGoalSchema, { chapter: "chapters/b", municipality: "municipalities/0127", ...year, metric: "activities_held", target: 10 });
    const progress = [
      create(GoalProgressSchema, { goal: matched, reached: { cell: { case: "value", value: 42n } }, percent: { statistic: { case: "value", value: 40.0 } } }),
      create(GoalProgressSchema, { goal: activities, reached: { cell: { case: "suppressed", value: true } }, percent: { statistic: { case: "suppressed", value: true } } }),
    ];
    const rows = goalRows([matched, spring, inMunicipality], progress, "en");
    expect(rows.map((r) => [r.title, r.municipality, r.target, r.reached, r.percent])).toEqual([
      ["Newcomers matched", "", 105, 42, 40],
      ["Newcomers matched", "", 50, null, null],
      ["Activities held", "municipalities/0127", 10, null, null],
      // A goal the report has but the list lacks is still shown; suppressed stays unknown, never 0.
      ["Activities held", "", 85, null, null],
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(4);
    expect(GOAL_METRICS).toContain("newcomers_matched");
  });
});
