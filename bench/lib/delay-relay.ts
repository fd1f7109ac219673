/**
 * The user-space stand-in for netem, run inside the bench namespace by
 * netns-lab.ts when the kernel has no sch_netem:
 * `node bench/lib/delay-relay.ts PORT[/6]...`. For each PORT it listens on
 * 10.254.0.2 (and fd00:5a5b::2 with /6) and forwards to 127.0.0.1:PORT; it
 * also forwards UDP 53 on 10.254.0.2. Every DNS datagram and every TCP data
 * chunk is held 10 ms in each direction; equal delays keep each direction's
 * order (timers of equal duration fire in the order they were set). TCP
 * handshakes themselves are not delayed. BASELINE_RELAY_ADDRESSES adds
 * addresses to listen on for every TCP port.
 */
import { createSocket } from "node:dgram";
import { connect, createServer, type Socket } from "node:net";

const DELAY_MS = 10;
const INSIDE4 = "10.254.0.2";
const INSIDE6 = "fd00:5a5b::2";

function relayTcp(port: number, address: string): void {
  createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    const pipe = (from: Socket, to: Socket): void => {
      from.on("data", (chunk: Buffer) => setTimeout(() => to.write(chunk), DELAY_MS));
      from.on("end", () => setTimeout(() => to.end(), DELAY_MS));
      from.on("error", () => to.destroy());
      from.on("close", (hadError: boolean) => {
        if (hadError) to.destroy();
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
  }).listen(port, address);
}

function relayDns(): void {
  const udp = createSocket("udp4");
  udp.on("message", (query, client) => {
    setTimeout(() => {
      const upstream = createSocket("udp4");
      const timer = setTimeout(() => upstream.close(), 5000);
      upstream.on("message", (answer) => {
        clearTimeout(timer);
        upstream.close();
        setTimeout(() => udp.send(answer, client.port, client.address), DELAY_MS);
      });
      upstream.send(query, 53, "127.0.0.1");
    }, DELAY_MS);
  });
  udp.bind(53, INSIDE4);
}

// More addresses to relay every TCP port on (comma-separated, IPv4 or IPv6, already on the
// namespace's interface): the campaign bench gives each domain addresses of its own.
const extra = (process.env.BASELINE_RELAY_ADDRESSES ?? "").split(",").filter((address) => address !== "");
for (const spec of process.argv.slice(2)) {
  const port = Number.parseInt(spec, 10);
  relayTcp(port, INSIDE4);
  if (spec.endsWith("/6")) relayTcp(port, INSIDE6);
  for (const address of extra) relayTcp(port, address);
}
relayDns();
