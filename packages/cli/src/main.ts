/**
 * Process entry of the `cipherlite` binary: binds `run` to the real streams, environment and a
 * no-echo terminal prompt.
 */
import { run, type CliIo } from './cli.js';

/** Reads one line from the terminal without echoing it; null when stdin is not a TTY. */
function prompt(question: string): Promise<string | null> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.resolve(null);
  process.stderr.write(question);
  return new Promise((resolvePrompt) => {
    let line = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (value: string | null): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      resolvePrompt(value);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(line);
        if (ch === '\u0003') {
          // Ctrl-C: restore the terminal, then exit like a shell would.
          done(null);
          process.exit(130);
        }
        if (ch === '\u0004') return done(line.length ? line : null); // Ctrl-D
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else if (ch >= ' ') line += ch;
      }
    };
    stdin.on('data', onData);
  });
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, prompt, cwd: process.cwd() };
process.exitCode = await run(process.argv.slice(2), io);
