// What every stack benchmark reads and prints the same way: a positive number from the environment (with
// its default), the run's timestamp for file names, and a timestamped progress line.

/** A positive number from `name` in the environment, or `fallback`; anything else stops the benchmark. */
export function numberSetting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got "${process.env[name]}")`);
  return value;
}

/** This run's start, safe in a file name. */
export const RUN_STAMP = new Date().toISOString().replace(/[:.]/g, "-");

/** A progress line, stamped with the time of day. */
export const progress = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Runs a bench's main and exits when it is done (a pool or a timer left open must not keep the bench alive),
 *  with 1 if it failed. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
