/**
 * WebdriverIO config for Folio's real-window test.
 *
 * The chain is: WebdriverIO → tauri-driver (from @crabnebula/tauri-driver, on 127.0.0.1:4444) →
 * WebKitWebDriver (Debian's webkit2gtk-driver) → the debug `folio-desktop` binary, in a real GTK
 * window. Headless runs wrap the whole thing in `dbus-run-session -- xvfb-run -a` (see
 * `cargo xtask e2e`, which also builds the binary and the demo workspace).
 *
 * Inputs (environment):
 *   FOLIO_WORKSPACE       the workspace folder the window opens (required)
 *   FOLIO_DESKTOP_BIN     the app binary (default: $CARGO_TARGET_DIR or <repo>/target, + debug/folio-desktop)
 *   FOLIO_SCREENSHOT_DIR  where screenshots go (default: <target>/e2e-screenshots)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR
  ? path.resolve(repo, process.env.CARGO_TARGET_DIR)
  : path.join(repo, 'target');
const application =
  process.env.FOLIO_DESKTOP_BIN ?? path.join(targetDir, 'debug', 'folio-desktop');
const workspace = process.env.FOLIO_WORKSPACE ?? '';
const screenshotDir = process.env.FOLIO_SCREENSHOT_DIR ?? path.join(targetDir, 'e2e-screenshots');
process.env.FOLIO_SCREENSHOT_DIR = screenshotDir;

const driverPort = Number(process.env.TAURI_DRIVER_PORT ?? 4444);
const nativeDriver = process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver';

// WebKitGTK under Xvfb has no GPU: let Mesa render in software. Do NOT set
// WEBKIT_DISABLE_COMPOSITING_MODE or WEBKIT_DISABLE_DMABUF_RENDERER: with WebKitGTK 2.50 either
// one makes WebKitWebDriver's takeScreenshot hang forever (seen on Debian 12 under Xvfb).
process.env.LIBGL_ALWAYS_SOFTWARE ??= '1';
process.env.NO_AT_BRIDGE ??= '1';
// Without a GPU the app turns WebKit's compositing off (src-tauri/src/webview.rs: less memory,
// faster paints), and without compositing takeScreenshot hangs as above: the e2e test keeps
// compositing on. The benchmark takes no screenshots and measures the app as it runs.
if (!process.env.FOLIO_BENCH_REPORT) process.env.FOLIO_KEEP_COMPOSITING ??= '1';

const require = createRequire(import.meta.url);
let tauriDriver: ChildProcess | undefined;

export const config: WebdriverIO.Config = {
  runner: 'local',
  hostname: '127.0.0.1',
  port: driverPort,
  specs: ['./specs/**/*.e2e.ts'],
  maxInstances: 1,
  capabilities: [
    {
      maxInstances: 1,
      // tauri-driver turns these into WebKitWebDriver's webkitgtk:browserOptions.
      'tauri:options': {
        application,
        args: ['--workspace', workspace],
      },
    } as WebdriverIO.Capabilities,
  ],
  logLevel: 'warn',
  bail: 1,
  waitforTimeout: 20_000,
  connectionRetryTimeout: 60_000,
  connectionRetryCount: 1,
  framework: 'mocha',
  reporters: ['spec'],
  mochaOpts: { ui: 'bdd', timeout: 120_000 },

  onPrepare() {
    if (!workspace) throw new Error('FOLIO_WORKSPACE must name the workspace folder to open');
    if (!existsSync(workspace)) throw new Error(`FOLIO_WORKSPACE=${workspace} does not exist`);
    if (!existsSync(application)) {
      throw new Error(
        `${application} does not exist: build it with ` +
          '`cargo build -p folio-desktop --features custom-protocol` (or run `cargo xtask e2e`)',
      );
    }
    if (!existsSync(nativeDriver)) {
      throw new Error(`${nativeDriver} does not exist: apt-get install webkit2gtk-driver`);
    }
    mkdirSync(screenshotDir, { recursive: true });
  },

  async beforeSession() {
    const cli = require.resolve('@crabnebula/tauri-driver/cli.js');
    tauriDriver = spawn(
      process.execPath,
      [cli, '--port', String(driverPort), '--native-driver', nativeDriver],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    tauriDriver.on('exit', (code, signal) => {
      if (code !== null && code !== 0) console.error(`tauri-driver exited with ${code ?? signal}`);
    });
    const { waitTauriDriverReady } = require('@crabnebula/tauri-driver') as {
      waitTauriDriverReady: (host?: string, port?: number) => Promise<void>;
    };
    await waitTauriDriverReady('127.0.0.1', driverPort);
  },

  // A failing test leaves a picture of the window behind for whoever reads the CI log.
  async afterTest(test, _context, { passed }) {
    if (passed) return;
    const name = `failed-${test.title.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;
    await browser.saveScreenshot(path.join(screenshotDir, name)).catch(() => undefined);
  },

  afterSession() {
    tauriDriver?.kill();
    tauriDriver = undefined;
  },
};
