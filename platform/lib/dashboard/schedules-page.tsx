/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Schedules, declarative and imperative: cron, timezone, the next fire times in that timezone, the last
// runs, and fire now / activate / deactivate.
import type { Schedule } from "../db/schema";
import { upcomingTicks } from "../engine/schedules";
import { ActionButton, formatTime, StatusBadge } from "./page-shell";
import type { ProjectPaths } from "./project-paths";

export type ScheduleRow = { schedule: Schedule; lastRuns: { friendlyId: string; apiStatus: string; createdAt: Date }[] };

function inZone(date: Date, timezone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: timezone, dateStyle: "short", timeStyle: "medium" }).format(date);
}

export function SchedulesPage({ rows, paths }: { rows: ScheduleRow[]; paths: ProjectPaths }) {
  return (
    <>
      <h1>Schedules</h1>
      {rows.length === 0 ? <p class="muted">No schedules: a schedules.task with a cron, or schedules.create(), makes one.</p> : null}
      <div class="grid">
        {rows.map(({ schedule, lastRuns }) => (
          <section class="card" data-schedule={schedule.friendlyId}>
            <h2>
              {schedule.taskIdentifier} <span class="muted">{schedule.friendlyId}</span>
            </h2>
            <dl class="facts">
              <dt>Type</dt>
              <dd>{schedule.type}</dd>
              <dt>Cron</dt>
              <dd>
                <code>{schedule.cron}</code> ({schedule.timezone})
              </dd>
              <dt>Active</dt>
              <dd>{schedule.active ? "yes" : "no"}</dd>
              {schedule.externalId ? (
                <>
                  <dt>External id</dt>
                  <dd>{schedule.externalId}</dd>
                </>
              ) : null}
              <dt>Next</dt>
              <dd>
                {schedule.active ? (
                  <ul>
                    {upcomingTicks(schedule, new Date(), 3).map((tick) => (
                      <li>
                        {inZone(tick, schedule.timezone)} <span class="muted">({formatTime(tick)})</span>
                      </li>
                    ))}
                  </ul>
                ) : (
                  "—"
                )}
              </dd>
              <dt>Last runs</dt>
              <dd>
                {lastRuns.length === 0 ? <span class="muted">none yet</span> : null}
                <ul>
                  {lastRuns.map((r) => (
                    <li>
                      <a href={paths.run(r.friendlyId)}>{formatTime(r.createdAt)}</a> <StatusBadge status={r.apiStatus} />
                    </li>
                  ))}
                </ul>
              </dd>
            </dl>
            <div class="actions">
              <ActionButton action={`${paths.schedule(schedule.friendlyId)}/fire`} label="Fire now" />
              {schedule.active ? (
                <ActionButton action={`${paths.schedule(schedule.friendlyId)}/deactivate`} label="Deactivate" danger />
              ) : (
                <ActionButton action={`${paths.schedule(schedule.friendlyId)}/activate`} label="Activate" />
              )}
            </div>
          </section>
        ))}
      </div>
    </>
  );
}
