/**
 * Politeness towards the servers checked: at most `limit` connections to
 * one target IP address at once, from this process (LocalAddressLimiter,
 * the embedded runner on SQLite) or from the whole fleet of workers that
 * share one PostgreSQL database (PostgresAddressLimiter). The checks'
 * per-domain bounds (settings.connectionsPerHost) cannot see that fifty
 * domains on one shared host are being checked by ten workers at once;
 * this can. The checks reach it through settings.addressGate (every TCP
 * connection to a target address: HTTP exchanges, TLS probes and
 * handshakes, SMTP; see DomainContext.gated and gatedConnector).
 *
 * Fleet-wide, with PostgreSQL session advisory locks: an address has
 * `limit` slots, slot i being the lock (hash(address), i). A connection
 * runs while its process holds one slot's lock; each process keeps one
 * connection to the database for its locks. A process that dies (SIGKILL,
 * lost machine) loses its session and with it every lock at once: no lease
 * to wait out, nothing to clean up.
 *
 * Cheap enough for every connection: a slot that falls free is handed to
 * the next connection of this process to the same address without asking
 * the database, and is kept a short while (`lingerMs`) before it is
 * unlocked, so that the dozens of TLS probes of one address cost a couple
 * of round trips to the database, not dozens. A process waiting for a slot
 * that another process holds asks again every few tens of milliseconds.
 *
 * When the database is away (restarting), the limiter keeps the bound per
 * process and connects again a second later; until then, the fleet as a
 * whole may exceed the bound (each process stays within it), and says so.
 *
 * @example
 *   const limiter = new PostgresAddressLimiter({ connectionString, limit: 4 });
 *   const settings = defaultSettings(resolver, { addressGate: (address) => limiter.gate(address) });
 */
import { createHash } from "node:crypto";
import pg from "pg";
import type { Gate } from "../tls/connection.ts";

/** "A few connections at once" to one address, fleet-wide (`--connections-per-address`). */
export const DEFAULT_CONNECTIONS_PER_ADDRESS = 4;

export interface AddressLimiter {
  /** Runs `task` holding one of `address`'s slots; waits for one first (aborted by `signal`). */
  run<T>(address: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** The same as a Gate of one address (settings.addressGate). */
  gate(address: string): Gate;
  close(): Promise<void>;
}

interface Waiter {
  wake: () => void;
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`connections per address must be a positive integer, got ${limit}`);
}

function aborted(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error ? signal.reason : new Error("aborted while waiting for a connection slot");
}

/** Waits until woken, `ms` passed or `signal` aborted (then throws). */
function pause(waiters: Waiter[], ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const waiter: Waiter = { wake: () => done(null) };
    const timer = ms === Infinity ? undefined : setTimeout(() => done(null), ms);
    const onAbort = (): void => done(aborted(signal));
    function done(error: Error | null): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      const index = waiters.indexOf(waiter);
      if (index >= 0) waiters.splice(index, 1);
      if (error) reject(error);
      else resolve();
    }
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    waiters.push(waiter);
  });
}

/** At most `limit` connections per address from this process: the embedded runner's limiter. */
export class LocalAddressLimiter implements AddressLimiter {
  readonly limit: number;
  readonly #addresses = new Map<string, { active: number; waiters: Waiter[] }>();

  constructor(limit = DEFAULT_CONNECTIONS_PER_ADDRESS) {
    checkLimit(limit);
    this.limit = limit;
  }

  async run<T>(address: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let state = this.#addresses.get(address);
    if (!state) {
      state = { active: 0, waiters: [] };
      this.#addresses.set(address, state);
    }
    while (state.active >= this.limit) await pause(state.waiters, Infinity, signal);
    state.active++;
    try {
      return await task();
    } finally {
      state.active--;
      if (state.waiters.length > 0) state.waiters[0]?.wake();
      else if (state.active === 0) this.#addresses.delete(address);
    }
  }

  gate(address: string): Gate {
    return (task) => this.run(address, task);
  }

