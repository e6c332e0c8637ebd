// What `local-trigger` prints once it is up: where it is, the dashboard's login link, how to point a
// project's CLI at it, and each project's secret key for backend code (also on the project's API keys page).
// These are the install's secrets: they go to the terminal of whoever started it, and nowhere else.
import { asc, eq } from "drizzle-orm";
import { cliCommand } from "./cli/cli-command";
import { pathsOfProject } from "./dashboard/project-paths";
import { environments, projects } from "./db/schema";
import type { RunningPlatform } from "./platform-server";

export async function startBanner(platform: RunningPlatform, state: string): Promise<string> {
  const { db } = platform.context;
  const keys = await db
    .select({ ref: projects.ref, slug: environments.slug, apiKey: environments.apiKey })
    .from(environments)
    .innerJoin(projects, eq(projects.ref, environments.projectRef))
    .orderBy(asc(projects.createdAt));
  return `Local Trigger.dev platform on ${platform.url} (state in ${state})
Dashboard (this link logs you in; keep it to yourself): ${platform.loginUrl}

Run any Trigger.dev v4 project against it, from that project's folder:
  ${cliCommand(platform.url, platform.accessToken)}

Trigger from backend code with the SDK (TRIGGER_API_URL=${platform.url} and the project's key):
${keys.map((k) => `  ${k.ref.padEnd(24)} ${k.slug.padEnd(5)} TRIGGER_SECRET_KEY=${k.apiKey}   ${platform.url}${pathsOfProject(k.ref).apiKeys}`).join("\n")}
A project that connects later has its key on its API keys page, listed from ${platform.url}/projects.
`;
}
