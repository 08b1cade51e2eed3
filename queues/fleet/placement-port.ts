/**
 * The placement policy as the worker loop sees it: any function with the shape of `place`
 * (queues/fleet/placement.ts), so a test's or a simulator's policy plugs in the same way.
 */
import type { Placement, PlacementInput } from "./placement.js";

export type { FleetExpertDemand, FleetWorkerView, Placement, PlacementInput } from "./placement.js";

export type PlacementPolicy = (input: PlacementInput) => Placement;