  /** Connections running now to `address` (tests). */
  active(address: string): number {
    return this.#addresses.get(address)?.active ?? 0;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface PostgresAddressLimiterOptions {
  connectionString: string;
  /** Connections to one address at once, fleet-wide (>= 1). */
  limit?: number;
  /** How long a slot no connection uses stays locked for the next one (default 250 ms). */
  lingerMs?: number;
  /** Between asks for a slot other processes hold (default 50 ms, with jitter; one asker per address and process). */
  retryMs?: number;
  /** pg connection settings other than the URL (a search path, tests). */
  postgres?: Omit<pg.ClientConfig, "connectionString">;
  onError?: (message: string) => void;
}

interface Slot {
  index: number;
  /** This process's session holds the slot's advisory lock. */
  locked: boolean;
  /** A connection of this process uses the slot. */
  busy: boolean;
  linger: NodeJS.Timeout | undefined;
}

interface AddressSlots {
  address: string;
  key: number;
  slots: Slot[];
  waiters: Waiter[];
  /** Acquires under way (kept while any is, so that none works on a forgotten copy). */
  acquiring: number;
  /** One acquirer of this process is asking the database for a slot. */
  asking: boolean;
}

/** Key space of the first lock key: fixed, so that other users of two-key advisory locks are unlikely to meet ours. */
const SECOND_KEY_BASE = 0x42_53_00;

/** The fleet-wide limiter on PostgreSQL advisory locks (see the module comment). */
export class PostgresAddressLimiter implements AddressLimiter {
  readonly limit: number;
  readonly #options: PostgresAddressLimiterOptions;
  readonly #lingerMs: number;
  readonly #retryMs: number;
  readonly #addresses = new Map<string, AddressSlots>();
  #client: pg.Client | null = null;
  #connecting: Promise<pg.Client | null> | null = null;
  #downUntil = 0;
  #closed = false;
  /** Database round trips made for locks (the benchmark reports them). */
  lockQueries = 0;

  constructor(options: PostgresAddressLimiterOptions) {
    this.limit = options.limit ?? DEFAULT_CONNECTIONS_PER_ADDRESS;
    checkLimit(this.limit);
    this.#options = options;
    this.#lingerMs = options.lingerMs ?? 250;
    this.#retryMs = options.retryMs ?? 50;
  }

  async run<T>(address: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const state = this.#state(address);
    state.acquiring++;
    let slot: Slot;
    try {
      slot = await this.#acquire(state, signal);
    } catch (error) {
      state.acquiring--;
      this.#forgetIfIdle(state);
      throw error;
    }
    state.acquiring--;
    try {
      return await task();
    } finally {
      this.#release(state, slot);
    }
  }

  gate(address: string): Gate {
    return (task) => this.run(address, task);
  }

  /** Slots of `address` this process uses now (tests). */
  active(address: string): number {
    return this.#addresses.get(address)?.slots.filter((slot) => slot.busy).length ?? 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const state of this.#addresses.values()) for (const slot of state.slots) clearTimeout(slot.linger);
    const client = this.#client ?? (await this.#connecting?.catch(() => null)) ?? null;
    this.#client = null;
    // Ending the session unlocks whatever it held.
    await client?.end().catch(() => undefined);
  }

  #state(address: string): AddressSlots {
    let state = this.#addresses.get(address);
    if (!state) {
      const key = createHash("sha256").update(`baseline-address:${address}`).digest().readInt32BE(0);
      state = { address, key, slots: Array.from({ length: this.limit }, (_, index) => ({ index, locked: false, busy: false, linger: undefined })), waiters: [], acquiring: 0, asking: false };
      this.#addresses.set(address, state);
    }
    return state;
  }

