/**
 * MongoDB scenarios: writes with w:"majority" must survive the primary's crash
 * and a stepDown. The client follows the primary itself, by asking each
 * member (direct connections to the published ports) whether it is the
 * writable primary: the replica set advertises container names, which do not
 * resolve on the operator's machine.
 *
 * Not run here: no MongoDB server installs on this machine. The pure parts
 * (commands, connection strings) are unit-tested; the flow is untested.
 */
import { MongoClient } from 'mongodb';
import { endpointOf, nodesOf } from '../target';
import type { Op, ScenarioContext, ScenarioDefinition, ScenarioRun, Workload } from '../types';

/** Seconds of MongoDB's election (electionTimeoutMillis 10 s by default) plus the client's rediscovery. */
const ELECTION_BOUND = 20;
const COLLECTION = 'chaos_writes';

export function memberUri(address: string, user: string, password: string): string {
  return `mongodb://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${address}/?directConnection=true&authSource=admin&serverSelectionTimeoutMS=2000&connectTimeoutMS=2000`;
}

/** The admin command that asks a primary to step down (and not stand again for `seconds`). */
export function stepDownCommand(seconds: number): { replSetStepDown: number; secondaryCatchUpPeriodSecs: number } {
  return { replSetStepDown: seconds, secondaryCatchUpPeriodSecs: 10 };
}

/** The insert a workload op makes: a majority-acknowledged write of one keyed document. */
export function majorityInsert(run: string, key: string) {
  return { doc: { run, key, at: new Date() }, options: { writeConcern: { w: 'majority' as const, wtimeoutMS: 5000 } } };
}

function members(ctx: ScenarioContext) {
  const user = 'root';
  const password = ctx.secrets['mongo-root'];
  if (!password) throw new Error("no 'mongo-root' secret");
  return nodesOf(ctx.manifest, 'mongo')
    .filter((n) => n.role !== 'init' && n.endpoints.mongo)
    .map((n) => ({ node: n, uri: memberUri(endpointOf(n, 'mongo'), user, password) }));
}

async function primary(ctx: ScenarioContext): Promise<{ name: string; client: MongoClient } | undefined> {
  for (const m of members(ctx)) {
    const client = new MongoClient(m.uri);
    try {
      const hello = await client.db('admin').command({ hello: 1 });
      if (hello.isWritablePrimary) return { name: m.node.name, client };
    } catch {
      /* down or unreachable: try the next */
    }
    await client.close();
  }
  return undefined;
}

function majorityWrites(ctx: ScenarioContext, run: string): Workload {
  const ops: Op[] = [];
  let running = false;
  let worker: Promise<void> | undefined;
  let n = 0;
  return {
    start() {
      running = true;
      worker = (async () => {
        let current: Awaited<ReturnType<typeof primary>>;
        while (running) {
          const key = String(++n);
          const startedAt = Date.now();
          try {
            current ??= await primary(ctx);
            if (!current) throw new Error('no primary');
            const { doc, options } = majorityInsert(run, key);
            await current.client.db('app').collection(COLLECTION).insertOne(doc, options);
            ops.push({ key, startedAt, endedAt: Date.now(), ok: true });
          } catch (e) {
            ops.push({ key, startedAt, endedAt: Date.now(), ok: false, error: (e as Error).message });
            await current?.client.close().catch(() => undefined);
            current = undefined;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        await current?.client.close();
      })();
    },
    async stop() {
      running = false;
      await worker;
      return ops;
    },
  };
}

function mongoScenario(kind: 'crash' | 'stepdown'): ScenarioDefinition {
  return {
    name: kind === 'crash' ? 'mongo-primary-crash' : 'mongo-stepdown',
    description:
      kind === 'crash'
        ? 'Kill the MongoDB primary under w:"majority" writes: a secondary is elected and no acknowledged write is lost.'
        : 'Step the MongoDB primary down (replSetStepDown) under w:"majority" writes: the election completes and no acknowledged write is lost.',
    drivers: ['docker', 'aws'],
    async prepare(ctx): Promise<ScenarioRun> {
      const run = `${this.name}-${Date.now()}`;
      const before = await primary(ctx);
      if (!before) throw new Error('no MongoDB primary');
      await before.client.close();
      const victim = members(ctx).find((m) => m.node.name === before.name)!.node;
      return {
        rtoBoundSeconds: ELECTION_BOUND,
        async steadyState() {
          const p = await primary(ctx);
          await p?.client.close();
          if (!p) throw new Error('no MongoDB primary');
        },
        workload: () => majorityWrites(ctx, run),
        async inject() {
          if (kind === 'crash') {
            await ctx.driver.act('kill', victim);
          } else {
            const p = await primary(ctx);
            await p!.client
              .db('admin')
              .command(stepDownCommand(60))
              .catch(() => undefined); // the primary drops connections as it steps down
            await p!.client.close();
          }
          return { description: `${kind === 'crash' ? 'kill' : 'step down'} primary ${before.name}`, at: Date.now() };
        },
        async recovered() {
          const p = await primary(ctx);
          await p?.client.close();
          return !!p;
        },
        rollback: async () => (kind === 'crash' ? ctx.driver.act('start', victim) : undefined),
        async readback() {
          const p = await primary(ctx);
          if (!p) throw new Error('no MongoDB primary for the readback');
          try {
            const docs = await p.client
              .db('app')
              .collection(COLLECTION)
              .find({ run }, { readConcern: { level: 'majority' } })
              .toArray();
            const present = new Map<string, number>();
            for (const d of docs) present.set(String(d.key), (present.get(String(d.key)) ?? 0) + 1);
            return { present };
          } finally {
            await p.client.close();
          }
        },
      };
    },
  };
}

export const MONGO_SCENARIOS: readonly ScenarioDefinition[] = [mongoScenario('crash'), mongoScenario('stepdown')];
