// The SDK's envvars.* against the local platform: what Trigger.dev's docs say each function returns, its rules
// for names and values, the one (dev) environment, who may call, and, with the real `trigger.dev dev`, that
// the variables reach the task processes.
import { apiClientManager } from "@trigger.dev/core/v3";
import { auth, envvars, tasks } from "@trigger.dev/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCli } from "../../lib/cli/dev-cli";
import { ACCESS_TOKEN, FIXTURE_REF, startFixtureCli, startPlatformHarness, waitForRun, type PlatformHarness } from "../support/platform";

/** One of the platform's own taskEnvironment variables, which a user's variable of the same name must not shadow. */
const PLATFORM_VARIABLE = { name: "ENVVARS_PLATFORM_WIRING", value: "from the platform" };

let h: PlatformHarness;
let cli: DevCli | undefined;

beforeAll(async () => {
  h = await startPlatformHarness({ platform: { taskEnvironment: { [PLATFORM_VARIABLE.name]: PLATFORM_VARIABLE.value } } });
});

afterAll(async () => {
  await cli?.stop();
  await h?.platform.close();
  await h?.database.close();
});

/** The status and message a call is refused with (the SDK's ApiError). */
async function refusal(call: Promise<unknown>): Promise<{ status: unknown; message: string }> {
  try {
    await call;
  } catch (error) {
    return { status: (error as { status?: unknown }).status, message: (error as Error).message };
  }
  throw new Error("the call succeeded");
}

/** As the platform's access token (the CLI's, a personal access token on Trigger.dev). */
const withAccessToken = <T>(fn: () => Promise<T>) => auth.withAuth({ baseURL: h.url, accessToken: ACCESS_TOKEN }, fn);

/** envvars.update(projectRef, slug, name, …) of the 4.8.3 SDK throws "name is not defined" outside a task (its
 *  overload reads an undeclared `name`): outside a task, its API client's updateEnvVar is what it would call. */
const updateVariable = (name: string, value: string, slug = "dev") =>
  apiClientManager.clientOrThrow().updateEnvVar(FIXTURE_REF, slug, name, { value });