  async #acquire(state: AddressSlots, signal: AbortSignal | undefined): Promise<Slot> {
    for (;;) {
      if (signal?.aborted) throw aborted(signal);
      const free = this.#takeHeld(state);
      if (free) return free;
      // One acquirer per address and process asks the database; the others wait for it or for a release.
      if (state.asking || !state.slots.some((slot) => !slot.locked && !slot.busy)) {
        await pause(state.waiters, Infinity, signal);
        continue;
      }
      state.asking = true;
      try {
        return await this.#ask(state, signal);
      } finally {
        state.asking = false;
        // The next waiter may ask for another slot (or take one that fell free).
        state.waiters[0]?.wake();
      }
    }
  }

  /** A slot this session holds and no connection uses: no database round trip. */
  #takeHeld(state: AddressSlots): Slot | undefined {
    const held = state.slots.find((slot) => slot.locked && !slot.busy);
    if (!held) return undefined;
    clearTimeout(held.linger);
    held.busy = true;
    return held;
  }

  /** Asks the database for a free slot until it gets one (or one of ours falls free, or the signal aborts). */
  async #ask(state: AddressSlots, signal: AbortSignal | undefined): Promise<Slot> {
    for (;;) {
      if (signal?.aborted) throw aborted(signal);
      const free = this.#takeHeld(state);
      if (free) return free;
      const candidates = state.slots.filter((slot) => !slot.locked && !slot.busy);
      if (candidates.length > 0) {
        const client = await this.#connection();
        const slot = candidates[Math.floor(Math.random() * candidates.length)] as Slot;
        if (!client) {
          // The database is away: this process alone keeps the bound until it is back.
          if (!slot.busy && !slot.locked) {
            slot.busy = true;
            return slot;
          }
          continue;
        }
        let got = false;
        try {
          this.lockQueries++;
          const result = await client.query<{ ok: boolean }>("select pg_try_advisory_lock($1::int, $2::int) as ok", [state.key, SECOND_KEY_BASE + slot.index]);
          got = result.rows[0]?.ok === true;
        } catch (error) {
          this.#lost(client, error);
        }
        if (got && this.#client === client && !slot.busy) {
          slot.locked = true;
          slot.busy = true;
          return slot;
        }
      }
      // Held by other processes (or all ours are busy): ask again in a moment, sooner when one of ours falls free.
      await pause(state.waiters, this.#retryMs * (0.5 + Math.random()), signal);
    }
  }

  #release(state: AddressSlots, slot: Slot): void {
    slot.busy = false;
    const next = state.waiters[0];
    if (next) {
      // Hand the slot, lock and all, to the next connection of this process.
      next.wake();
      return;
    }
    if (!slot.locked) {
      this.#forgetIfIdle(state);
      return;
    }
    slot.linger = setTimeout(() => {
      slot.linger = undefined;
      if (slot.busy || !slot.locked) return;
      slot.locked = false;
      this.#forgetIfIdle(state);
      const client = this.#client;
      if (!client) return;
      this.lockQueries++;
      client.query("select pg_advisory_unlock($1::int, $2::int)", [state.key, SECOND_KEY_BASE + slot.index]).catch((error: unknown) => this.#lost(client, error));
    }, this.#lingerMs);
    slot.linger.unref();
  }

  /** A campaign meets thousands of addresses: keep only those with a slot in use, held or waited for. */
  #forgetIfIdle(state: AddressSlots): void {
    if (state.acquiring > 0 || state.waiters.length > 0 || state.slots.some((slot) => slot.busy || slot.locked)) return;
    if (this.#addresses.get(state.address) === state) this.#addresses.delete(state.address);
  }

  /** The session for locks, connecting when needed; null while the database is away. */
  async #connection(): Promise<pg.Client | null> {
    if (this.#closed) return null;
    if (this.#client) return this.#client;
    if (Date.now() < this.#downUntil) return null;
    this.#connecting ??= (async () => {
      const client = new pg.Client({ connectionTimeoutMillis: 3000, ...this.#options.postgres, connectionString: this.#options.connectionString });
      client.on("error", (error) => this.#lost(client, error));
      client.on("end", () => this.#lost(client, new Error("connection ended")));
      try {
        await client.connect();
        if (this.#closed) {
          await client.end();
          return null;
        }
        this.#client = client;
        return client;
      } catch (error) {
        this.#downUntil = Date.now() + 1000;
        this.#report(`cannot reach the database for connection slots; each process keeps its own bound meanwhile (${error instanceof Error ? error.message : String(error)})`);
        return null;
      } finally {
        this.#connecting = null;
      }
    })();
    return this.#connecting;
  }

  /** The session is gone, and its locks with it: forget them all (connections running keep their slot until they end). */
  #lost(client: pg.Client, error: unknown): void {
    if (this.#client !== client) return;
    this.#client = null;
    this.#downUntil = Date.now() + 1000;
    for (const state of this.#addresses.values()) {
      for (const slot of state.slots) {
        clearTimeout(slot.linger);
        slot.locked = false;
      }
    }
    client.end().catch(() => undefined);
    if (!this.#closed) this.#report(`lost the database session of the connection slots (${error instanceof Error ? error.message : String(error)}); connecting again`);
  }

  #report(message: string): void {
    if (this.#options.onError) this.#options.onError(message);
    else console.error(`baseline: connection limit: ${message}`);
  }
}
