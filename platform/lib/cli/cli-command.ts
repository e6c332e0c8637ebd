// The command line that runs a project's `trigger.dev dev` against this platform (banner, dashboard pages).
export const CLI_VERSION = "4.8.3";

export const cliCommand = (apiUrl: string, accessToken: string) =>
  `TRIGGER_API_URL=${apiUrl} TRIGGER_ACCESS_TOKEN=${accessToken} npx trigger.dev@${CLI_VERSION} dev`;
