// What a project needs to add its own pages to the platform's dashboard: the extension's shape and the
// page parts the platform's own pages are made of, so that added pages look the same.
export type { DashboardContext, DashboardExtension, RenderPage } from "./dashboard-routes";
export { ActionButton, DataTable, formatDuration, formatTime, JsonBlock, StatusBadge, withQuery, type NavItem } from "./page-shell";
export { BulkActionProgress, type BulkActionShown } from "./bulk-action-progress";
