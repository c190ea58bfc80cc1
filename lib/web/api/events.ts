/**
 * `GET /v1/events`: live replication status for the pages (Server-Sent
 * Events, DESIGN §6). Events:
 *
 * - `replication`: `{ type: "status", status }`, the whole status, sent at
 *   once and then whenever it changes (at most every 250 ms);
 * - `location`: `{ blobId, nodeId, state }` when a copy is stored, verified or
 *   lost, only for blobs the member may read;
 * - `resync`: too much changed while the client was slow; fetch again.
 *
 * Memory per connection is bounded: nothing is queued while the client is
 * not reading except a "status changed" flag and at most
 * {@link MAX_PENDING_LOCATIONS} location changes (then one `resync`). A
 * comment line every 15 s keeps proxies from closing the stream, and the
 * session is checked again each time, so signing out ends the stream.
 */

import { Hono } from "hono";
import type { ReplicationEvent, Replicator } from "../../replication/mod.ts";
import { describe } from "./openapi.ts";
import { type AppEnv, requireAuth } from "../auth/middleware.ts";
import type { SessionStore } from "../../store/session_store.ts";

export const MAX_PENDING_LOCATIONS = 256;

export interface EventRoutesDeps {
  replication: Replicator;
  sessions: SessionStore;
  canRead(blobId: string, memberKey: string): boolean;
  /** @default 15_000 */
  heartbeatMs?: number;
}

const encoder = new TextEncoder();

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function eventRoutes(deps: EventRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  app.get("/events", describe({ summary: "Live replication status (text/event-stream)" }), (c) => {
    const auth = requireAuth(c);
    let statusDirty = true;
    let ping = false;
    let resync = false;
    let closed = false;
    const locations = new Map<string, Extract<ReplicationEvent, { type: "location" }>>();
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    const off = deps.replication.events.on((e) => {
      if (e.type === "status" || e.type === "records") statusDirty = true;
      else if (e.type === "location") {
        if (locations.size >= MAX_PENDING_LOCATIONS) {
          locations.clear();
          resync = true;
        } else {
          locations.set(`${e.blobId}:${e.nodeId}`, e);
        }
        statusDirty = true;
      }
      notify();
    });
    const heartbeat = setInterval(() => {
      ping = true;
      notify();
    }, heartbeatMs);
    const close = () => {
      if (closed) return;
      closed = true;
      off();
      clearInterval(heartbeat);
      notify();
    };

    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        while (!closed && !statusDirty && !ping && !resync && locations.size === 0) {
          await new Promise<void>((r) => (wake = r));
        }
        if (closed) {
          controller.close();
          return;
        }
        let out = "";
        if (ping) {
          ping = false;
          if (!deps.sessions.lookup(auth.token)) {
            close();
            controller.close();
            return;
          }
          out += ": keep-alive\n\n";
        }
        if (resync) {
          resync = false;
          out += frame("resync", {});
        }
        for (const e of locations.values()) {
          if (deps.canRead(e.blobId, auth.memberKey)) {
            out += frame("location", { blobId: e.blobId, nodeId: e.nodeId, state: e.state });
          }
        }
        locations.clear();
        if (statusDirty) {
          statusDirty = false;
          out += frame("replication", { type: "status", status: deps.replication.status() });
        }
        controller.enqueue(encoder.encode(out));
      },
      cancel() {
        close();
      },
    }, { highWaterMark: 0 });

    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  });

  return app;
}
