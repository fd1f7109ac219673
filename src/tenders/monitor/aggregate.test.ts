import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aggregate } from "./aggregate.ts";
import { analysis, cityHosting, cityMail, corpus, ministryFurniture, ministryWebsite } from "./test-fixtures.ts";

// Worked out by hand from test-fixtures.ts:
//   ministryWebsite 2023-02  relevant 4  requested 1 (https)            missing dnssec hsts tls
//   cityHosting     2022-03  relevant 5  requested 3 (dnssec https tls) missing hsts ipv6
//   ministryFurniture 2024-07 relevant 0
//   cityMail        2023-11  relevant 5  requested 5 (+ iso-27001, not relevant)
// Pairs: 14 relevant, 9 requested.
const report = aggregate(corpus);

describe("aggregate: totals", () => {
  it("counts tenders, ICT tenders and standard-tender pairs", () => {
    const { totals } = report;
    assert.equal(totals.tenders, 4);
    assert.equal(totals.ictTenders, 3);
    assert.equal(totals.relevantPairs, 14);
    assert.equal(totals.requestedPairs, 9);
    assert.equal(totals.shareRequested, 9 / 14);
  });

  it("counts tenders that asked for everything, generic demands and the publication period", () => {
    const { totals } = report;
    assert.equal(totals.allRequested, 1);
    assert.equal(totals.allRequestedShare, 1 / 3);
    assert.equal(totals.genericDemand, 1);
    assert.equal(totals.undated, 0);
    assert.equal(totals.firstPublished, "2022-03-10");
    assert.equal(totals.lastPublished, "2024-07-01");
  });

  it("gives null shares for an empty corpus instead of dividing by zero", () => {
    const empty = aggregate([]);
    assert.equal(empty.totals.shareRequested, null);
    assert.equal(empty.totals.allRequestedShare, null);
    assert.deepEqual(empty.standards, []);
    assert.deepEqual(empty.trend.byYear, []);
  });
});

describe("aggregate: per tender", () => {
  it("keeps input order and one level per standard, the requirement winning over the wish", () => {
    assert.deepEqual(
      report.tenders.map((row) => row.source),
      corpus.map((entry) => entry.source),
    );
    const website = report.tenders[0];
    assert.ok(website);
    assert.deepEqual(website.requested, [{ standard: "https", level: "required" }]);
    assert.deepEqual(website.missing, ["dnssec", "hsts", "tls"]);
    assert.equal(website.coverage, 0.25);
    assert.equal(website.authority, "Ministerie van Financiën");
    assert.equal(website.publishedAt, "2023-02-14");
  });

  it("lists requests for standards that are not relevant without counting them", () => {
    const mail = report.tenders[3];
    assert.ok(mail);
    assert.deepEqual(mail.alsoRequested, ["iso-27001"]);
    assert.equal(mail.coverage, 1);
    assert.equal(mail.requested.length, 5);
  });

  it("recomputes missing and coverage from relevant and requested", () => {
    const inconsistent = analysis({ source: "x.txt", relevant: ["dnssec", "tls"], requested: [], missing: [], coverage: 1 });
    const row = aggregate([inconsistent]).tenders[0];
    assert.ok(row);
    assert.deepEqual(row.missing, ["dnssec", "tls"]);
    assert.equal(row.coverage, 0);
  });
});

