/**
 * @module
 * The signaling relay (DESIGN §8): nodes behind NAT meet here to exchange
 * signed WebRTC offers and answers; it also hands out short-lived TURN REST
 * credentials for the operator's coturn. Run alone as `p2pos signal`, or
 * inside a node with `--signal`.
 *
 * ```ts
 * const server = await serveRelay({ host: "0.0.0.0", port: 8430 }, { turn });
 * ```
 */

export { type RelayOptions, type RelayStats, SignalRelay } from "./relay.ts";
export { relayHandler, type RelayServer, serveRelay } from "./serve_relay.ts";
export { BucketMap, type Rate, TokenBucket } from "./rate_limit.ts";
export { type TurnConfig, turnCredentials } from "./turn_credentials.ts";
export type { BusSignal, RelayBus } from "./bus.ts";
export { NatsBus, type NatsBusOptions } from "./nats_bus.ts";
