// pytt dap's data breakpoints (dataBreakpointInfo, setDataBreakpoints), driven by Microsoft's
// DebugClient as VS Code drives them: "Break on Value Change" on a variable of the Variables
// view (a local, a global, an attribute, a list item, a dict entry reached by expanding), or on
// an expression. programs/data.py changes its values at lines marked "# change: NAME VALUE";
// oracles: a stop lands where the new value is first visible (the line after the marked one
// for straight code), says the marked line and the old and new values, and the program's own
// values read there are the new ones; reverseContinue lands on the same moments in reverse
// order. Environment: PYTT (the pytt binary), PYTHON (the interpreter to record with).
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { TEST_MS } = require('./limits');
const { PYTT, PYTHON, prog, record, client, collectOutput, start, top, locals, motion } = require('./session');

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'pytt-dap-data-'));
const SRC = prog('data.py');
const LINES = fs.readFileSync(SRC, 'utf8').split('\n');
let trace;
const traces = {};

/* The line marked "# change: what". */
function mark(what) {
  const i = LINES.findIndex((l) => l.endsWith(`# change: ${what}`));
  assert.ok(i >= 0, `no line marked ${what}`);
  return i + 1;
}

async function scope(dc, frameId, index) {
  const sc = await dc.scopesRequest({ frameId });
  return sc.body.scopes[index].variablesReference;
}

async function child(dc, ref, name) {
  const v = await dc.variablesRequest({ variablesReference: ref });
  const c = v.body.variables.find((x) => x.name === name);
  assert.ok(c, `no ${name} in ${JSON.stringify(v.body.variables.map((x) => x.name))}`);
  return c;
}

async function info(dc, args) {
  return (await dc.dataBreakpointInfoRequest(args)).body;
}

async function value(dc, expression) {
  const f = (await top(dc))[0];
  return (await dc.evaluateRequest({ expression, frameId: f.id, context: 'watch' })).body.result;
}

/* A continue/reverseContinue that must stop at a change of `name` made at line `at`, from old
 * to new, landing on line `land` (where the new value is first visible). */
async function expectChange(dc, request, id, { name, at, land, from, to }) {
  const m = await motion(dc, request);
  const b = m.event.body;
  assert.strictEqual(m.reason, 'data breakpoint', JSON.stringify(b));
  assert.deepStrictEqual(b.hitBreakpointIds, [id]);
  assert.strictEqual(b.text.split('\n').slice(2, 5).join('\n'),
                     `Old value = ${from}\nNew value = ${to}\nChanged at data.py:${at} in ${name} (thread 1)`);
  assert.ok(b.description.includes(`${from} -> ${to}`), b.description);
  if (land) assert.strictEqual(m.line, land);
  return m;
}

const skip = !PYTT ? 'PYTT is not set' : !fs.existsSync(PYTHON) ? `${PYTHON} is absent` : false;

