/** Every Trigger.dev run of an order carries this tag: the dashboard and the API find its runs by it. */
export const orderTag = (orderId: string) => `order:${orderId}`;
