/**
 * Test support: a private Postfix (Debian's) on 127.0.0.1 at a port of its
 * own, accepting mail for any address from loopback and delivering every
 * message into one Maildir that the test reads. A real SMTP server, so that
 * what a test sends goes through a real MTA's conversation, queue and
 * delivery (lab/mail/lib/postfix.sh runs its master the same way: its own
 * config, queue and data directories, the master in the foreground).
 * Needs root (Postfix's daemons drop to the postfix user) and the postfix
 * package (scripts/system-deps.sh).
 *
 * @example
 *   const sink = await startPostfixSink();
 *   // ... send to smtp://127.0.0.1:${sink.port} ...
 *   const message = await sink.waitFor((text) => text.includes("Subject: hello"));
 *   await sink.stop();
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MASTER = "/usr/lib/postfix/sbin/master";
const MASTER_CF_DIST = "/usr/share/postfix/master.cf.dist";
/** nobody:nogroup: the virtual delivery agent refuses root. */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

export interface PostfixSink {
  host: "127.0.0.1";
  port: number;
  /** smtp://127.0.0.1:PORT */
  url: string;
  /** Where delivered messages land (Maildir new/ and cur/). */
  maildir: string;
  /** The raw messages delivered so far, oldest first. */
  messages(): string[];
  /** The first delivered message `match` accepts, waiting up to `timeoutMs` (default 20 s). */
  waitFor(match: (message: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Postfix's log, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

/** Why a Postfix sink cannot run here, or false. */
export function postfixSinkSkipReason(): string | false {
  if (process.getuid?.() !== 0) return "the Postfix sink needs root (Postfix's daemons run as the postfix user)";
  if (!existsSync(MASTER) || !existsSync(MASTER_CF_DIST)) return "Postfix is not installed (scripts/system-deps.sh installs it)";
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function install(path: string, owner: string, mode: string): void {
  execFileSync("install", ["-d", "-o", owner.split(":")[0] ?? "root", "-g", owner.split(":")[1] ?? "root", "-m", mode, path]);
}

async function waitForGreeting(port: number, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { connect } = await import("node:net");
  for (;;) {
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.setTimeout(2000);
      socket.once("data", (data) => {
        socket.destroy();
        resolve(data.toString().startsWith("220"));
      });
      socket.once("error", () => resolve(false));
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (greeted) return;
    if (Date.now() > deadline) throw new Error(`Postfix sink: no greeting on 127.0.0.1:${port} within ${timeoutMs} ms\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startPostfixSink(): Promise<PostfixSink> {
  const skip = postfixSinkSkipReason();
  if (skip) throw new Error(skip);
  const dir = mkdtempSync(join(tmpdir(), "baseline-postfix-sink-"));
  const port = await freePort();
  const base = join(dir, "mail");
  const maildir = join(base, "sink");
  execFileSync("chmod", ["0755", dir]);
  install(base, `${MAIL_UID}:${MAIL_GID}`, "0755");
  writeFileSync(
    join(dir, "main.cf"),
    `# A test's Postfix sink (test/support/postfix-sink.ts): everything from loopback, for any domain, into one Maildir.
compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = sink.baseline.test
mydomain = baseline.test
myorigin = $myhostname
mydestination =
relay_domains =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = regexp:{ {/./ OK} }
virtual_mailbox_maps = regexp:{ {/./ sink/} }
virtual_mailbox_base = ${base}
virtual_uid_maps = static:${MAIL_UID}
virtual_gid_maps = static:${MAIL_GID}
virtual_minimum_uid = 100
smtpd_peername_lookup = no
smtpd_tls_security_level = none
biff = no
maillog_file = ${dir}/postfix.log
maillog_file_prefixes = ${dir}
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG
`,
  );
  // Debian's services, none chrooted, without the public smtp listener and pickup; one smtpd on our port.
  const services = readFileSync(MASTER_CF_DIST, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#") && !line.startsWith(" "))
    .filter((line) => !/^smtp\s+inet\b/.test(line) && !/^pickup\s/.test(line))
    .map((line) => {
      const fields = line.split(/\s+/);
      if (fields.length >= 8 && fields[4] === "y") fields[4] = "n";
      return fields.join(" ");
    });
  services.push(`127.0.0.1:${port} inet n - n - - smtpd`);
  writeFileSync(join(dir, "master.cf"), `${services.join("\n")}\n`);
  for (const sub of ["active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"]) install(join(dir, "queue", sub), "postfix:root", "0700");
  install(join(dir, "queue", "pid"), "root:root", "0755");
  install(join(dir, "queue", "maildrop"), "postfix:postdrop", "0730");
  install(join(dir, "queue", "public"), "postfix:postdrop", "0710");
  install(join(dir, "data"), "postfix:postfix", "0700");
  const log = (): string => (existsSync(join(dir, "postfix.log")) ? readFileSync(join(dir, "postfix.log"), "utf8") : "");
  const master: ChildProcess = spawn(MASTER, ["-c", dir, "-d"], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  master.stderr?.on("data", (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<void>((resolve) => master.once("exit", () => resolve()));
  try {
    await waitForGreeting(port, 20_000, () => `${stderr}\n${log()}`);
  } catch (error) {
    master.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const messages = (): string[] => {
    const files: { path: string; name: string }[] = [];
    for (const sub of ["new", "cur"]) {
      const folder = join(maildir, sub);
      if (existsSync(folder)) for (const name of readdirSync(folder)) files.push({ path: join(folder, name), name });
    }
    // Maildir names start with the delivery time in seconds, then a sequence: sorted, oldest first.
    return files.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true })).map((file) => readFileSync(file.path, "utf8"));
  };
  return {
    host: "127.0.0.1",
    port,
    url: `smtp://127.0.0.1:${port}`,
    maildir,
    messages,
    log,
    async waitFor(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages().find(match);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`Postfix sink: no matching message within ${timeoutMs} ms (${messages().length} delivered)\n${log().slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (master.exitCode === null) master.kill("SIGTERM");
      await exited;
      mkdirSync(dir, { recursive: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The body of a single-part message as text: quoted-printable and base64 decoded (nodemailer's text mail). */
export function bodyText(message: string): string {
  const split = message.indexOf("\n\n");
  const headers = split === -1 ? message : message.slice(0, split);
  const body = split === -1 ? "" : message.slice(split + 2);
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
  if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (encoding !== "quoted-printable") return body;
  const bytes: number[] = [];
  const joined = body.replace(/=\r?\n/g, "");
  for (let index = 0; index < joined.length; index++) {
    const hex = joined.slice(index + 1, index + 3);
    if (joined[index] === "=" && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else bytes.push(...Buffer.from(joined[index] ?? "", "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}