describe('pytt dap data breakpoints', { skip, timeout: 540000 }, () => {
  before(() => {
    trace = record(TMP, 'data.py');
    traces.threads = record(TMP, 'threads.py');
  });
  after(() => fs.rmSync(TMP, { recursive: true, force: true }));

  it('declares them, and a local stops where it changes, forwards and backwards', { timeout: TEST_MS }, async () => {
    const dc = client();
    try {
      await dc.start();
      const init = await dc.initializeRequest({ adapterID: 'pytt', linesStartAt1: true });
      assert.strictEqual(init.body.supportsDataBreakpoints, true);
      await dc.launchRequest({ trace });
      await dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: mark('total 5') }] });
      const stopped = dc.waitForEvent('stopped');
      await dc.configurationDoneRequest();
      assert.strictEqual((await stopped).body.reason, 'breakpoint');
      const frames = await top(dc);
      const inf = await info(dc, { variablesReference: await scope(dc, frames[0].id, 0), name: 'total' });
      assert.ok(inf.dataId, JSON.stringify(inf));
      assert.deepStrictEqual(inf.accessTypes, ['write']);
      assert.match(inf.description, /^total: local total of main \(every call\)/);
      await dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
      const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: inf.dataId }] });
      const bp = set.body.breakpoints[0];
      assert.strictEqual(bp.verified, true);
      const changes = [
        { name: 'main', at: mark('total 5'), land: mark('total 5') + 1, from: '0', to: '5' },
        { name: 'main', at: mark('total 9'), land: mark('total 9') + 1, from: '5', to: '9' },
        { name: 'main', at: mark('total 11'), land: mark('total 11') + 1, from: '9', to: '11' },
      ];
      for (const c of changes) {
        await expectChange(dc, 'continueRequest', bp.id, c);
        assert.strictEqual((await locals(dc, (await top(dc))[0].id)).total.value, c.to);
      }
      const m = await motion(dc, 'continueRequest'); // no later change: the end
      assert.strictEqual(m.reason, 'end');
      for (const c of changes.reverse()) {
        await expectChange(dc, 'reverseContinueRequest', bp.id, c);
        assert.strictEqual(await value(dc, 'total'), c.to);
      }
      // binding it is a change too (arguments are not: a frame's start sets the baseline)
      await expectChange(dc, 'reverseContinueRequest', bp.id,
                         { name: 'main', at: mark('total 0'), land: mark('total 0') + 1, from: '<unbound>', to: '0' });
      assert.strictEqual((await motion(dc, 'reverseContinueRequest')).reason, 'entry');
    } finally {
      await dc.stop();
    }
  });

  it('globals, attributes, list items and dict entries from the Variables view; the list is replaced', { timeout: TEST_MS }, async () => {
    const dc = client();
    const out = collectOutput(dc);
    try {
      await start(dc, { trace }, async () => {
        await dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: mark('total 5') }] });
      });
      const f = (await top(dc))[0];
      const globals = await scope(dc, f.id, 1);
      const want = {};
      want.counter = await info(dc, { variablesReference: globals, name: 'counter' });
      const box = await child(dc, globals, 'box');
      want.level = await info(dc, { variablesReference: box.variablesReference, name: 'level' });
      const items = await child(dc, globals, 'items');
      want.item = await info(dc, { variablesReference: items.variablesReference, name: '1' });
      const table = await child(dc, globals, 'table');
      want.entry = await info(dc, { variablesReference: table.variablesReference, name: "'k'" });
      assert.match(want.counter.description, /^counter: global counter$/);
      assert.match(want.level.description, /^box\.level: attribute of box, through the global box$/);
      assert.match(want.item.description, /^items\[1\]: item of items, through the global items$/);
      assert.match(want.entry.description, /^table\['k'\]: item of table, through the global table$/);
      // a set's element has no place: no dataId, and why
      const tags = await child(dc, globals, 'tags');
      const elem = (await dc.variablesRequest({ variablesReference: tags.variablesReference })).body.variables[0];
      const no = await info(dc, { variablesReference: tags.variablesReference, name: elem.name });
      assert.strictEqual(no.dataId, null);
      assert.match(no.description, /set's elements have no place/);
      await dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
      const ids = Object.keys(want);
      const set = await dc.setDataBreakpointsRequest({ breakpoints: ids.map((k) => ({ dataId: want[k].dataId })) });
      assert.ok(set.body.breakpoints.every((b) => b.verified), JSON.stringify(set.body));
      const bp = Object.fromEntries(ids.map((k, i) => [k, set.body.breakpoints[i].id]));
      const seq = [
        ['counter', 'counter 1', '0', '1', 'counter'],
        ['level', 'box.level', '0', '7', 'box.level'],
        ['item', 'items[1]', '0', '42', 'items[1]'],
        ['entry', "table['k']", "'a'", "'b'", "table['k']"],
        ['counter', 'counter 2', '1', '2', 'counter'],
      ];
      for (const [k, marker, from, to, expr] of seq) {
        await expectChange(dc, 'continueRequest', bp[k], { name: 'main', at: mark(marker), land: mark(marker) + 1, from, to });
        assert.strictEqual(await value(dc, expr), to);
      }
      assert.match(out.console, /Data breakpoint \d+: counter\n\nOld value = 0\nNew value = 1\n/);
      // replace: only the dict entry is kept (same id), the others are gone
      const again = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: want.entry.dataId }] });
      assert.strictEqual(again.body.breakpoints[0].id, bp.entry);
      await expectChange(dc, 'reverseContinueRequest', bp.entry,
                         { name: 'main', at: mark("table['k']"), land: mark("table['k']") + 1, from: "'a'", to: "'b'" });
      await expectChange(dc, 'reverseContinueRequest', bp.entry, // before table existed
                         { name: '<module>', at: mark('table'), land: mark('table') + 1, from: '<not defined>', to: "'a'" });
      assert.strictEqual((await motion(dc, 'reverseContinueRequest')).reason, 'entry');
      await dc.setDataBreakpointsRequest({ breakpoints: [] });
      assert.strictEqual((await motion(dc, 'continueRequest')).reason, 'end');
    } finally {
      await dc.stop();
    }
  });

  it('expressions, conditions and hit conditions; what cannot be watched says why', { timeout: TEST_MS }, async () => {
    const dc = client();
    try {
      await start(dc, { trace }, async () => {
        await dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: mark('total 5') }] });
      });
      const frameId = (await top(dc))[0].id;
      const level = await info(dc, { name: 'box.level', frameId });
      assert.match(level.description, /^box\.level: attribute of box/);
      for (const [expr, why] of [['total + 1', /only a variable followed by \.attr and \[key\]/],
                                 ['len(items)', /only a variable followed by/],
                                 ['items.append', /needs the interpreter|cannot be read/]]) {
        const no = await info(dc, { name: expr, frameId });
        assert.strictEqual(no.dataId, null, expr);
        assert.match(no.description, why, expr);
      }
      const counter = await info(dc, { name: 'counter', frameId });
      await dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
      let set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: counter.dataId, hitCondition: '2' }] });
      const id = set.body.breakpoints[0].id;
      const c2 = { name: 'main', at: mark('counter 2'), land: mark('counter 2') + 1, from: '1', to: '2' };
      await expectChange(dc, 'continueRequest', id, c2); // the 2nd change
      // the same dataId with a condition instead: the same breakpoint, judged where it stops
      set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: counter.dataId, condition: 'counter == 2' }] });
      assert.strictEqual(set.body.breakpoints[0].id, id);
      assert.strictEqual((await motion(dc, 'continueRequest')).reason, 'end'); // counter 3 does not pass
      await expectChange(dc, 'reverseContinueRequest', id, c2); // nor backwards
      // goto runs to a line without stopping at the changes on the way (counter 3)
      const printLine = LINES.findIndex((l) => l.includes('print(total')) + 1;
      const t = await dc.gotoTargetsRequest({ source: { path: SRC }, line: printLine });
      const m = await motion(dc, 'gotoRequest', { threadId: 1, targetId: t.body.targets.find((x) => /Next/.test(x.label)).id });
      assert.deepStrictEqual([m.reason, m.line], ['goto', printLine]);
      assert.strictEqual(await value(dc, 'counter'), '3');
      const bad = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: counter.dataId, hitCondition: 'often' }, { dataId: 'nonsense' }, { dataId: counter.dataId, accessType: 'read' }] });
      assert.match(bad.body.breakpoints[0].message, /hit condition/);
      assert.strictEqual(bad.body.breakpoints[1].verified, false);
      assert.match(bad.body.breakpoints[1].message, /unknown dataId/);
      assert.strictEqual(bad.body.breakpoints[2].verified, false);
      assert.match(bad.body.breakpoints[2].message, /not where it is read/);
    } finally {
      await dc.stop();
    }
  });

  it('a global hidden by a local of the same name is watched from the Globals view', { timeout: TEST_MS }, async () => {
    const dc = client();
    try {
      const peek = LINES.findIndex((l) => l.endsWith('# peek')) + 1;
      await start(dc, { trace }, async () => {
        await dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: peek }] });
      });
      const f = (await top(dc))[0];
      const local = await info(dc, { variablesReference: await scope(dc, f.id, 0), name: 'counter' });
      const global = await info(dc, { variablesReference: await scope(dc, f.id, 1), name: 'counter' });
      assert.match(local.description, /^counter: local counter of peek/);
      assert.match(global.description, /^counter: global counter$/);
      await dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
      const id = (await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: global.dataId }] })).body.breakpoints[0].id;
      await expectChange(dc, 'continueRequest', id, { name: 'main', at: mark('counter 2'), land: mark('counter 2') + 1, from: '1', to: '2' });
    } finally {
      await dc.stop();
    }
  });

  it('a change made by another thread stops in that thread', { timeout: TEST_MS }, async () => {
    const dc = client();
    const src = prog('threads.py');
    const lines = fs.readFileSync(src, 'utf8').split('\n');
    const append = lines.findIndex((l) => l.includes('out.append(acc)')) + 1;
    try {
      await start(dc, { trace: traces.threads }, async () => {
        await dc.setBreakpointsRequest({ source: { path: src }, breakpoints: [{ line: lines.findIndex((l) => l.startsWith('for t in threads')) + 1 }] });
      });
      const f = (await top(dc))[0];
      const out = await info(dc, { variablesReference: await scope(dc, f.id, 1), name: 'out' });
      assert.match(out.description, /^out: global out$/);
      await dc.setBreakpointsRequest({ source: { path: src }, breakpoints: [] });
      const id = (await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: out.dataId }] })).body.breakpoints[0].id;
      const sums = { w0: 499500, w1: 1999000 }; // sum(range(1000 * (k + 1)))
      const seen = [];
      for (let k = 0; k < 2; k++) {
        const m = await motion(dc, 'continueRequest');
        const b = m.event.body;
        assert.strictEqual(m.reason, 'data breakpoint');
        assert.ok(b.threadId >= 2, JSON.stringify(b)); // a worker, not the main thread
        const th = (await dc.threadsRequest()).body.threads.find((t) => t.id === b.threadId);
        const name = /\((w\d)\)/.exec(th.name)[1];
        seen.push(sums[name]);
        const change = new RegExp(`Changed at threads\\.py:${append} in worker \\(thread ${b.threadId}\\)`);
        assert.match(b.text, change);
        assert.strictEqual(m.name, 'worker');
        assert.match(b.text, new RegExp(`New value = \\[${seen.join(', ')}\\]`));
      }
      assert.deepStrictEqual([...seen].sort((a, b) => a - b), [499500, 1999000]);
      const m = await motion(dc, 'reverseContinueRequest'); // back to the first append
      assert.strictEqual(m.reason, 'data breakpoint');
      assert.match(m.event.body.text, new RegExp(`Old value = \\[\\]\nNew value = \\[${seen[0]}\\]`));
    } finally {
      await dc.stop();
    }
  });

  it('a local of a frame that returned is followed in the next calls of its function', { timeout: TEST_MS }, async () => {
    const dc = client();
    try {
      await start(dc, { trace }, async () => {
        await dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: mark('acc') }] });
      });
      const f = (await top(dc))[0];
      assert.strictEqual(f.name, 'work');
      const acc = await info(dc, { variablesReference: await scope(dc, f.id, 0), name: 'acc' });
      assert.match(acc.description, /local acc of work \(every call\) - every call of the function, also after this frame returns/);
      await dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
      const id = (await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: acc.dataId }] })).body.breakpoints[0].id;
      // work(2): 1 -> 2 -> 4, returns; work(1) starts unbound: <unbound> -> 1 -> 2
      await expectChange(dc, 'continueRequest', id, { name: 'work', at: mark('acc'), from: '1', to: '2' });
      await expectChange(dc, 'continueRequest', id, { name: 'work', at: mark('acc'), from: '2', to: '4' });
      await expectChange(dc, 'continueRequest', id, { name: 'work', at: mark('acc') - 2, from: '<unbound>', to: '1' });
      assert.strictEqual(await value(dc, 'n'), '1'); // the second call
      await expectChange(dc, 'continueRequest', id, { name: 'work', at: mark('acc'), from: '1', to: '2' });
      await expectChange(dc, 'reverseContinueRequest', id, { name: 'work', at: mark('acc') - 2, from: '<unbound>', to: '1' });
      await expectChange(dc, 'reverseContinueRequest', id, { name: 'work', at: mark('acc'), from: '2', to: '4' });
      assert.strictEqual(await value(dc, 'n'), '2');
    } finally {
      await dc.stop();
    }
  });
});
