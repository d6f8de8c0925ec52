/**
 * Preloaded into every measured child (`node -r bench/clients/report-usage.cjs …`), so every process, the CLI
 * included, is measured the same way without changing it. When the process exits it writes one JSON object to
 * the file named by BENCH_REPORT:
 *
 *   peakRssKb       the peak resident set of the whole process: VmHWM from /proc/self/status (Linux), else maxRSS
 *   maxRssKb        process.resourceUsage().maxRSS as Node reports it. Not the peak to use on Linux: the kernel
 *                   carries the parent's peak over fork+exec into the child's maxrss, so a child of a 300 MB
 *                   parent reports at least 300 MB however little it uses (VmHWM belongs to the new image only)
 *   requestAtMs     when the first HTTP request was created (undici's diagnostics channel, which both the npm
 *                   undici and Node's built-in fetch publish to), ms since the process started
 *   headersAtMs     when the first response's headers arrived (same channel family): the server's share ends here
 *   writtenAtMs     when the process first printed a line ending in `.png` (the CLI prints the path it wrote)
 *   exitAtMs        when the exit event fired
 *   cpuAtRequestMs, cpuAtWrittenMs, cpuAtExitMs   process CPU time (user + system, all threads) at those moments
 *
 * The children that are scripts of the benchmark also report their own in-process timing on stdout.
 */
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const diagnostics = require('node:diagnostics_channel');

const report = process.env.BENCH_REPORT;
const facts = {};
const now = () => Math.round(performance.now() * 100) / 100;
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

if (report) {
  const onCreate = () => {
    if (facts.requestAtMs !== undefined) return;
    facts.requestAtMs = now();
    facts.cpuAtRequestMs = cpuNow();
  };
  diagnostics.channel('undici:request:create').subscribe(onCreate);
  const onHeaders = () => {
    facts.headersAtMs ??= now();
  };
  diagnostics.channel('undici:request:headers').subscribe(onHeaders);

  const write = process.stdout.write;
  process.stdout.write = function (chunk, ...rest) {
    if (facts.writtenAtMs === undefined && /\.png\s*$/.test(String(chunk))) {
      facts.writtenAtMs = now();
      facts.cpuAtWrittenMs = cpuNow();
    }
    return write.call(this, chunk, ...rest);
  };

  process.on('exit', (code) => {
    facts.exitAtMs = now();
    facts.cpuAtExitMs = cpuNow();
    facts.exitCode = code;
    facts.maxRssKb = process.resourceUsage().maxRSS;
    facts.peakRssKb = facts.maxRssKb;
    try {
      const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (hwm) facts.peakRssKb = Number(hwm[1]);
    } catch {
      // Not Linux: maxRSS it is (exact when the parent is small).
    }
    try {
      writeFileSync(report, JSON.stringify(facts));
    } catch {
      // Nothing to do: the parent reports a missing report as a failure.
    }
  });
}
