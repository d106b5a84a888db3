// The edge router (data plane): see docs/architecture.md, "Edge router".
export { RouteTable, normalizeHost, type RouteMatch, type RouteTableSize, type ReleaseListener } from './route-table.ts';
export { startRouter, type RouterOptions, type RunningRouter } from './start-router.ts';
export { followRouteStream, type FollowRouteStreamOptions, type RouteStreamFollower } from './follow-route-stream.ts';
export { readRouteTableCache, writeRouteTableCache } from './route-table-cache.ts';
export { RouterMetrics } from './router-metrics.ts';
export type { RouterLogger } from './router-context.ts';
export { RouteStreamApplier, type AppliedEvent } from './route-stream-applier.ts';
export { SseParser, type ServerSentEvent } from './sse-parser.ts';
