// pytt dap's protocol robustness: malformed JSON, a wrong Content-Length, unknown requests,
// requests before initialize, pause during a long motion, a client that goes away in the middle
// of one. Each gets an error response (or an output event when the message has no seq to answer)
// or a clean exit: never a crash, a hang or a process left behind.
// Environment: PYTT (the pytt binary), PYTHON (the interpreter to record with).
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DebugClient } = require('@vscode/debugadapter-testsupport');
const { alive, waitEmpty } = require('./procs');

const PYTT = process.env.PYTT;
const PYTHON = process.env.PYTHON || '/usr/bin/python3.11';
const LONG = path.join(__dirname, 'programs', 'long.py');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'pytt-dap-robust-'));
let trace;

/* A raw connection to `pytt dap`: write bytes, read framed messages. */
class Raw {
  constructor() {
    this.proc = cp.spawn(PYTT, ['dap'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.buf = Buffer.alloc(0);
    this.msgs = [];
    this.waiters = [];
    this.exit = new Promise((r) => this.proc.on('exit', (code, sig) => r({ code, sig })));
    this.proc.stdout.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const h = this.buf.indexOf('\r\n\r\n');
        if (h < 0) break;
        const len = Number(/Content-Length: (\d+)/.exec(this.buf.slice(0, h).toString())[1]);
        if (this.buf.length < h + 4 + len) break;
        this.msgs.push(JSON.parse(this.buf.slice(h + 4, h + 4 + len).toString()));
        this.buf = this.buf.slice(h + 4 + len);
      }
      this.wake();
    });
  }
  wake() { for (const w of this.waiters.splice(0)) w(); }
  raw(bytes) { this.proc.stdin.write(bytes); }
  send(obj) {
    const b = Buffer.from(JSON.stringify(obj));
    this.raw(Buffer.concat([Buffer.from(`Content-Length: ${b.length}\r\n\r\n`), b]));
  }
  async next(pred, ms = 10000) {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.msgs.findIndex(pred);
      if (i >= 0) return this.msgs.splice(i, 1)[0];
      if (Date.now() > end) throw new Error('no such message: ' + JSON.stringify(this.msgs));
      await new Promise((r) => { this.waiters.push(r); setTimeout(r, 200); });
    }
  }
  response(seq) { return this.next((m) => m.type === 'response' && m.request_seq === seq); }
}


/* Processes running the long program (the replay, its snapshots and copies). */
function programProcesses() {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(LONG) && alive(d); } catch (e) { return false; }
  });
}

function waitGone() {
  return waitEmpty(programProcesses);
}

const skip = !PYTT ? 'PYTT is not set' : !fs.existsSync(PYTHON) ? `${PYTHON} is absent` : false;