/** What `trigger.dev dev` asks for the task processes' environment (GET /api/v1/projects/:ref/envvars). */
async function cliVariables(): Promise<Record<string, string>> {
  const response = await fetch(`${h.url}/api/v1/projects/${FIXTURE_REF}/envvars`, { headers: { authorization: `Bearer ${ACCESS_TOKEN}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { variables: Record<string, string> }).variables;
}

/** A second project with its own secret key (the access token's holder makes it by naming it, as the CLI does). */
async function otherProject(ref: string): Promise<string> {
  const response = await fetch(`${h.url}/api/v1/projects/${ref}/dev`, { headers: { authorization: `Bearer ${ACCESS_TOKEN}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { apiKey: string }).apiKey;
}

describe("envvars.create, retrieve, list, update, del", () => {
  it("each answers as Trigger.dev's docs say, and the variable is the project's", async () => {
    expect(await envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_CRUD", value: "first" })).toEqual({ success: true });
    expect(await envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_CRUD")).toEqual({ name: "ENVVARS_CRUD", value: "first", isSecret: false });
    expect(await envvars.list(FIXTURE_REF, "dev")).toContainEqual({ name: "ENVVARS_CRUD", value: "first", isSecret: false });

    // create overwrites a variable of the same name, as on Trigger.dev.
    expect(await envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_CRUD", value: "second" })).toEqual({ success: true });
    expect((await envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_CRUD")).value).toBe("second");

    expect(await updateVariable("ENVVARS_CRUD", "third")).toEqual({ success: true });
    expect((await envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_CRUD")).value).toBe("third");
    expect((await cliVariables()).ENVVARS_CRUD).toBe("third");

    expect(await envvars.del(FIXTURE_REF, "dev", "ENVVARS_CRUD")).toEqual({ success: true });
    expect(await refusal(envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_CRUD"))).toEqual({
      status: 404,
      message: `No environment variable ENVVARS_CRUD in project ${FIXTURE_REF} (dev)`,
    });
    expect((await envvars.list(FIXTURE_REF, "dev")).map((v) => v.name)).not.toContain("ENVVARS_CRUD");
    expect((await cliVariables()).ENVVARS_CRUD).toBeUndefined();
  });

  it("list answers every variable of the environment, by name", async () => {
    await envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_LIST_B", value: "b" });
    await envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_LIST_A", value: "a" });
    const listed = (await envvars.list(FIXTURE_REF, "dev")).filter((v) => v.name.startsWith("ENVVARS_LIST_"));
    expect(listed).toEqual([
      { name: "ENVVARS_LIST_A", value: "a", isSecret: false },
      { name: "ENVVARS_LIST_B", value: "b", isSecret: false },
    ]);
  });

  it("update and del of a variable that does not exist answer 404", async () => {
    const missing = { status: 404, message: `No environment variable ENVVARS_NEVER_SET in project ${FIXTURE_REF} (dev)` };
    expect(await refusal(updateVariable("ENVVARS_NEVER_SET", "x"))).toEqual(missing);
    expect(await refusal(envvars.del(FIXTURE_REF, "dev", "ENVVARS_NEVER_SET"))).toEqual(missing);
    expect(await refusal(envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_NEVER_SET"))).toEqual(missing);
  });
});

describe("a secret variable", () => {
  it("is redacted in list and retrieve, stays secret when updated, and reaches the task processes whole", async () => {
    // The SDK's CreateEnvironmentVariableParams type lacks isSecret, though its request body carries it.
    const secret = { name: "ENVVARS_SECRET", value: "s3cret", isSecret: true };
    expect(await envvars.create(FIXTURE_REF, "dev", secret)).toEqual({ success: true });
    const redacted = { name: "ENVVARS_SECRET", value: "<redacted>", isSecret: true };
    expect(await envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_SECRET")).toEqual(redacted);
    expect(await envvars.list(FIXTURE_REF, "dev")).toContainEqual(redacted);
    expect((await cliVariables()).ENVVARS_SECRET).toBe("s3cret");

    await updateVariable("ENVVARS_SECRET", "n3w");
    expect(await envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_SECRET")).toEqual(redacted);
    // create without isSecret keeps it secret (Trigger.dev changes isSecret only when it is given).
    await envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_SECRET", value: "n3wer" });
    expect(await envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_SECRET")).toEqual(redacted);
    expect((await cliVariables()).ENVVARS_SECRET).toBe("n3wer");
  });
});

describe("envvars.upload", () => {
  it("sets new variables; names already set are refused, and nothing is set, unless override is true", async () => {
    expect(await envvars.upload(FIXTURE_REF, "dev", { variables: { ENVVARS_UP_A: "a1", ENVVARS_UP_B: "b1" } })).toEqual({ success: true });
    expect(await refusal(envvars.upload(FIXTURE_REF, "dev", { variables: { ENVVARS_UP_A: "a2", ENVVARS_UP_C: "c2" } }))).toEqual({
      status: 400,
      message: "variables: already set: ENVVARS_UP_A; set override to true to overwrite them",
    });
    expect(await refusal(envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_UP_C"))).toMatchObject({ status: 404 });
    expect((await envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_UP_A")).value).toBe("a1");

    expect(
      await envvars.upload(FIXTURE_REF, "dev", { variables: { ENVVARS_UP_A: "a2", ENVVARS_UP_C: "c2" }, override: true, isSecret: true }),
    ).toEqual({ success: true });
    const listed = (await envvars.list(FIXTURE_REF, "dev")).filter((v) => v.name.startsWith("ENVVARS_UP_"));
    expect(listed).toEqual([
      { name: "ENVVARS_UP_A", value: "<redacted>", isSecret: true },
      { name: "ENVVARS_UP_B", value: "b1", isSecret: false },
      { name: "ENVVARS_UP_C", value: "<redacted>", isSecret: true },
    ]);
    expect(await cliVariables()).toMatchObject({ ENVVARS_UP_A: "a2", ENVVARS_UP_B: "b1", ENVVARS_UP_C: "c2" });
  });

  it("skips reserved names and empty values, as Trigger.dev does with a whole .env file, but not everything", async () => {
    const upload = {
      ENVVARS_UP_KEPT: "kept",
      ENVVARS_UP_EMPTY: " ",
      TRIGGER_SECRET_KEY: "tr_dev_mine",
      TRIGGER_API_URL: "http://elsewhere",
    };
    expect(await envvars.upload(FIXTURE_REF, "dev", { variables: upload })).toEqual({ success: true });
    const names = (await envvars.list(FIXTURE_REF, "dev")).map((v) => v.name);
    expect(names).toContain("ENVVARS_UP_KEPT");
    expect(names).not.toContain("ENVVARS_UP_EMPTY");
    expect(names).not.toContain("TRIGGER_SECRET_KEY");
    expect(names).not.toContain("TRIGGER_API_URL");

    expect(await refusal(envvars.upload(FIXTURE_REF, "dev", { variables: { TRIGGER_SECRET_KEY: "x", ENVVARS_UP_BLANK: "" } }))).toEqual({
      status: 400,
      message: "variables: nothing to set: every one was empty or reserved (TRIGGER_SECRET_KEY, TRIGGER_API_URL)",
    });
    expect(await refusal(envvars.upload(FIXTURE_REF, "dev", { variables: {} }))).toEqual({
      status: 400,
      message: "variables: nothing to set: none were given",
    });
  });

  it("refuses the whole import when a name breaks Trigger.dev's rule", async () => {
    expect(await refusal(envvars.upload(FIXTURE_REF, "dev", { variables: { ENVVARS_UP_OK: "ok", "NOT-OK": "x" } }))).toEqual({
      status: 400,
      message: `variables: "NOT-OK" not allowed: a variable's name is 1 to 1024 letters, digits and underscores`,
    });
    expect(await refusal(envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_UP_OK"))).toMatchObject({ status: 404 });
  });
});

describe("names and values", () => {
  it.each([
    ["MY-VAR", `name: "MY-VAR" is not allowed: a variable's name is 1 to 1024 letters, digits and underscores`],
    ["HAS SPACE", `name: "HAS SPACE" is not allowed: a variable's name is 1 to 1024 letters, digits and underscores`],
    ["ÄPFEL", `name: "ÄPFEL" is not allowed: a variable's name is 1 to 1024 letters, digits and underscores`],
    ["", `name: "" is not allowed: a variable's name is 1 to 1024 letters, digits and underscores`],
    ["TRIGGER_SECRET_KEY", "name: TRIGGER_SECRET_KEY is reserved: the platform sets it for every task process"],
    ["TRIGGER_API_URL", "name: TRIGGER_API_URL is reserved: the platform sets it for every task process"],
  ])("create refuses the name %j with a 400 naming the rule", async (name, message) => {
    expect(await refusal(envvars.create(FIXTURE_REF, "dev", { name, value: "x" }))).toEqual({ status: 400, message });
  });

  it("a name may start with a digit and use lower case, as Trigger.dev's rule (\\w+) allows, up to 1024 long", async () => {
    expect(await envvars.create(FIXTURE_REF, "dev", { name: "9_lives", value: "cat" })).toEqual({ success: true });
    expect(await envvars.retrieve(FIXTURE_REF, "dev", "9_lives")).toEqual({ name: "9_lives", value: "cat", isSecret: false });
    const longest = "L".repeat(1024);
    expect(await envvars.create(FIXTURE_REF, "dev", { name: longest, value: "long" })).toEqual({ success: true });
    expect((await envvars.retrieve(FIXTURE_REF, "dev", longest)).value).toBe("long");
    expect(await refusal(envvars.create(FIXTURE_REF, "dev", { name: `${longest}L`, value: "x" }))).toEqual({
      status: 400,
      message: `name: "${"L".repeat(200)}" is not allowed: a variable's name is 1 to 1024 letters, digits and underscores`,
    });
  });

  it("an empty, blank or NUL-holding value is refused by create and update; a missing one is a bad body", async () => {
    const empty = { status: 400, message: "value: ENVVARS_VALUE's value is empty; a variable needs a value (delete it instead)" };
    expect(await refusal(envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_VALUE", value: "" }))).toEqual(empty);
    expect(await refusal(envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_VALUE", value: " \n\t" }))).toEqual(empty);
    expect(await refusal(envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_VALUE", value: "a\0b" }))).toEqual({
      status: 400,
      message: "value: ENVVARS_VALUE's value holds a NUL character, which no environment variable can",
    });
    await envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_VALUE", value: "kept" });
    expect(await refusal(updateVariable("ENVVARS_VALUE", ""))).toEqual(empty);
    expect((await envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_VALUE")).value).toBe("kept");
    // Spaces around a value are kept, as given.
    await updateVariable("ENVVARS_VALUE", "  padded ");
    expect((await envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_VALUE")).value).toBe("  padded ");

    const noValue = await fetch(`${h.url}/api/v1/projects/${FIXTURE_REF}/envvars/dev`, {
      method: "POST",
      headers: { authorization: `Bearer ${ACCESS_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "ENVVARS_VALUE" }),
    });
    expect(noValue.status).toBe(400);
    expect(await noValue.json()).toEqual({ error: expect.stringMatching(/^value: .*string/) }); // zod's words, naming the field
  });
});

describe("environments, projects and credentials", () => {
  it.each(["prod", "staging", "preview"])("the %s environment does not exist here: 404 saying only dev does", async (slug) => {
    const only = {
      status: 404,
      message: `No environment ${slug} in project ${FIXTURE_REF}: the local platform has only the dev environment`,
    };
    expect(await refusal(envvars.list(FIXTURE_REF, slug))).toEqual(only);
    expect(await refusal(envvars.create(FIXTURE_REF, slug, { name: "ENVVARS_ELSEWHERE", value: "x" }))).toEqual(only);
    expect(await refusal(envvars.upload(FIXTURE_REF, slug, { variables: { ENVVARS_ELSEWHERE: "x" } }))).toEqual(only);
    expect(await refusal(envvars.retrieve(FIXTURE_REF, slug, "ENVVARS_ELSEWHERE"))).toEqual(only);
    expect(await refusal(updateVariable("ENVVARS_ELSEWHERE", "x", slug))).toEqual(only);
    expect(await refusal(envvars.del(FIXTURE_REF, slug, "ENVVARS_ELSEWHERE"))).toEqual(only);
    expect((await envvars.list(FIXTURE_REF, "dev")).map((v) => v.name)).not.toContain("ENVVARS_ELSEWHERE");
  });

  it("the access token opens any existing project; an unknown one is 404 and is not made", async () => {
    await withAccessToken(async () => {
      expect(await envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_BY_TOKEN", value: "t" })).toEqual({ success: true });
      expect(await envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_BY_TOKEN")).toEqual({
        name: "ENVVARS_BY_TOKEN",
        value: "t",
        isSecret: false,
      });
      expect(await refusal(envvars.list("proj_nosuchproject", "dev"))).toEqual({ status: 404, message: "No project proj_nosuchproject" });
      expect(await refusal(envvars.create("proj_nosuchproject", "dev", { name: "X", value: "x" }))).toEqual({
        status: 404,
        message: "No project proj_nosuchproject",
      });
      expect(await refusal(envvars.list("proj_nosuchproject", "dev"))).toMatchObject({ status: 404 });
    });
  });

  it("another project's secret key is refused with 403; its own variables are its own", async () => {
    const otherKey = await otherProject("proj_envvarsother");
    await auth.withAuth({ baseURL: h.url, accessToken: otherKey }, async () => {
      const refused = {
        status: 403,
        message: `This key belongs to project proj_envvarsother; it opens no other project (asked for ${FIXTURE_REF})`,
      };
      expect(await refusal(envvars.list(FIXTURE_REF, "dev"))).toEqual(refused);
      expect(await refusal(envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_INTRUDER", value: "x" }))).toEqual(refused);
      expect(await refusal(envvars.del(FIXTURE_REF, "dev", "ENVVARS_BY_TOKEN"))).toEqual(refused);

      await envvars.create("proj_envvarsother", "dev", { name: "ENVVARS_OTHERS", value: "theirs" });
      expect(await envvars.list("proj_envvarsother", "dev")).toEqual([{ name: "ENVVARS_OTHERS", value: "theirs", isSecret: false }]);
    });
    expect(await refusal(envvars.retrieve(FIXTURE_REF, "dev", "ENVVARS_OTHERS"))).toMatchObject({ status: 404 });
    // The default project's taskEnvironment is not handed to another project's task processes.
    const response = await fetch(`${h.url}/api/v1/projects/proj_envvarsother/envvars`, {
      headers: { authorization: `Bearer ${otherKey}` },
    });
    expect(await response.json()).toEqual({ variables: { ENVVARS_OTHERS: "theirs" } });
  });

  it("no credential, or a wrong one, is 401", async () => {
    for (const authorization of [undefined, "Bearer tr_dev_wrong"]) {
      const response = await fetch(`${h.url}/api/v1/projects/${FIXTURE_REF}/envvars/dev`, {
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
    }
  });

  it("the CLI's variables: the project's, with the platform's taskEnvironment winning a clash", async () => {
    await envvars.create(FIXTURE_REF, "dev", { name: PLATFORM_VARIABLE.name, value: "from the user" });
    expect((await envvars.retrieve(FIXTURE_REF, "dev", PLATFORM_VARIABLE.name)).value).toBe("from the user");
    expect((await cliVariables())[PLATFORM_VARIABLE.name]).toBe(PLATFORM_VARIABLE.value);
  });
});

describe("with the real trigger.dev dev", () => {
  it("a variable set before the CLI starts reaches the task; a change reaches the next run without a restart", async () => {
    await envvars.create(FIXTURE_REF, "dev", { name: "ENVVARS_GREETING", value: "hello" });
    const secret = { name: "ENVVARS_TASK_SECRET", value: "hidden", isSecret: true };
    await envvars.create(FIXTURE_REF, "dev", secret);
    await envvars.create(FIXTURE_REF, "dev", { name: PLATFORM_VARIABLE.name, value: "from the user" });
    cli = await startFixtureCli(h.url);

    const names = ["ENVVARS_GREETING", "ENVVARS_TASK_SECRET", PLATFORM_VARIABLE.name];
    const first = await waitForRun((await tasks.trigger("read-env", { names, retrieve: "ENVVARS_TASK_SECRET" })).id, 60_000);
    expect(first.status).toBe("COMPLETED");
    expect(first.output).toEqual({
      env: { ENVVARS_GREETING: "hello", ENVVARS_TASK_SECRET: "hidden", [PLATFORM_VARIABLE.name]: PLATFORM_VARIABLE.value },
      // envvars.retrieve(name) inside a run: project and environment from the run's context; the secret redacted.
      retrieved: { name: "ENVVARS_TASK_SECRET", value: "<redacted>", isSecret: true },
    });

    await updateVariable("ENVVARS_GREETING", "hello again");
    await envvars.del(FIXTURE_REF, "dev", "ENVVARS_TASK_SECRET");
    const second = await waitForRun((await tasks.trigger("read-env", { names: ["ENVVARS_GREETING"] })).id, 60_000);
    expect(second.output).toEqual({ env: { ENVVARS_GREETING: "hello again" }, retrieved: null });
  }, 180_000);
});
