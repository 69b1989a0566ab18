import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FollowUpReportSchema } from "../gen/kompis/v1/report_pb";
import { matchedPerMonth, monthsOf, shortageByDistrict, waitingDistribution } from "./charts";

const value = (v: number) => ({ cell: { case: "value" as const, value: BigInt(v) } });
const suppressed = { cell: { case: "suppressed" as const, value: true } };

// Botkyrka's 2018 figure (105 newcomers matched) as the year's goal, matched unevenly.
const report = create(FollowUpReportSchema, {
  figures: [
    { metric: "newcomers_matched", dimension: "month", key: "2018-01", cell: value(10) },
    { metric: "newcomers_matched", dimension: "month", key: "2018-03", cell: value(7) },
    { metric: "newcomers_matched", dimension: "month", key: "2018-04", cell: suppressed },
    { metric: "newcomers_wait", dimension: "days", key: "0-30", cell: value(4) },
    { metric: "newcomers_wait", dimension: "days", key: "366-", cell: value(2) },
    { metric: "waiting_now", dimension: "district", key: "municipalities/botkyrka/districts/alby", label: "Alby", cell: value(9) },
    { metric: "free_places_now", dimension: "district", key: "municipalities/botkyrka/districts/alby", label: "Alby", cell: value(2) },
    { metric: "waiting_now", dimension: "district", key: "municipalities/botkyrka/districts/tumba", label: "Tumba", cell: value(1) },
    { metric: "free_places_now", dimension: "district", key: "municipalities/botkyrka/districts/tumba", label: "Tumba", cell: value(3) },
    { metric: "waiting_now", dimension: "district", key: "municipalities/botkyrka/districts/fittja", label: "Fittja", cell: suppressed },
  ],
  goals: [{ goal: { metric: "newcomers_matched", target: 105 } }],
});

describe("the reports page's charts", () => {
  it("spans the period's months, the end exclusive", () => {
    expect(monthsOf("2018-01-01", "2019-01-01")).toHaveLength(12);
    expect(monthsOf("2018-11-01", "2019-02-01")).toEqual(["2018-11", "2018-12", "2019-01"]);
    expect(monthsOf("2018-01-01", "2018-02-15")).toEqual(["2018-01", "2018-02"]);
  });

  it("draws matched per month with its running total against the goal's pace", () => {
    const points = matchedPerMonth(report, "2018-01-01", "2019-01-01");
    expect(points.map((p) => p.matched).slice(0, 5)).toEqual([10, 0, 7, null, 0]);
    expect(points[2].cumulative).toBe(17);
    expect(points[3].cumulative).toBe(17);
    expect(points[11].target).toBe(105);
    expect(points[5].target).toBe(53);
  });

  it("has no goal line without a goal", () => {
    const none = create(FollowUpReportSchema, { figures: report.figures });
    expect(matchedPerMonth(none, "2018-01-01", "2018-04-01").every((p) => p.target === null)).toBe(true);
  });

  it("shows every waiting-time bucket in order, empty ones as 0", () => {
    expect(waitingDistribution(report)).toEqual([
      { bucket: "0-30", count: 4 }, { bucket: "31-90", count: 0 }, { bucket: "91-180", count: 0 }, { bucket: "181-365", count: 0 }, { bucket: "366-", count: 2 },
    ]);
  });

  it("puts the largest shortage first and keeps a suppressed district suppressed", () => {
    const rows = shortageByDistrict(report);
    expect(rows.map((r) => [r.label, r.shortage])).toEqual([["Alby", 7], ["Tumba", 0], ["Fittja", null]]);
  });
});
