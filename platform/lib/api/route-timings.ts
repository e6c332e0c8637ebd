// The platform's own timings: count, total and worst time per route, served at GET /_platform/timings
// (for profiling and the benchmarks; a route's time includes its database work).
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { PlatformEnv } from "./http-context";

type Timing = { count: number; totalMs: number; maxMs: number };

export class RouteTimings {
  private readonly byRoute = new Map<string, Timing>();

  middleware(): MiddlewareHandler<PlatformEnv> {
    return async (c, next) => {
      const started = performance.now();
      await next();
      const key = `${c.req.method} ${routePath(c)}`;
      const ms = performance.now() - started;
      const t = this.byRoute.get(key) ?? { count: 0, totalMs: 0, maxMs: 0 };
      t.count++;
      t.totalMs += ms;
      t.maxMs = Math.max(t.maxMs, ms);
      this.byRoute.set(key, t);
    };
  }

  report() {
    return [...this.byRoute.entries()]
      .map(([route, t]) => ({
        route,
        count: t.count,
        meanMs: Math.round((t.totalMs / t.count) * 100) / 100,
        maxMs: Math.round(t.maxMs),
        totalMs: Math.round(t.totalMs),
      }))
      .sort((a, b) => b.totalMs - a.totalMs);
  }

  reset(): void {
    this.byRoute.clear();
  }
}
