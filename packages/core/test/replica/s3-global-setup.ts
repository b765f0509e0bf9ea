/** Vitest global setup: stops the local RGW at the end of the run only if this run started it (s3-env.ts). */
import { execFileSync } from 'node:child_process';
import { ROOT, startedByRun } from './s3-env.js';

export default function setup(): () => void {
  return () => {
    if (startedByRun(process.pid)) execFileSync('bash', [`${ROOT}scripts/s3.sh`, 'stop'], { stdio: 'inherit' });
  };
}
