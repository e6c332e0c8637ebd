// What a vitest globalSetup built on startTestPostgres hands its test files (project.provide / inject).
declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    templateDatabase: string;
  }
}
export {};
