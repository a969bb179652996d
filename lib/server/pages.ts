/** The real page renderers: the embedded dashboard of lib/dashboard (CONTRACT §13, §12.8). */
import { dashAsset, dashboardHtml, devPageHtml } from "../dashboard/mod.ts";
import type { Pages } from "./context.ts";

export const dashboardPages: Pages = {
  dashboard: dashboardHtml,
  devPage: devPageHtml,
  asset: dashAsset,
};
