// local-trigger: a local Trigger.dev v4 platform. Start it with startPlatform (or the `local-trigger` bin),
// point a project's `trigger.dev dev` at its URL, and trigger with the secret key it prints.
export { startPlatform, type CliPresence, type RunningPlatform, type StartPlatformOptions } from "./platform-server";
export type { PlatformOptions } from "./platform-context";
export type { SweepTuning } from "./platform-options";
export { DEFAULT_SWEEP_TUNING } from "./engine/retention";
export { migratePlatform, PLATFORM_MIGRATIONS } from "./db/migrate";
export { ensureProjectEnvironment } from "./environments";
export { internalId } from "./ids";
