// The page a shopper keeps open after ordering (GET /orders/:id/status). The HTML is the same for every
// order and holds nothing of it but the id in the address: what the order is doing comes from the workflow
// run, read in the browser with the public token in the link's #fragment (order-status-client.ts).
import { ORDER_STEPS } from "../orders/order-progress";

export const ORDER_STATUS_SCRIPT_PATH = "/storefront/order-status.js";
export const ORDER_STATUS_STYLE_PATH = "/storefront/order-status.css";

/** The link a shopper is given: the page, with the run and its read-only token where no server sees them. */
export const orderStatusUrl = (appUrl: string, orderId: string, runId: string, token: string) =>
  `${appUrl}/orders/${encodeURIComponent(orderId)}/status#${new URLSearchParams({ run: runId, token })}`;

export function OrderStatusPage({ orderId, apiUrl }: { orderId: string; apiUrl: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Your order {orderId}</title>
        <link rel="stylesheet" href={ORDER_STATUS_STYLE_PATH} />
      </head>
      <body>
        <main id="order-status" data-api-url={apiUrl}>
          <h1>
            Order <span class="order-id">{orderId}</span>
          </h1>
          <ol class="steps">
            {ORDER_STEPS.map((step) => (
              <li data-step={step.step} data-state="pending">
                {step.label}
              </li>
            ))}
          </ol>
          <p id="outcome" role="status" aria-live="polite" data-tone="info">
            This page follows your order as it happens. It needs JavaScript.
          </p>
        </main>
        <script type="module" src={ORDER_STATUS_SCRIPT_PATH}></script>
      </body>
    </html>
  );
}

export const ORDER_STATUS_CSS = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
main { max-width: 32rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 12px; box-shadow: 0 1px 3px #0002; }
h1 { font-size: 1.3rem; margin-top: 0; } .order-id { font-family: ui-monospace, monospace; }
.steps { list-style: none; padding: 0; } .steps li { padding: .4rem 0 .4rem 1.8rem; position: relative; color: #8a93a3; }
.steps li::before { content: "○"; position: absolute; left: 0; }
.steps li[data-state="done"] { color: #1d2330; } .steps li[data-state="done"]::before { content: "✓"; color: #1f9d55; }
.steps li[data-state="current"] { color: #1d2330; font-weight: 600; } .steps li[data-state="current"]::before { content: "●"; color: #2f6fde; }
.steps li[data-state="stopped"] { color: #b42318; } .steps li[data-state="stopped"]::before { content: "✕"; }
.steps li[data-state="skipped"] { text-decoration: line-through; }
.steps li[data-step="waiting for the bank"][data-state="pending"], .steps li[data-step="waiting for the bank"][data-state="skipped"] { display: none; }
#outcome { padding: .8rem 1rem; border-radius: 8px; background: #eef3fd; }
#outcome[data-tone="ok"] { background: #e8f6ee; } #outcome[data-tone="bad"] { background: #fdecea; }
`;
