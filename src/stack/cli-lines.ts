// How the stack shows the `trigger.dev dev` CLI's own lines: marked as the CLI's, colours kept on a
// terminal, dashboard links clickable there (OSC 8) and written out as URLs anywhere else.
import { withPlainLinks } from "local-trigger/dev-cli";

export function cliLinePrinter(write: (text: string) => void, terminal: boolean) {
  const mark = terminal ? "\u001b[2mtrigger.dev │\u001b[22m " : "trigger.dev │ ";
  return (line: string) => write(`${mark}${terminal ? line : withPlainLinks(line)}\n`);
}
