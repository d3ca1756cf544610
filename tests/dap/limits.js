// Time limits for the DAP tests, so that an adapter that never answers is a fast failure that
// names what it waited for, not a test file that hangs until CTest kills it. DebugClient's
// waitForEvent has a timeout; its requests have none: timedRequests gives every request one,
// and when it runs out says what the adapter and the processes below it were doing (state and
// kernel wait channel of each thread), then kills the adapter (its tracees die with it:
// PTRACE_O_EXITKILL) so that the test's cleanup does not wait as well.
'use strict';
const fs = require('node:fs');

const REQUEST_MS = 60000; /* a request's response (motions answer before they run) */
const TEST_MS = 150000; /* one `it`: well under CTest's 600 s for the whole file */

function read(file) {
  try { return fs.readFileSync(file, 'utf8').trim(); } catch (e) { return '?'; }
}

/* One line per thread of pid and of every process below it: pid/tid, state, wait channel. */
function processReport(pid) {
  const kids = {};
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = read(`/proc/${d}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    (kids[ppid] = kids[ppid] || []).push(Number(d));
  }
  const lines = [];
  const walk = (p, depth) => {
    const cmd = read(`/proc/${p}/cmdline`).replace(/\0/g, ' ').slice(0, 100);
    let tasks = [];
    try { tasks = fs.readdirSync(`/proc/${p}/task`); } catch (e) { /* gone */ }
    for (const t of tasks) {
      const stat = read(`/proc/${p}/task/${t}/stat`);
      const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
      const tracer = (/TracerPid:\s+(\d+)/.exec(read(`/proc/${p}/task/${t}/status`)) || [])[1];
      lines.push(`${'  '.repeat(depth)}${p}/${t} ${state} wchan=${read(`/proc/${p}/task/${t}/wchan`)} tracer=${tracer} ${t === String(p) ? cmd : ''}`);
    }
    for (const k of kids[p] || []) walk(k, depth + 1);
  };
  walk(pid, 0);
  return lines.join('\n');
}

/* Every request of dc (all of DebugClient's xxxRequest methods go through send) fails after ms
 * with a message naming the request and its arguments. */
function timedRequests(dc, ms = REQUEST_MS) {
  const send = dc.send.bind(dc);
  dc.send = (command, args) => {
    let timer;
    const limit = new Promise((resolve, reject) => {
      timer = setTimeout(() => {
        const adapter = dc._adapterProcess;
        const report = adapter ? `\nthe adapter's processes:\n${processReport(adapter.pid)}` : '';
        const msg = `no response to the '${command}' request ${JSON.stringify(args || {})} after ${ms} ms${report}`;
        console.error(msg); /* also when the caller swallows the error (DebugClient.stop) */
        if (adapter) adapter.kill('SIGKILL');
        reject(new Error(msg));
      }, ms);
    });
    return Promise.race([send(command, args), limit]).finally(() => clearTimeout(timer));
  };
  return dc;
}

module.exports = { timedRequests, REQUEST_MS, TEST_MS };
