// Messages the mail catcher received (schema "mail_catcher"), shown in the dashboard.
import { bigserial, index, jsonb, pgSchema, text, timestamp } from "drizzle-orm/pg-core";

export const mailCatcher = pgSchema("mail_catcher");

export const caughtMessages = mailCatcher.table(
  "messages",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    messageId: text("message_id"),
    envelopeFrom: text("envelope_from").notNull(),
    envelopeTo: text("envelope_to").array().notNull(),
    fromAddress: text("from_address"),
    toAddress: text("to_address"),
    subject: text("subject"),
    text: text("text"),
    html: text("html"),
    headers: jsonb("headers").$type<Record<string, string>>().notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("messages_message_id_idx").on(t.messageId), index("messages_received_at_idx").on(t.receivedAt)],
);

export type CaughtMessage = typeof caughtMessages.$inferSelect;
