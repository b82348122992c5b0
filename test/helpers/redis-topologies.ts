import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { awaitReady } from './daemon.ts';
import { pollUntil } from './poll-until.ts';
import { freePort } from './ports.ts';

/**
 * Private Redis topologies for the cluster tests (npm run test:cluster): Debian's redis-server and redis-sentinel on
 * loopback ports, no persistence, in a temp folder, each process stopped by its PID.
 */

const run = promisify(execFile);

/** `count` distinct free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

interface Daemon {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startDaemon(binary: string, args: string[], port: number): Promise<Daemon> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const { exited } = await awaitReady(child, { name: `${binary} :${port}`, ready: /Ready to accept connections|Sentinel ID is/, timeoutMs: 10_000 });
  return {
    port,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid!, 'SIGKILL');
      await exited;
    },
  };
}

const NO_PERSISTENCE = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--protected-mode', 'no'];

export interface RedisCluster {
  /** Seed node URLs (redis://127.0.0.1:port), masters first. */
  nodes: string[];
  close(): Promise<void>;
}

/** A Redis Cluster of `masters` masters (no replicas), all 16384 slots assigned, state ok on every node. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const ports = await freePorts(masters * 2); // a client port and a cluster-bus port per node
  const daemons: Daemon[] = [];
  const close = async () => {
    await Promise.all(daemons.map((d) => d.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const [port, busPort] = [ports[2 * i]!, ports[2 * i + 1]!];
      const args = [...NO_PERSISTENCE, '--port', String(port), '--cluster-enabled', 'yes', '--cluster-port', String(busPort)];
      args.push('--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--cluster-node-timeout', '2000');
      daemons.push(await startDaemon('redis-server', args, port));
    }
    const addresses = daemons.map((d) => `127.0.0.1:${d.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    for (const d of daemons) {
      const admin = new Redis({ port: d.port, host: '127.0.0.1', lazyConnect: true });
      await admin.connect();
      try {
        await pollUntil(async () => /cluster_state:ok/.test(await admin.cluster('INFO')), {
          what: `cluster state ok on :${d.port}`,
          timeoutMs: 20_000,
          intervalMs: 100,
        });
      } finally {
        admin.disconnect();
      }
    }
    return { nodes: daemons.map((d) => `redis://127.0.0.1:${d.port}`), close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface RedisSentinelSet {
  name: string;
  /** Sentinel URLs (redis://127.0.0.1:port). */
  sentinels: string[];
  /** The port of the current master, as the sentinels see it. */
  masterPort(): Promise<number>;
  /** Data-node ports (the first master, then the replica). */
  dataPorts: number[];
  close(): Promise<void>;
}

/** One master, one replica, three sentinels (quorum 2) monitoring them as `name`. */
export async function startRedisSentinel(name = 'mymaster'): Promise<RedisSentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-'));
  const [masterPort, replicaPort, ...sentinelPorts] = await freePorts(5);
  const daemons: Daemon[] = [];
  const close = async () => {
    await Promise.all(daemons.map((d) => d.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    daemons.push(await startDaemon('redis-server', [...NO_PERSISTENCE, '--port', String(masterPort), '--dir', dir], masterPort!));
    const replicaArgs = [...NO_PERSISTENCE, '--port', String(replicaPort), '--dir', dir, '--replicaof', '127.0.0.1', String(masterPort)];
    daemons.push(await startDaemon('redis-server', replicaArgs, replicaPort!));
    const replica = new Redis({ port: replicaPort, host: '127.0.0.1' });
    try {
      await pollUntil(async () => /master_link_status:up/.test(await replica.info('replication')), {
        what: 'replica in sync',
        timeoutMs: 10_000,
        intervalMs: 50,
      });
    } finally {
      replica.disconnect();
    }
    for (const port of sentinelPorts) {
      // A sentinel rewrites its config file: each gets its own.
      const file = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'protected-mode no',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          '',
        ].join('\n'),
      );
      const args = [file, '--sentinel'];
      daemons.push(await startDaemon('redis-server', args, port));
    }
    const sentinels = sentinelPorts.map((port) => `redis://127.0.0.1:${port}`);
    const askMaster = async () => {
      const sentinel = new Redis({ port: sentinelPorts[0], host: '127.0.0.1', lazyConnect: true });
      await sentinel.connect();
      try {
        const [, port] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string];
        return Number(port);
      } finally {
        sentinel.disconnect();
      }
    };
    // Every sentinel must know the replica and the other sentinels before a failover can be agreed on.
    for (const port of sentinelPorts) {
      const sentinel = new Redis({ port, host: '127.0.0.1' });
      try {
        await pollUntil(
          async () => {
            const [master] = (await sentinel.call('SENTINEL', 'masters')) as string[][];
            const fields = Object.fromEntries((master ?? []).flatMap((v, i, all) => (i % 2 === 0 ? [[v, all[i + 1]]] : [])));
            return fields['num-slaves'] === '1' && fields['num-other-sentinels'] === '2';
          },
          { what: `sentinel :${port} sees the replica and its peers`, timeoutMs: 20_000, intervalMs: 100 },
        );
      } finally {
        sentinel.disconnect();
      }
    }
    return { name, sentinels, masterPort: askMaster, dataPorts: [masterPort!, replicaPort!], close };
  } catch (error) {
    await close();
    throw error;
  }
}
