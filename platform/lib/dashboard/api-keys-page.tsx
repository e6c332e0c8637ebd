/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// A project's API keys, as Trigger.dev's "API keys" page: each environment's secret key, and the variables
// backend code sets to trigger into it with the SDK. Keys are shown in full: the platform is local, and the
// keys only open it.
import type { Environment } from "../db/schema";
import { cliCommand } from "../cli/cli-command";

export function ApiKeysPage({
  projectRef,
  projectName,
  environments,
  origin,
  accessToken,
}: {
  projectRef: string;
  projectName: string;
  environments: Environment[];
  origin: string;
  accessToken: string;
}) {
  return (
    <>
      <h1>
        API keys <span class="muted">{projectName === projectRef ? projectRef : `${projectName} (${projectRef})`}</span>
      </h1>
      {environments.map((env) => (
        <section class="card" data-environment={env.slug}>
          <h2>{env.slug}</h2>
          <dl class="facts">
            <dt>Secret key</dt>
            <dd>
              <code class="secret-key">{env.apiKey}</code>
            </dd>
          </dl>
          <p class="muted">Set these where your backend triggers tasks (the SDK reads them):</p>
          <pre class="env">
            <code>{`TRIGGER_API_URL=${origin}\nTRIGGER_SECRET_KEY=${env.apiKey}`}</code>
          </pre>
        </section>
      ))}
      <section class="card">
        <h2>The CLI</h2>
        <p>
          From the project's folder (its <code>trigger.config.ts</code> names <code>{projectRef}</code>), with this platform's access token:
        </p>
        <pre class="env">
          <code>{cliCommand(origin, accessToken)}</code>
        </pre>
      </section>
    </>
  );
}