describe("aggregate: per standard", () => {
  it("gives relevant and requested counts, the share and the split by level", () => {
    const byId = new Map(report.standards.map((row) => [row.standard, row]));
    assert.deepEqual(byId.get("dnssec"), { standard: "dnssec", relevantIn: 2, requestedIn: 1, shareRequested: 0.5, required: 1, desired: 0 });
    assert.deepEqual(byId.get("https"), { standard: "https", relevantIn: 2, requestedIn: 2, shareRequested: 1, required: 2, desired: 0 });
    assert.deepEqual(byId.get("tls"), { standard: "tls", relevantIn: 2, requestedIn: 1, shareRequested: 0.5, required: 0, desired: 1 });
    assert.deepEqual(byId.get("hsts"), { standard: "hsts", relevantIn: 2, requestedIn: 0, shareRequested: 0, required: 0, desired: 0 });
    assert.deepEqual(byId.get("dkim"), { standard: "dkim", relevantIn: 1, requestedIn: 1, shareRequested: 1, required: 0, desired: 1 });
    assert.equal(byId.has("iso-27001"), false, "a standard never relevant is not a row");
  });

  it("sorts the most often relevant first, then by id", () => {
    assert.deepEqual(
      report.standards.map((row) => row.standard),
      ["dnssec", "hsts", "https", "tls", "dane", "dkim", "dmarc", "ipv6", "spf", "starttls"],
    );
  });
});

describe("aggregate: per authority", () => {
  it("groups name variants and counts pairs per authority", () => {
    assert.deepEqual(report.authorities, [
      { authority: "Gemeente Utrecht", tenders: 2, ictTenders: 2, relevantPairs: 10, requestedPairs: 8, shareRequested: 0.8, allRequested: 1 },
      { authority: "Ministerie van Financiën", tenders: 2, ictTenders: 1, relevantPairs: 4, requestedPairs: 1, shareRequested: 0.25, allRequested: 0 },
    ]);
  });

  it("puts tenders without an authority in one group, last", () => {
    const unnamed = analysis({ source: "a.txt", relevant: ["dnssec"] });
    const rows = aggregate([unnamed, ministryWebsite, ministryFurniture, { ...unnamed, authority: "  " }]).authorities;
    assert.deepEqual(
      rows.map((row) => [row.authority, row.tenders]),
      [
        ["Ministerie van Financiën", 2],
        [null, 2],
      ],
    );
  });
});

describe("aggregate: trend", () => {
  it("gives the share per year, oldest first, a year without relevant pairs having a null share", () => {
    assert.deepEqual(
      report.trend.byYear.map((row) => [row.period, row.tenders, row.relevantPairs, row.requestedPairs, row.shareRequested]),
      [
        ["2022", 1, 5, 3, 0.6],
        ["2023", 2, 9, 6, 6 / 9],
        ["2024", 1, 0, 0, null],
      ],
    );
  });

  it("gives only the quarters that have tenders, sorted", () => {
    assert.deepEqual(
      report.trend.byQuarter.map((row) => row.period),
      ["2022-Q1", "2023-Q1", "2023-Q4", "2024-Q3"],
    );
  });

  it("leaves undated tenders out of the trend but counts them", () => {
    const undated = analysis({ source: "u.txt", relevant: ["tls"], publishedAt: "unknown" });
    const yearOnly = analysis({ source: "y.txt", relevant: ["tls"], publishedAt: "2021" });
    const result = aggregate([cityHosting, undated, yearOnly]);
    assert.equal(result.totals.undated, 1);
    assert.equal(result.totals.tenders, 3);
    assert.deepEqual(
      result.trend.byYear.map((row) => row.period),
      ["2021", "2022"],
    );
    assert.deepEqual(
      result.trend.byQuarter.map((row) => row.period),
      ["2022-Q1"],
      "a year alone has no quarter",
    );
  });
});

describe("aggregate: most missing", () => {
  it("sorts by the number of tenders that left the standard out, then by id", () => {
    assert.deepEqual(
      report.mostMissing.map((row) => [row.standard, row.missingIn]),
      [
        ["hsts", 2],
        ["dnssec", 1],
        ["ipv6", 1],
        ["tls", 1],
      ],
    );
    assert.equal(report.mostMissing[0]?.shareMissing, 1);
  });

  it("is empty when every tender asked for everything", () => {
    assert.deepEqual(aggregate([cityMail]).mostMissing, []);
  });
});