describe('pytt dap robustness', { skip, timeout: 300000 }, () => {
  before(() => {
    trace = path.join(TMP, 'long');
    const r = cp.spawnSync(PYTT, ['record', '-o', trace, '--', PYTHON, LONG, '3000000'], { stdio: 'ignore' });
    assert.strictEqual(r.status, 0);
  });
  after(() => fs.rmSync(TMP, { recursive: true, force: true }));

  it('answers malformed messages, unknown requests and requests out of order', async () => {
    const a = new Raw();
    a.send({ seq: 1, type: 'request', command: 'threads' });
    let r = await a.response(1);
    assert.strictEqual(r.success, false);
    assert.match(r.message, /initialize first/);
    a.raw('Content-Length: 9\r\n\r\n{"seq": 2');
    let o = await a.next((m) => m.event === 'output' && /invalid JSON/.test(m.body.output));
    assert.match(o.body.output, /at byte 9/);
    a.raw('Content-Type: json\r\n\r\n');
    o = await a.next((m) => m.event === 'output' && /Content-Length/.test(m.body.output));
    a.raw('Content-Length: ten\r\n\r\n');
    o = await a.next((m) => m.event === 'output' && /not a number/.test(m.body.output));
    a.send([1, 2, 3]);
    o = await a.next((m) => m.event === 'output' && /JSON object/.test(m.body.output));
    a.send({ seq: 3, type: 'request', command: 'initialize', arguments: { adapterID: 'pytt' } });
    r = await a.response(3);
    assert.strictEqual(r.body.supportsStepBack, true);
    a.send({ seq: 4, type: 'request', command: 'fly', arguments: {} });
    r = await a.response(4);
    assert.deepStrictEqual([r.success, r.message], [false, "unknown request 'fly'"]);
    a.send({ seq: 5, type: 'request', command: 'stackTrace', arguments: { threadId: 1 } });
    r = await a.response(5);
    assert.match(r.message, /launch first/);
    a.send({ seq: 6, type: 'request', command: 'launch', arguments: {} });
    r = await a.response(6);
    assert.match(r.message, /"program".*"trace"/);
    a.send({ seq: 7, type: 'request', command: 'launch', arguments: { trace: path.join(TMP, 'nothing-here') } });
    r = await a.response(7);
    assert.strictEqual(r.success, false);
    // a Content-Length longer than what follows, then the input ends: a clean exit
    a.raw('Content-Length: 100\r\n\r\n{"seq": 8}');
    a.proc.stdin.end();
    assert.deepStrictEqual(await a.exit, { code: 0, sig: null });
  });

  it('pause interrupts a long continue and stops where it got to', async () => {
    const dc = new DebugClient(PYTT, 'dap', 'pytt', { stdio: 'pipe' }, true);
    dc.defaultTimeout = 60000;
    await dc.start();
    await dc.initializeRequest({ adapterID: 'pytt' });
    await dc.launchRequest({ trace, stopOnEntry: true });
    let stopped = dc.waitForEvent('stopped');
    await dc.configurationDoneRequest();
    await stopped;
    await dc.setBreakpointsRequest({ source: { path: LONG }, breakpoints: [{ line: 7, condition: 'acc < 0' }] });
    stopped = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    await dc.pauseRequest({ threadId: 1 });
    const e = await stopped;
    assert.strictEqual(e.body.reason, 'pause');
    assert.ok(Date.now() - t0 < 10000);
    const sc = await dc.scopesRequest({ frameId: (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].id });
    const v = await dc.variablesRequest({ variablesReference: sc.body.scopes[0].variablesReference });
    const i = Number(v.body.variables.find((x) => x.name === 'i').value);
    assert.ok(i > 0 && i < 3000000, `i = ${i}`);
    const exit = new Promise((r) => dc._adapterProcess.on('exit', r));
    await dc.disconnectRequest({});
    assert.strictEqual(await exit, 0);
    assert.deepStrictEqual(await waitGone(), []);
  });

  it('a client that goes away in the middle of a motion leaves nothing behind', async () => {
    const a = new Raw();
    a.send({ seq: 1, type: 'request', command: 'initialize', arguments: { adapterID: 'pytt' } });
    a.send({ seq: 2, type: 'request', command: 'launch', arguments: { trace, stopOnEntry: true } });
    a.send({ seq: 3, type: 'request', command: 'configurationDone' });
    await a.next((m) => m.event === 'stopped');
    a.send({ seq: 4, type: 'request', command: 'setBreakpoints', arguments: { source: { path: LONG }, breakpoints: [{ line: 7, condition: 'acc < 0' }] } });
    a.send({ seq: 5, type: 'request', command: 'continue', arguments: { threadId: 1 } });
    await a.response(5);
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(programProcesses().length > 0);
    a.proc.stdin.end();
    a.proc.stdout.destroy();
    const t0 = Date.now();
    const { code, sig } = await a.exit;
    assert.strictEqual(sig, null);
    assert.strictEqual(code, 0);
    assert.ok(Date.now() - t0 < 15000);
    assert.deepStrictEqual(await waitGone(), []);
  });
});
