// Processes for the DAP tests: is one alive (not a zombie), wait until some are gone.
'use strict';
const fs = require('node:fs');

function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch (e) {
    return false;
  }
}

/* Wait up to ms until list() (the processes to watch) is empty; what is left. */
async function waitEmpty(list, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end && list().length) await new Promise((r) => setTimeout(r, 100));
  return list();
}

module.exports = { alive, waitEmpty };
