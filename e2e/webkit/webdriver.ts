/**
 * The few W3C WebDriver commands the WebKit smoke suite needs, over `fetch` (Playwright cannot
 * drive WebKitGTK; `WebKitWebDriver` speaks W3C WebDriver). Spec: https://www.w3.org/TR/webdriver2/
 */

export class WebDriverError extends Error {
  constructor(command: string, status: number, body: unknown) {
    super(`WebDriver ${command} → HTTP ${status}: ${JSON.stringify(body).slice(0, 500)}`);
    this.name = 'WebDriverError';
  }
}

async function call(base: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as { value: unknown };
  if (!res.ok) throw new WebDriverError(`${method} ${path}`, res.status, json.value);
  return json.value;
}

export class WebDriverSession {
  readonly #base: string;

  private constructor(base: string) {
    this.#base = base;
  }

  /** New Session (§8.1) with `capabilities` as `alwaysMatch`. */
  static async create(driverUrl: string, capabilities: Record<string, unknown>): Promise<WebDriverSession> {
    const value = (await call(driverUrl, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } })) as { sessionId: string };
    const session = new WebDriverSession(`${driverUrl}/session/${value.sessionId}`);
    await call(session.#base, 'POST', '/timeouts', { script: 120_000, pageLoad: 60_000 });
    return session;
  }

  async navigate(url: string): Promise<void> {
    await call(this.#base, 'POST', '/url', { url });
  }

  /**
   * Execute Async Script (§13.2.2): `body` is the source of an async function taking `args`;
   * its result (structured as JSON) is returned, its rejection thrown — with the error's name,
   * code and message, since WebKit's `stack` holds only the frames.
   */
  async run<T>(body: string, ...args: unknown[]): Promise<T> {
    const script = `const done = arguments[arguments.length - 1];
      (async (...args) => { ${body} })(...Array.prototype.slice.call(arguments, 0, -1))
        .then((value) => done({ ok: true, value }), (e) => done({ ok: false, error: [e && e.name, e && e.code, e && e.message].filter(Boolean).join(' ') + ' — ' + String(e && e.stack || e) }));`;
    const r = (await call(this.#base, 'POST', '/execute/async', { script, args })) as { ok: boolean; value?: T; error?: string };
    if (!r.ok) throw new Error(`script failed in the browser: ${r.error}`);
    return r.value as T;
  }

  /** New Window (§11.5) as a tab; returns its handle. */
  async newTab(): Promise<string> {
    return ((await call(this.#base, 'POST', '/window/new', { type: 'tab' })) as { handle: string }).handle;
  }

  async currentTab(): Promise<string> {
    return (await call(this.#base, 'GET', '/window')) as string;
  }

  async switchTo(handle: string): Promise<void> {
    await call(this.#base, 'POST', '/window', { handle });
  }

  async delete(): Promise<void> {
    await call(this.#base, 'DELETE', '');
  }
}
