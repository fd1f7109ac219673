// The event's .ics as a calendar program reads it: parsed back with
// ical.js, with the times in UTC, a stable UID, the revision as SEQUENCE,
// text escaped and lines folded as RFC 5545 says, and bad input refused
// with the field named.
import assert from "node:assert/strict";
import { test } from "node:test";
import ICAL from "ical.js";
import { CalendarInputError, eventCalendar, localStart, type EngagementEventInput } from "./ical.ts";

const webinar: EngagementEventInput = {
  id: "e1",
  title: "Security standards in tenders; a webinar, for buyers",
  startsAt: "2027-01-15T07:00:00Z",
  endsAt: "2027-01-15T08:30:00Z",
  timeZone: "Africa/Nairobi",
  description: "Agenda:\n1. Why ask for DNSSEC, DMARC and TLS\n2. The comply-or-explain list, with examples from many countries ".repeat(3),
  location: "https://meet.example.org/baseline-webinar",
  url: "https://baseline.example.org/events/e1",
  organizer: { name: "Baseline secretariat", email: "events@example.org" },
  revision: 2,
};

function firstEvent(text: string): ICAL.Event {
  // ical.js types its parse result as any: it is jCal, an array (RFC 7265).
  const component = new ICAL.Component(ICAL.parse(text) as unknown[]);
  const vevent = component.getFirstSubcomponent("vevent");
  assert.ok(vevent, "a VEVENT");
  return new ICAL.Event(vevent);
}

test("a calendar program reads the event back: UTC times, UID, SEQUENCE, texts", () => {
  const text = eventCalendar(webinar, { site: "baseline.example.org", now: new Date("2026-12-07T12:00:00Z") });
  assert.match(text, /^BEGIN:VCALENDAR\r\n/);
  assert.match(text, /\r\nMETHOD:PUBLISH\r\n/);
  assert.match(text, /\r\nDTSTART:20270115T070000Z\r\n/);
  for (const line of text.split("\r\n")) assert.ok(Buffer.byteLength(line) <= 75, `folded: ${line}`);
  const event = firstEvent(text);
  assert.equal(event.uid, "event-e1@baseline.example.org");
  assert.equal(event.sequence, 2);
  assert.equal(event.summary, webinar.title, "semicolons and commas come back as written");
  assert.equal(event.startDate.toJSDate().toISOString(), "2027-01-15T07:00:00.000Z");
  assert.equal(event.endDate.toJSDate().toISOString(), "2027-01-15T08:30:00.000Z");
  assert.ok(event.description.startsWith("Starts 15 January 2027 at 10:00 (Africa/Nairobi).\n\nAgenda:\n1. Why"), event.description);
  assert.equal(event.location, webinar.location);
  assert.match(event.organizer, /^mailto:events@example\.org$/i);
});

test("the same event made again keeps its UID; a cancelled one says so", () => {
  const again = firstEvent(eventCalendar({ ...webinar, revision: 3, cancelled: true }, { site: "baseline.example.org" }));
  assert.equal(again.uid, "event-e1@baseline.example.org");
  assert.equal(again.sequence, 3);
  assert.equal(again.component.getFirstPropertyValue("status"), "CANCELLED");
  assert.match(again.summary, /^Cancelled: /);
});

test("says the local start in the event's own zone, summer time included", () => {
  assert.equal(localStart("2027-07-01T16:00:00Z", "America/New_York"), "1 July 2027 at 12:00 (America/New_York)");
  assert.equal(localStart("2027-01-01T16:00:00Z", "America/New_York"), "1 January 2027 at 11:00 (America/New_York)");
});

test("refuses bad input, naming the field", () => {
  const refused = (change: Partial<EngagementEventInput>, pattern: RegExp): void => {
    assert.throws(() => eventCalendar({ ...webinar, ...change }, { site: "s" }), (error: unknown) => error instanceof CalendarInputError && pattern.test(error.message));
  };
  refused({ timeZone: "Mars/Olympus" }, /^event e1: timeZone is not a time zone/);
  refused({ endsAt: "2027-01-15T06:00:00Z" }, /^event e1: endsAt ends before it starts/);
  refused({ startsAt: "next tuesday" }, /^event e1: startsAt /);
  refused({ url: "javascript:alert(1)" }, /^event e1: url /);
  refused({ title: "  " }, /^event e1: title /);
});
