import assert from "node:assert/strict";
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket as TcpSocket } from "node:net";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DnsTimeoutError, DnsTransport, DnsTransportError } from "./transport.ts";
import type { Message, ResourceRecord } from "./types.ts";
import { encodeMessage, parseMessage } from "./wire.ts";

type UdpHandler = (query: Message, reply: (answer: Message | Uint8Array) => void, remote: RemoteInfo) => void;
type TcpHandler = (query: Message, connection: TcpSocket) => void;

interface TestServer {
  host: string;
  port: number;
  udp: UdpSocket;
  /** Every query that reached the UDP socket, with where it came from. */
  queries: { message: Message; remote: RemoteInfo }[];
  tcpQueries: Message[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

/** A UDP server and, on the same port, a TCP server (RFC 7766 framing), on loopback. */
async function startServer(udpHandler: UdpHandler, tcpHandler?: TcpHandler, host = "127.0.0.1"): Promise<TestServer> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket(host.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, host, () => resolve());
    });
    const port = udp.address().port;
    const tcp: Server = createServer();
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once("error", () => resolve(false));
      tcp.listen(port, host, () => resolve(true));
    });
    if (!listening) {
      udp.close();
      if (attempt < 5) continue;
      throw new Error("no port free for both UDP and TCP");
    }
    const connections = new Set<TcpSocket>();
    const server: TestServer = {
      host,
      port,
      udp,
      queries: [],
      tcpQueries: [],
      close: async () => {
        for (const connection of connections) connection.destroy();
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
        await new Promise<void>((resolve) => udp.close(() => resolve()));
      },
    };
    udp.on("message", (packet, remote) => {
      const message = parseMessage(packet);
      server.queries.push({ message, remote });
      udpHandler(message, (answer) => udp.send(answer instanceof Uint8Array ? answer : encodeMessage(answer), remote.port, remote.address), remote);
    });
    tcp.on("connection", (connection) => {
      connections.add(connection);
      connection.on("close", () => connections.delete(connection));
      let buffered = Buffer.alloc(0);
      connection.on("data", (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
        const message = parseMessage(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        server.tcpQueries.push(message);
        tcpHandler?.(message, connection);
      });
    });
    servers.push(server);
    return server;
  }
}

const A = (name: string, address: string): ResourceRecord => ({ name, type: "A", class: "IN", ttl: 60, data: address });

function answer(query: Message, answers: ResourceRecord[], change: Partial<Message> = {}): Message {
  return {
    ...query,
    flags: { ...query.flags, qr: true, aa: true },
    answers,
    authorities: [],
    additionals: [],
    ...change,
  };
}

