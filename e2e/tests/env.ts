/** Where the browser is and how it is started (shared by the config and the fixtures). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Not Vite's default 4173: the POS example's own e2e suite serves there.
export const PORT = Number(process.env.E2E_PORT ?? 4391);
