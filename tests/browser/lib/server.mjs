// A real `passerelle serve` for the journeys: temp data dir, free port, an
// association with users created through the CLI, stopped at the end.
// A journey's setup() may add configuration (setConfig, before start) and
// things to stop with the server (onStop), e.g. an SMTP sink.
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export class PasserelleServer {
  constructor({ bin, sourceDir }) {
    this.bin = bin;
    this.sourceDir = sourceDir;
    this.dataDir = mkdtempSync(join(tmpdir(), 'passerelle-browser-'));
    // Short throttling so that the lock journey runs in seconds (defaults: docs/web.md).
    this.configFile = join(this.dataDir, 'passerelle.properties');
    writeFileSync(this.configFile, [
      'passerelle.web.delayAfterFailures = 3',
      'passerelle.web.maxDelaySeconds = 1',
      'passerelle.web.lockAfterFailures = 5',
      'passerelle.web.lockMinutes = 15',
      '',
    ].join('\n'));
    this.users = {};
    this.stopHooks = [];
  }

  // One more passerelle.* property for this server, e.g. setConfig('signing.linkMinutes', 0);
  // a function value is called at start() with the server (its baseUrl is known then).
  setConfig(key, value) {
    (this.extraConfig ||= []).push([key, value]);
  }

  // Called when the server stops (after the journeys of its file).
  onStop(fn) { this.stopHooks.push(fn); }

  cli(args, input) {
    return execFileSync(this.bin, [...args, '--data-dir', this.dataDir, '--config', this.configFile],
      { cwd: this.sourceDir, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  }

  // Creates an organisation (kind: association | bailleur | financeur | siao).
  createOrg(name, kind = 'association') { this.cli(['admin', 'create-org', name, '--kind', kind]); return name; }

  // A user with a known password (no forced change), or with a one-time password when `password` is omitted.
  createUser(org, email, name, role = 'membre', password) {
    const args = ['admin', 'create-user', org, email, '--name', name, '--role', role];
    if (password) {
      this.cli([...args, '--password-stdin', '--keep-password'], password + '\n');
      this.users[email] = { email, name, password, org, role };
    } else {
      const out = this.cli(args);
      const m = out.match(/connexion\) : (\S+)/);
      this.users[email] = { email, name, password: m && m[1], org, role, oneTime: true };
    }
    return this.users[email];
  }

  async start() {
    this.port = await freePort();
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    if (this.extraConfig) {
      appendFileSync(this.configFile, this.extraConfig.map(([k, v]) =>
        `passerelle.${k} = ${typeof v === 'function' ? v(this) : v}\n`).join(''));
    }
    this.proc = spawn(this.bin, ['serve', '--port', String(this.port), '--data-dir', this.dataDir,
      '--config', this.configFile], {
      cwd: this.sourceDir, stdio: ['ignore', 'pipe', 'pipe'],
      // The journeys' webhook receivers listen on loopback: allowed explicitly (issue 11 item 8).
      env: { ...process.env, PASSERELLE_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' },
    });
    this.log = '';
    this.proc.stdout.on('data', (d) => { this.log += d; });
    this.proc.stderr.on('data', (d) => { this.log += d; });
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${this.baseUrl}/healthz`);
        if (r.ok) return;
      } catch { /* not yet */ }
      if (this.proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`passerelle serve did not start:\n${this.log}`);
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill('SIGTERM');
      await new Promise((r) => { this.proc.once('exit', r); setTimeout(r, 5000); });
    }
    for (const fn of this.stopHooks) await fn();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