function framed(message: Message): Buffer {
  const bytes = encodeMessage(message);
  const out = Buffer.alloc(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  out.set(bytes, 2);
  return out;
}

const question = { name: "www.example.test.", type: "A" };
const target = (server: TestServer) => ({ address: server.host, port: server.port });

describe("DnsTransport over UDP", () => {
  it("returns the answer with its round-trip time, from a query with EDNS, DO and a fresh id", async () => {
    const server = await startServer((query, reply) => reply(answer(query, [A(question.name, "192.0.2.1")])));
    const transport = new DnsTransport({ timeoutMs: 500 });
    const result = await transport.query(target(server), question);
    assert.equal(result.transport, "udp");
    assert.deepEqual(result.message.answers, [A(question.name, "192.0.2.1")]);
    assert.ok(result.rttMs >= 0 && result.rttMs < 500);
    const [received] = server.queries;
    assert.ok(received);
    assert.equal(received.message.edns?.dnssecOk, true);
    assert.equal(received.message.flags.rd, false);
    assert.equal(received.message.id, result.message.id);
  });

  it("passes the RD, CD and DO options on", async () => {
    const server = await startServer((query, reply) => reply(answer(query, [])));
    await new DnsTransport({ timeoutMs: 500 }).query(target(server), question, { recursionDesired: true, checkingDisabled: true, dnssecOk: false });
    const [received] = server.queries;
    assert.ok(received?.message.flags.rd && received.message.flags.cd);
    assert.equal(received.message.edns?.dnssecOk, false);
  });

  it("ignores an answer with the wrong id and takes the right one that follows", async () => {
    const server = await startServer((query, reply) => {
      reply(answer({ ...query, id: query.id ^ 0x5555 }, [A(question.name, "203.0.113.66")]));
      setTimeout(() => reply(answer(query, [A(question.name, "192.0.2.1")])), 20);
    });
    const result = await new DnsTransport({ timeoutMs: 500 }).query(target(server), question);
    assert.equal(result.message.answers[0]?.data, "192.0.2.1");
    assert.equal(server.queries.length, 1);
  });

  it("ignores answers to another question, answers without QR and answers from another port", async () => {
    const server = await startServer((query, reply, remote) => {
      reply(answer(query, [A("evil.example.test.", "203.0.113.66")], { questions: [{ name: "evil.example.test.", type: "A", class: "IN" }] }));
      reply(answer(query, [A(question.name, "203.0.113.66")], { questions: [{ name: question.name, type: "AAAA", class: "IN" }] }));
      reply(answer(query, [A(question.name, "203.0.113.66")], { flags: { ...query.flags, qr: false } }));
      reply(answer(query, [A(question.name, "203.0.113.66")], { questions: [] }));
      const spoofer = createSocket("udp4");
      spoofer.send(encodeMessage(answer(query, [A(question.name, "203.0.113.66")])), remote.port, remote.address, () => spoofer.close());
    });
    const transport = new DnsTransport({ timeoutMs: 150, retries: 0 });
    await assert.rejects(transport.query(target(server), question), DnsTimeoutError);
  });

  it("accepts the echoed question in another case (RFC 4343)", async () => {
    const server = await startServer((query, reply) => reply(answer(query, [], { questions: [{ name: "WWW.Example.TEST.", type: "A", class: "IN" }] })));
    const result = await new DnsTransport({ timeoutMs: 500 }).query(target(server), question);
    assert.equal(result.message.questions[0]?.name, "WWW.Example.TEST.");
  });

  it("times out after (retries + 1) × timeout, each attempt from a new socket, and names server and question", async () => {
    const server = await startServer(() => undefined);
    const transport = new DnsTransport({ timeoutMs: 100, retries: 2 });
    const started = performance.now();
    await assert.rejects(transport.query(target(server), question), (error: unknown) => {
      assert.ok(error instanceof DnsTimeoutError);
      assert.deepEqual(error.server, target(server));
      assert.deepEqual(error.question, question);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${server.port}.*www\\.example\\.test\\. A.*3 attempts of 100 ms`));
      return true;
    });
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 700, `took ${Math.round(elapsed)} ms`);
    assert.equal(server.queries.length, 3);
    assert.ok(new Set(server.queries.map((query) => query.remote.port)).size >= 2, "attempts came from the same source port");
  });

  it("treats an answer after the timeout as lost, and takes a timely answer to the retry", async () => {
    let count = 0;
    const server = await startServer((query, reply) => {
      count++;
      const late = count === 1;
      setTimeout(() => reply(answer(query, [A(question.name, late ? "203.0.113.66" : "192.0.2.1")])), late ? 150 : 0);
    });
    const result = await new DnsTransport({ timeoutMs: 100, retries: 1 }).query(target(server), question);
    assert.equal(result.message.answers[0]?.data, "192.0.2.1");
    assert.equal(server.queries.length, 2);

    const always = await startServer((query, reply) => setTimeout(() => reply(answer(query, [])), 150));
    await assert.rejects(new DnsTransport({ timeoutMs: 100, retries: 0 }).query(target(always), question), DnsTimeoutError);
  });

  it("ignores a malformed packet, then takes the good answer or times out", async () => {
    const garbageThenGood = await startServer((query, reply) => {
      reply(Uint8Array.from([(query.id >> 8) & 0xff, query.id & 0xff, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 12]));
      setTimeout(() => reply(answer(query, [A(question.name, "192.0.2.1")])), 20);
    });
    const result = await new DnsTransport({ timeoutMs: 500 }).query(target(garbageThenGood), question);
    assert.equal(result.message.answers[0]?.data, "192.0.2.1");

    const garbageOnly = await startServer((_query, reply) => reply(Uint8Array.from([1, 2, 3])));
    await assert.rejects(new DnsTransport({ timeoutMs: 100, retries: 0 }).query(target(garbageOnly), question), DnsTimeoutError);
  });

  it("works over IPv6 loopback", async (t) => {
    let server: TestServer;
    try {
      server = await startServer((query, reply) => reply(answer(query, [A(question.name, "192.0.2.6")])), undefined, "::1");
    } catch {
      t.skip("no IPv6 loopback here");
      return;
    }
    const result = await new DnsTransport({ timeoutMs: 500 }).query({ address: "0:0:0:0:0:0:0:1", port: server.port }, question);
    assert.equal(result.message.answers[0]?.data, "192.0.2.6");
  });

  it("refuses host names as server addresses and bad options", async () => {
    await assert.rejects(new DnsTransport().query({ address: "localhost", port: 53 }, question), TypeError);
    assert.throws(() => new DnsTransport({ retries: 11 }), RangeError);
    assert.throws(() => new DnsTransport({ timeoutMs: 0 }), RangeError);
  });

  it("stops waiting when aborted", async () => {
    const server = await startServer(() => undefined);
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(new DnsTransport({ timeoutMs: 1000 }).query(target(server), question, { signal: controller.signal }), { name: "AbortError" });
    assert.ok(performance.now() - started < 500);
  });
});

describe("DnsTransport over TCP", () => {
  const bigTxt: ResourceRecord = { name: question.name, type: "TXT", class: "IN", ttl: 60, data: Array.from({ length: 20 }, (_, index) => new Uint8Array(200).fill(0x41 + index)) };

  it("retries over TCP when the UDP answer is truncated, and gets the full answer", async () => {
    const server = await startServer(
      (query, reply) => reply(answer(query, [], { flags: { ...query.flags, qr: true, tc: true } })),
      (query, connection) => {
        // Sent in two pieces, the first cutting the length prefix, to prove reassembly.
        const whole = framed(answer(query, [bigTxt]));
        connection.write(whole.subarray(0, 1));
        setTimeout(() => connection.write(whole.subarray(1)), 20);
      },
    );
    const result = await new DnsTransport({ timeoutMs: 500 }).query(target(server), { name: question.name, type: "TXT" });
    assert.equal(result.transport, "tcp");
    assert.deepEqual(result.message.answers, [bigTxt]);
    assert.equal(server.tcpQueries.length, 1);
    assert.notEqual(server.tcpQueries[0]?.id, server.queries[0]?.message.id, "the TCP query has its own id (1 in 65536 may collide)");
  });

  it("over TCP too, ignores an answer with the wrong id and takes the next one", async () => {
    const server = await startServer(
      (query, reply) => reply(answer(query, [], { flags: { ...query.flags, qr: true, tc: true } })),
      (query, connection) => connection.write(Buffer.concat([framed(answer({ ...query, id: query.id ^ 1 }, [])), framed(answer(query, [bigTxt]))])),
    );
    const result = await new DnsTransport({ timeoutMs: 500 }).query(target(server), { name: question.name, type: "TXT" });
    assert.deepEqual(result.message.answers, [bigTxt]);
  });

  it("times out when the TCP server never answers", async () => {
    const server = await startServer((query, reply) => reply(answer(query, [], { flags: { ...query.flags, qr: true, tc: true } })), () => undefined);
    const started = performance.now();
    await assert.rejects(new DnsTransport({ timeoutMs: 100, retries: 0 }).query(target(server), question), DnsTimeoutError);
    assert.ok(performance.now() - started < 400);
  });

  it("refuses a TCP answer over maxTcpResponseBytes and a connection closed without an answer", async () => {
    const big = await startServer(
      (query, reply) => reply(answer(query, [], { flags: { ...query.flags, qr: true, tc: true } })),
      (query, connection) => connection.write(framed(answer(query, [bigTxt]))),
    );
    await assert.rejects(new DnsTransport({ timeoutMs: 500, maxTcpResponseBytes: 1000 }).query(target(big), question), DnsTransportError);
    const rude = await startServer(
      (query, reply) => reply(answer(query, [], { flags: { ...query.flags, qr: true, tc: true } })),
      (_query, connection) => connection.end(),
    );
    await assert.rejects(new DnsTransport({ timeoutMs: 500 }).query(target(rude), question), DnsTransportError);
  });
});

describe("DnsTransport limits and resources", () => {
  /** A server that answers each query after `holdMs`, counting how many it holds at once. */
  async function slowServer(holdMs: number, tally: { now: number; peak: number }): Promise<TestServer> {
    return startServer((query, reply) => {
      tally.now++;
      tally.peak = Math.max(tally.peak, tally.now);
      setTimeout(() => {
        tally.now--;
        reply(answer(query, []));
      }, holdMs);
    });
  }

  it("keeps no more than maxInFlightPerServer queries outstanding at one server", async () => {
    const tally = { now: 0, peak: 0 };
    const server = await slowServer(40, tally);
    const transport = new DnsTransport({ timeoutMs: 2000, maxInFlightPerServer: 4 });
    const results = await Promise.all(Array.from({ length: 24 }, (_, index) => transport.query(target(server), { name: `q${index}.example.test.`, type: "A" })));
    assert.equal(results.length, 24);
    assert.equal(server.queries.length, 24);
    assert.equal(tally.peak, 4);
  });

  it("keeps no more than maxInFlight queries outstanding overall", async () => {
    const tally = { now: 0, peak: 0 };
    const first = await slowServer(40, tally);
    const second = await slowServer(40, tally);
    const transport = new DnsTransport({ timeoutMs: 2000, maxInFlight: 3, maxInFlightPerServer: 16 });
    await Promise.all(Array.from({ length: 18 }, (_, index) => transport.query(target(index % 2 ? first : second), { name: `q${index}.example.test.`, type: "A" })));
    assert.equal(tally.peak, 3);
  });

  it("leaves no socket open, whatever happened to the queries", async () => {
    const good = await startServer((query, reply) => reply(answer(query, [])));
    const silent = await startServer(() => undefined);
    const truncating = await startServer(
      (query, reply) => reply(answer(query, [], { flags: { ...query.flags, qr: true, tc: true } })),
      (query, connection) => connection.write(framed(answer(query, []))),
    );
    const open = (): number => process.getActiveResourcesInfo().filter((kind) => kind === "UDPWrap" || kind === "TCPSocketWrap").length;
    await sleep(50); // let sockets of earlier tests finish closing
    const before = open();
    const transport = new DnsTransport({ timeoutMs: 60, retries: 1 });
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 10 }, () => transport.query(target(good), question)),
      ...Array.from({ length: 5 }, () => transport.query(target(silent), question)),
      ...Array.from({ length: 5 }, () => transport.query(target(truncating), question)),
    ]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), [...Array<string>(10).fill("fulfilled"), ...Array<string>(5).fill("rejected"), ...Array<string>(5).fill("fulfilled")]);
    await sleep(50); // closes (ours, and the test servers' ends of TCP) land on later turns of the loop
    assert.equal(open(), before);
  });
});
