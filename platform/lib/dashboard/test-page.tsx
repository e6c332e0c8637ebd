/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The Test page: pick a task, edit a JSON payload (prefilled from the task's template), set the options
// Trigger.dev's test page offers, trigger, and land on the new run.
import type { ProjectPaths } from "./project-paths";
import { CsrfField } from "./dashboard-session";

export type TestForm = { task?: string; payload?: string; delay?: string; tags?: string; idempotencyKey?: string };

export function TestPage({
  tasks,
  templates,
  form,
  paths,
}: {
  tasks: string[];
  templates: Record<string, unknown>;
  form: TestForm;
  paths: ProjectPaths;
}) {
  const selected = form.task && tasks.includes(form.task) ? form.task : tasks[0];
  const template = (task: string | undefined) => JSON.stringify(task && task in templates ? templates[task] : {}, null, 2);
  return (
    <>
      <h1>Test a task</h1>
      {tasks.length === 0 ? (
        <p class="muted">No tasks yet: start `trigger.dev dev` (npm start does) and its worker registers them.</p>
      ) : (
        <form method="post" action={paths.test} class="stack card">
          <CsrfField />
          <label>
            Task
            <select name="task" id="task-picker">
              {tasks.map((t) => (
                <option value={t} selected={t === selected} data-payload={template(t)}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Payload (JSON)
            <textarea name="payload" id="payload">
              {form.payload ?? template(selected)}
            </textarea>
          </label>
          <label>
            Delay (optional: 30s, 10m, 1h)
            <input name="delay" value={form.delay ?? ""} />
          </label>
          <label>
            Tags (optional, comma-separated)
            <input name="tags" value={form.tags ?? ""} />
          </label>
          <label>
            Idempotency key (optional)
            <input name="idempotencyKey" value={form.idempotencyKey ?? ""} />
          </label>
          <button type="submit">Trigger test run</button>
        </form>
      )}
      <p class="muted">
        Test runs are marked <span class="tag">test</span>; see them with <a href={paths.runs}>all runs</a>.
      </p>
    </>
  );
}
