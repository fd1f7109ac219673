/**
 * Survey invitations by e-mail, through the SMTP server the operator names
 * (`serve --smtp-url`, the one alert e-mails use; the transport is built the
 * same way as in campaigns/delivery.ts). Each invitation is one message
 * with its own single-use link; the token is in the link only (the store
 * keeps its hash), so a message that never left cannot be sent again:
 * new invitations are made instead.
 *
 * @example
 *   const mailer = new InvitationMailer({ smtpUrl: "smtp://127.0.0.1:25", mailFrom: "surveys@example.org" });
 *   await mailer.send({ to: "a@example.org", subject: "…", text: "…" });
 */
import nodemailer, { type Transporter } from "nodemailer";
import { smtpUrlProblem } from "../campaigns/delivery.ts";

export interface SurveyMailOptions {
  /** smtp://host:port or smtps://…; absent: invitations cannot be sent (the page says so). */
  smtpUrl?: string;
  /** The From address (default baseline@localhost, as `serve --mail-from`). */
  mailFrom?: string;
  /** The address people reach the server at (`serve --public-url`), for the links; absent: the request's own. */
  baseUrl?: string;
  /** Per message, for the SMTP conversation (default 10 s). */
  timeoutMs?: number;
}

export class InvitationMailer {
  readonly #transport: Transporter | null;
  readonly #from: string;
  readonly #baseUrl: string | undefined;

  constructor(options: SurveyMailOptions) {
    const problem = options.smtpUrl === undefined ? null : smtpUrlProblem(options.smtpUrl);
    if (problem) throw new Error(problem);
    const timeout = options.timeoutMs ?? 10_000;
    this.#from = options.mailFrom ?? "baseline@localhost";
    this.#baseUrl = options.baseUrl?.replace(/\/+$/, "");
    this.#transport = options.smtpUrl
      ? nodemailer.createTransport({ url: options.smtpUrl, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout } as Parameters<typeof nodemailer.createTransport>[0])
      : null;
  }

  /** Where links point: the configured public address, else the origin of the request being answered. */
  base(requestUrl: string): string {
    return this.#baseUrl ?? new URL(requestUrl).origin;
  }

  /** Whether an SMTP server is configured. */
  get configured(): boolean {
    return this.#transport !== null;
  }

  async send(message: { to: string; subject: string; text: string }): Promise<void> {
    if (!this.#transport) throw new Error("no SMTP server is configured");
    await this.#transport.sendMail({ from: this.#from, to: message.to, subject: message.subject, text: message.text });
  }

  close(): void {
    this.#transport?.close();
  }
}
