/**
 * web.ipv6.ns-reachable against a real DNS server on ::1 (UDP and TCP,
 * started here): the name servers' AAAA come from a fixed resolver, the
 * queries go over the network.
 */
import assert from "node:assert/strict";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { defaultSettings, DomainContext } from "../../context.ts";
import type { Resolution, Resolver } from "../../../dns/resolver.ts";
import type { Message } from "../../../dns/types.ts";
import { encodeMessage, parseMessage } from "../../../dns/wire.ts";
import { probeDns } from "./dns-probe.ts";
import { nsReachableCheck } from "./ipv6.ts";

function answer(query: Uint8Array): Uint8Array {
  const question = parseMessage(query);
  const reply: Message = {
    id: question.id,
    flags: { qr: true, aa: true, tc: false, rd: false, ra: false, ad: false, cd: false },
    opcode: "QUERY",
    rcode: "NOERROR",
    questions: question.questions,
    answers: [{ name: "example.org.", type: "SOA", class: "IN", ttl: 300, data: { mname: "ns1.example.net.", rname: "host.example.org.", serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 } }],
    authorities: [],
    additionals: [],
  };
  return encodeMessage(reply);
}

/** A UDP DNS server on ::1 (silent: receives but never answers). */
function udpServer(port: number, silent = false): Promise<UdpSocket> {
  const socket = createSocket("udp6");
  socket.on("message", (packet, remote) => {
    if (!silent) socket.send(answer(packet), remote.port, remote.address);
  });
  return new Promise((resolve) => socket.bind(port, "::1", () => resolve(socket)));
}

function tcpServer(): Promise<Server> {
  const server = createServer((connection) => {
    let received = Buffer.alloc(0);
    connection.on("error", () => undefined);
    connection.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      const reply = answer(received.subarray(2, 2 + received.readUInt16BE(0)));
      const framed = Buffer.alloc(2 + reply.length);
      framed.writeUInt16BE(reply.length, 0);
      framed.set(reply, 2);
      connection.end(framed);
    });
  });
  return new Promise((resolve) => server.listen(0, "::1", () => resolve(server)));
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function resolverWithNs(addresses: string[]): Resolver {
  const resolver = {
    resolve(name: string, type: string): Promise<Resolution> {
      const answers = name === "example.org." && type === "NS"
        ? addresses.map((_, index) => ({ name, type: "NS", ttl: 300, data: `ns${index + 1}.example.net.` }))
        : type === "AAAA" && /^ns\d\.example\.net\.$/.test(name) ? [{ name, type: "AAAA", ttl: 300, data: addresses[Number(name[2]) - 1] ?? "" }] : [];
      return Promise.resolve({ name, type, rcode: "NOERROR", security: "insecure", reason: null, answer: answers, chain: [], referrals: [] });
    },
  };
  // Only resolve() is read by DomainContext.
  return resolver as unknown as Resolver;
}

async function check(port: number, timeoutMs = 1000): Promise<Awaited<ReturnType<ReturnType<typeof nsReachableCheck>["run"]>>> {
  const ctx = new DomainContext("example.org", defaultSettings(resolverWithNs(["::1", "0:0::1"]), { allowPrivate: true, timeoutMs }));
  try {
    return await nsReachableCheck(port).run(ctx);
  } finally {
    ctx.close();
  }
}

describe("web.ipv6.ns-reachable against a DNS server on ::1", () => {
  let tcp: Server;
  let udp: UdpSocket;
  let port: number;

  before(async () => {
    tcp = await tcpServer();
    port = portOf(tcp);
    udp = await udpServer(port);
  });
  after(() => {
    tcp.close();
    udp.close();
  });

  it("passes when every address answers over UDP and TCP", async () => {
    const outcome = await check(port);
    assert.equal(outcome.status, "passed", outcome.summary);
    const results = outcome.evidence.results as { udp: { rcode: string; authoritative: boolean }; tcp: { rcode: string } }[];
    assert.equal(results.length, 2);
    const [first] = results;
    assert.ok(first);
    assert.equal(first.udp.rcode, "NOERROR");
    assert.equal(first.udp.authoritative, true);
    assert.equal(first.tcp.rcode, "NOERROR");
  });

  it("fails when TCP is closed, naming the transport", async () => {
    const other = await tcpServer();
    const freePort = portOf(other);
    await new Promise((resolve) => other.close(resolve));
    const udpOnly = await udpServer(freePort);
    try {
      const outcome = await check(freePort);
      assert.equal(outcome.status, "failed");
      assert.match(outcome.summary, /2 of 2 .* answers over UDP but not over TCP \(TCP to \[::1\]:\d+: ECONNREFUSED\)/);
    } finally {
      udpOnly.close();
    }
  });

  it("reports a UDP timeout within the step timeout", async () => {
    const other = await tcpServer();
    const silent = await udpServer(portOf(other), true);
    try {
      const started = Date.now();
      const result = await probeDns("::1", portOf(other), { name: "example.org.", type: "SOA" }, "udp", 300);
      assert.equal(result.answered, false);
      assert.match(result.error ?? "", /no UDP answer from \[::1\]:\d+ within 300 ms/);
      assert.ok(Date.now() - started < 2000);
      const viaTcp = await probeDns("::1", portOf(other), { name: "example.org.", type: "SOA" }, "tcp", 300);
      assert.equal(viaTcp.answered, true);
    } finally {
      silent.close();
      other.close();
    }
  });
});
