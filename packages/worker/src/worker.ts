/**
 * The dedicated worker entry. Spawned by `openDatabase()` (or by the app, see README):
 * `new Worker(new URL('@cipherlite/worker/worker', import.meta.url), { type: 'module' })`.
 */
import { expose } from 'comlink';
import { browserPlatform } from './browser-platform.js';
import { WorkerEngine } from './engine.js';

expose(new WorkerEngine(browserPlatform()));
