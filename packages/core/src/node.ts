/** Node-only additions: real-file storage for the CLI, tools and tests. */
export { NodeFsStorage } from './storage/node-fs.js';
export * from './index.js';
