/**
 * Runs `next start` / `next dev` of a consumer app on a free port of 127.0.0.1 for a test, with
 * its output in the test log, and stops the whole process group (npx → next → its server).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nothing listens on right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface NextServer {
  url: string;
  close(): Promise<void>;
}

/** `npx next <command>` in `appDir`; resolves once the server answers its first request. */
export async function startNext(appDir: string, command: 'start' | 'dev', label: string): Promise<NextServer> {
  const port = await freePort();
  const child = spawn('npx', ['--no-install', 'next', command, '-p', String(port), '-H', '127.0.0.1'], {
    cwd: appDir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const forward = (chunk: Buffer) => process.stdout.write(`[${label}] ${chunk.toString()}`);
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`next ${command} exited with ${code}`))));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await Promise.race([
      fetch(url, { method: 'HEAD' }).then(
        () => true,
        () => false,
      ),
      exited,
    ]);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`next ${command} did not answer on ${url} within 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  exited.catch(() => undefined);
  return {
    url,
    close: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      await gone;
    },
  };
}
