/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The frame every dashboard page shares: head, navigation, the project shown (and a switcher to another),
// the flash message an action left, and the small pieces pages repeat (status badges, times, durations,
// pretty JSON). hono/jsx escapes every value, so payloads, tags and log lines from tasks render as text,
// never as markup.
import type { Child } from "hono/jsx";
import { CsrfField, CsrfMeta } from "./dashboard-session";
import { DASHBOARD_CSS } from "./dashboard-style";
import type { ProjectPaths, ProjectSection } from "./project-paths";

export type NavItem = { href: string; label: string };

export const PROJECTS_NAV: NavItem = { href: "/projects", label: "Projects" };

/** The platform's pages of one project, at that project's paths. */
export function platformNav(paths: ProjectPaths): NavItem[] {
  return [
    { href: paths.runs, label: "Runs" },
    { href: paths.failed, label: "Failed" },
    { href: paths.test, label: "Test" },
    { href: paths.schedules, label: "Schedules" },
    { href: paths.queues, label: "Queues" },
    { href: paths.metrics, label: "Metrics" },
    { href: paths.apiKeys, label: "API keys" },
  ];
}

export type ProjectChoice = { ref: string; name: string };
/** The project a page shows (none on the projects list), every project to switch to, and the section to keep. */
export type ProjectSwitch = { shown: ProjectChoice | undefined; choices: ProjectChoice[]; section: ProjectSection };

export type ShellProps = {
  title: string;
  nav: NavItem[];
  current: string;
  flash?: { kind: "error" | "ok"; text: string } | undefined;
  /** Live pages re-render their <main> when the platform reports a change (server-sent events). */
  live?: boolean;
  project: ProjectSwitch;
  children: Child;
};

export function PageShell({ title, nav, current, flash, live, project, children }: ShellProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <CsrfMeta />
        <title>{`${title} · local Trigger.dev`}</title>
        <style>{DASHBOARD_CSS}</style>
        <script src="/dashboard/client.js" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/projects">
            local Trigger.dev
          </a>
          <ProjectSwitcher project={project} />
          <nav>
            {nav.map((item) => (
              <a href={item.href} class={current === item.href ? "current" : ""}>
                {item.label}
              </a>
            ))}
          </nav>
        </header>
        {flash ? (
          <p class={`flash ${flash.kind}`} role={flash.kind === "error" ? "alert" : "status"}>
            {flash.text}
          </p>
        ) : null}
        <main id="main" data-live={live ? "true" : undefined}>
          {children}
        </main>
      </body>
    </html>
  );
}

/** Which project is shown, and a plain GET form to show another (no script needed). */
function ProjectSwitcher({ project }: { project: ProjectSwitch }) {
  return (
    <form class="project-switch" method="get" action="/projects/switch" data-project={project.shown?.ref}>
      <select name="ref" aria-label="Project">
        {project.shown ? null : <option value="">choose a project…</option>}
        {project.choices.map((p) => (
          <option value={p.ref} selected={p.ref === project.shown?.ref}>
            {p.name === p.ref ? p.ref : `${p.name} (${p.ref})`}
          </option>
        ))}
      </select>
      <input type="hidden" name="section" value={project.section} />
      {/* An input, not a button: the frame's control stays apart from the page's own forms and their buttons. */}
      <input type="submit" value="Show" />
    </form>
  );
}

const STATUS_CLASS: Record<string, string> = {
  COMPLETED: "ok",
  FAILED: "bad",
  CRASHED: "bad",
  SYSTEM_FAILURE: "bad",
  TIMED_OUT: "bad",
  EXPIRED: "bad",
  CANCELED: "muted",
  EXECUTING: "busy",
  DEQUEUED: "busy",
  WAITING: "wait",
  DELAYED: "wait",
  QUEUED: "wait",
};

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge ${STATUS_CLASS[status] ?? "muted"}`}>{status}</span>;
}

export const formatTime = (date: Date | null | undefined) =>
  date
    ? date
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z")
    : "—";

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1_000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} m`;
}

/** Pretty-printed JSON (or the raw text when it is not JSON), as escaped text. */
export function JsonBlock({ value }: { value: unknown }) {
  if (value === undefined) return <p class="muted">none</p>;
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return <pre class="json">{text}</pre>;
}

/** A table that scrolls sideways inside its box on a narrow screen; `empty` is shown when there are no rows. */
export function DataTable({ id, headings, rows, empty }: { id?: string; headings: string[]; rows: Child[]; empty?: Child }) {
  return (
    <div class="scroll">
      <table id={id}>
        <thead>
          <tr>
            {headings.map((h) => (
              <th>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && empty !== undefined ? (
            <tr>
              <td colspan={headings.length} class="muted">
                {empty}
              </td>
            </tr>
          ) : (
            rows
          )}
        </tbody>
      </table>
    </div>
  );
}

/** A form that POSTs an action; the handler redirects back with a flash message. */
export function ActionButton({ action, label, confirm, danger }: { action: string; label: string; confirm?: string; danger?: boolean }) {
  return (
    <form method="post" action={action} class="inline" data-confirm={confirm}>
      <CsrfField />
      <button type="submit" class={danger ? "danger" : ""}>
        {label}
      </button>
    </form>
  );
}

/** `href` with `params` set in its query (empty values dropped); a query `href` already has is kept. */
export function withQuery(href: string, params: Record<string, string | undefined>): string {
  const mark = href.indexOf("?");
  const path = mark === -1 ? href : href.slice(0, mark);
  const query = new URLSearchParams(mark === -1 ? "" : href.slice(mark + 1));
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
