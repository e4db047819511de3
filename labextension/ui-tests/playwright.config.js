/**
 * Browser tests of the fpgalab side panel: Galata + Playwright driving Debian's chromium
 * (never `playwright install`) against a JupyterLab started here from the project's virtual environment.
 *
 * FPGALAB_UI_PORT   port of the test server (default: a free one)
 * FPGALAB_JUPYTER   the jupyter command (default: ../../.venv/bin/jupyter, else jupyter on PATH)
 * CHROMIUM          the browser (default /usr/bin/chromium)
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

function freePort() {
  const script = 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])';
  return execFileSync('python3', ['-c', script]).toString().trim();
}

// Set once in the main process; the workers inherit the environment and re-read this file.
if (!process.env.FPGALAB_UI_PORT) {
  process.env.FPGALAB_UI_PORT = freePort();
}
if (!process.env.FPGALAB_UI_ROOT) {
  process.env.FPGALAB_UI_ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'fpgalab-ui-'));
  process.env.FPGALAB_UI_ROOT_MADE = '1'; // removed by global-teardown.js
}
const port = process.env.FPGALAB_UI_PORT;
const venvJupyter = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'jupyter');
const jupyter = process.env.FPGALAB_JUPYTER || (fs.existsSync(venvJupyter) ? venvJupyter : 'jupyter');

module.exports = {
  ...baseConfig,
  testDir: './tests',
  globalTeardown: require.resolve('./global-teardown.js'),
  timeout: 240000,
  expect: { timeout: 60000 },
  retries: 0,
  workers: 1,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1500, height: 900 },
    trace: 'retain-on-failure',
    video: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage']
    }
  },
  webServer: {
    // the server log goes to ui-tests/jupyter-server.log (git-ignored)
    command: `"${jupyter}" lab --config jupyter_server_test_config.py > jupyter-server.log 2>&1`,
    url: `http://127.0.0.1:${port}/lab`,
    timeout: 120000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', PYTHONUNBUFFERED: '1' }
  }
};
