// The platform's options from the project's configuration (src/config.ts holds every default).
import type { Config } from "../config";
import type { PlatformOptions } from "./platform-context";

export function platformOptionsFrom(config: Config, taskEnvironment: Record<string, string> = {}): PlatformOptions {
  return {
    secretKey: config.trigger.secretKey,
    defaultProjectRef: config.trigger.projectRef,
    dequeue: {
      holdMs: config.platform.dequeueHoldMs,
      intervalWithRunMs: 0,
      intervalWithoutRunMs: config.platform.dequeueIntervalMs,
      maxConcurrentRuns: config.platform.maxConcurrentRuns,
    },
    heartbeatTimeoutMs: config.platform.heartbeatTimeoutMs,
    defaultMaxAttempts: 3,
    taskEnvironment,
  };
}
