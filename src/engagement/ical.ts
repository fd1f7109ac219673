/**
 * An engagement event (a webinar, a meeting, an IGF session) as an
 * iCalendar file (RFC 5545) that calendar programs import: one VEVENT in a
 * PUBLISH calendar, written by ical-generator.
 *
 * Times are written in UTC (`DTSTART:20270115T090000Z`), which every
 * calendar program reads and shows in its user's own zone. A TZID would
 * need a VTIMEZONE block of the zone's rules, and a wrong one shifts the
 * meeting; the event's own zone and local time are said in words in the
 * description instead ("15 January 2027 at 10:00 (Africa/Nairobi)"), for
 * the people who read the invitation rather than import it.
 *
 * The UID is stable per event and site, and SEQUENCE counts revisions, so
 * that importing the file again after a change updates the entry instead
 * of adding a second one (RFC 5545 §3.8.7.4).
 *
 * @example
 *   const text = eventCalendar({ id: "e1", title: "Webinar", startsAt: "2027-01-15T09:00:00Z",
 *     endsAt: "2027-01-15T10:30:00Z", timeZone: "Africa/Nairobi" }, { site: "baseline.example.org" });
 */
import ical, { ICalCalendarMethod, ICalEventStatus } from "ical-generator";
import { z } from "zod";

export interface EngagementEventInput {
  id: string;
  title: string;
  /** ISO 8601 instants. */
  startsAt: string;
  endsAt: string;
  /** The IANA zone the event is organised in (e.g. "America/Bogota"). */
  timeZone: string;
  description?: string | null;
  /** A place, or the meeting's online address. */
  location?: string | null;
  /** The event's public page. */
  url?: string | null;
  organizer?: { name: string; email: string } | null;
  /** How many times the event was changed after it was announced (0 at first). */
  revision?: number;
  /** A cancelled event is published as such, so that calendars take it out. */
  cancelled?: boolean;
}

export interface CalendarOptions {
  /** The host name in every UID (`event-ID@SITE`): the same event from two Baseline sites stays two events. */
  site: string;
  /** DTSTAMP: when the file was made (default now). */
  now?: Date;
}

export class CalendarInputError extends Error {}

/** Whether the runtime knows the IANA zone (Intl throws a RangeError for one it does not). */
function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const instant = z.iso.datetime({ offset: true });

const eventInput = z
  .object({
    id: z.string().min(1).max(100),
    title: z.string().trim().min(1).max(300),
    startsAt: instant,
    endsAt: instant,
    timeZone: z.string().refine(knownTimeZone, "is not a time zone this system knows (an IANA name such as Europe/Paris)"),
    description: z.string().max(20_000).nullish(),
    location: z.string().max(1000).nullish(),
    url: z.url({ protocol: /^https?$/ }).nullish(),
    organizer: z.object({ name: z.string().min(1).max(200), email: z.email() }).nullish(),
    revision: z.number().int().min(0).max(100_000).optional(),
    cancelled: z.boolean().optional(),
  })
  .refine((event) => Date.parse(event.endsAt) > Date.parse(event.startsAt), { message: "ends before it starts", path: ["endsAt"] });

/** "15 January 2027 at 10:00 (Africa/Nairobi)": the start as people there read it. */
export function localStart(startsAt: string, timeZone: string): string {
  const text = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", day: "numeric", month: "long", year: "numeric", hourCycle: "h23" }).format(new Date(startsAt));
  return `${text} (${timeZone})`;
}

/** The event as the text of an .ics file; throws CalendarInputError naming the field for bad input. */
export function eventCalendar(input: EngagementEventInput, options: CalendarOptions): string {
  const parsed = eventInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CalendarInputError(`event ${input.id || "(no id)"}: ${issue?.path.join(".") || "event"} ${issue?.message ?? "is not valid"}`);
  }
  const event = parsed.data;
  const calendar = ical({
    prodId: { company: "Baseline", product: "Engagement", language: "EN" },
    method: ICalCalendarMethod.PUBLISH,
    name: event.title,
  });
  const starts = `Starts ${localStart(event.startsAt, event.timeZone)}.`;
  calendar.createEvent({
    id: `event-${event.id}@${options.site}`,
    sequence: event.revision ?? 0,
    stamp: options.now ?? new Date(),
    start: new Date(event.startsAt),
    end: new Date(event.endsAt),
    summary: event.cancelled ? `Cancelled: ${event.title}` : event.title,
    description: event.description ? `${starts}\n\n${event.description}` : starts,
    ...(event.location ? { location: event.location } : {}),
    ...(event.url ? { url: event.url } : {}),
    ...(event.organizer ? { organizer: { name: event.organizer.name, email: event.organizer.email } } : {}),
    ...(event.cancelled ? { status: ICalEventStatus.CANCELLED } : {}),
  });
  return calendar.toString();
}
