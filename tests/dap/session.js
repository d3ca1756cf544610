// What the DAP test files share: the environment (PYTT, the pytt binary; PYTHON, the
// interpreter to record with), recording a program of programs/, and a DebugClient (Microsoft's
// @vscode/debugadapter-testsupport) with every request timed, plus the few request sequences
// every test uses (start a session, the stack's top, a frame's locals, a motion and its stop).
'use strict';
const cp = require('node:child_process');
const path = require('node:path');
const { DebugClient } = require('@vscode/debugadapter-testsupport');
const { timedRequests } = require('./limits');

const PYTT = process.env.PYTT;
const PYTHON = process.env.PYTHON || '/usr/bin/python3.11';
const PROGS = path.join(__dirname, 'programs');
const prog = (name) => path.join(PROGS, name);
const TIMEOUT = 60000;

/* Record programs/NAME into TMP/NAME; the trace's directory. */
function record(tmp, name, args = []) {
  const dir = path.join(tmp, name);
  const r = cp.spawnSync(PYTT, ['record', '-o', dir, '--', PYTHON, prog(name), ...args],
                         { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status === 125 || r.status === null) throw new Error(`pytt record ${name} failed`);
  return dir; // the program's own status (exc.py ends with an uncaught exception) is fine
}

function native(name, args = []) {
  return cp.execFileSync(PYTHON, [prog(name), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

function client() {
  const dc = timedRequests(new DebugClient(PYTT, 'dap', 'pytt', { stdio: 'pipe' }, true));
  dc.defaultTimeout = TIMEOUT;
  return dc;
}

/* Collect the program's output events. */
function collectOutput(dc) {
  const out = { stdout: '', stderr: '', console: '' };
  dc.on('output', (e) => { out[e.body.category] = (out[e.body.category] || '') + e.body.output; });
  return out;
}

async function start(dc, launchArgs, setup) {
  await dc.start();
  await dc.initializeRequest({ adapterID: 'pytt', linesStartAt1: true, columnsStartAt1: true });
  await dc.launchRequest(launchArgs);
  if (setup) await setup();
  const stopped = dc.waitForEvent('stopped');
  await dc.configurationDoneRequest();
  return stopped;
}

async function top(dc, threadId = 1) {
  const st = await dc.stackTraceRequest({ threadId });
  return st.body.stackFrames;
}

async function locals(dc, frameId) {
  const sc = await dc.scopesRequest({ frameId });
  const v = await dc.variablesRequest({ variablesReference: sc.body.scopes[0].variablesReference });
  return Object.fromEntries(v.body.variables.map((x) => [x.name, x]));
}

async function motion(dc, request, args = { threadId: 1 }) {
  const stopped = dc.waitForEvent('stopped');
  await dc[request](args);
  const e = await stopped;
  const frames = await top(dc, e.body.threadId);
  return { reason: e.body.reason, line: frames[0].line, name: frames[0].name, event: e };
}

module.exports = { PYTT, PYTHON, PROGS, prog, TIMEOUT, record, native, client, collectOutput, start, top, locals, motion };
