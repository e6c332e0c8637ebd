// Preloaded (--require) into every Node process of the stack by `BENCH_CPU_PROFILE=1 npm run bench`: the
// stack, the CLI and — through the NODE_OPTIONS the CLI hands them — its task processes (the CLI refuses
// --cpu-prof in NODE_OPTIONS, keeps only the last --import, and kills task processes rather than letting
// them exit). Writes a .cpuprofile of this process to bench/results/cpu-profiles/ every 30 s and on exit.
const fs = require("node:fs");
const inspector = require("node:inspector");
const path = require("node:path");

const dir = path.join(__dirname, "results/cpu-profiles");
fs.mkdirSync(dir, { recursive: true });
const session = new inspector.Session();
session.connect();
const name = path.basename(process.argv[1] ?? "node").replace(/[^\w.-]/g, "_");
let chunk = 0;
const start = () => session.post("Profiler.enable", () => session.post("Profiler.start"));
const write = (restart) =>
  session.post("Profiler.stop", (error, result) => {
    if (!error) fs.writeFileSync(path.join(dir, `${process.pid}-${name}-${chunk++}.cpuprofile`), JSON.stringify(result.profile));
    if (restart) start();
  });
start();
setInterval(() => write(true), 30_000).unref();
process.on("exit", () => write(false));
