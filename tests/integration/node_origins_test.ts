/**
 * A real node process answers only at its own origins (issue #10 §4): what a DNS-rebinding
 * page or a Host-header trick sends reaches a listening socket, so this goes over TCP.
 */

import assert from "node:assert/strict";
import { rigTest } from "../_support/rig.ts";

/** One HTTP/1.1 request with a Host of our choosing (fetch always sends the URL's own). */
async function rawPost(port: number, host: string, path: string): Promise<[number, string]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const request = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      `Content-Length: 2\r\nConnection: close\r\n\r\n{}`;
    await conn.write(new TextEncoder().encode(request));
    const text = new TextDecoder().decode(
      await new Response(conn.readable).arrayBuffer().catch(() => new ArrayBuffer(0)),
    );
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    return [status, text.slice(text.indexOf("\r\n\r\n") + 4)];
  } finally {
    try {
      conn.close();
    } catch { /* closed by reading to the end */ }
  }
}

rigTest(
  "A node without --public-url answers sign-in challenges only for its own host and port",
  async (rig) => {
    const node = await rig.node();
    const [evil, body] = await rawPost(
      node.port,
      `evil.example:${node.port}`,
      "/v1/auth/challenge",
    );
    assert.equal(evil, 421);
    assert.match(body, /--public-url http:\/\/evil\.example/);
    for (const host of [`127.0.0.1:${node.port}`, `localhost:${node.port}`]) {
      const [status, json] = await rawPost(node.port, host, "/v1/auth/challenge");
      assert.equal(status, 200, host);
      assert.equal(JSON.parse(json).origin, `http://${host}`);
    }
    assert.equal((await rawPost(node.port, "localhost:1", "/v1/auth/challenge"))[0], 421);
    assert.match(node.output(), /Refused requests for an address this node does not answer at/);
  },
);

rigTest(
  "A node with --public-url binds sign-ins to it, and still answers at its loopback address",
  async (rig) => {
    const node = await rig.node({ args: ["--public-url", "https://photos.example"] });
    for (const host of ["photos.example", `127.0.0.1:${node.port}`]) {
      const [status, json] = await rawPost(node.port, host, "/v1/auth/challenge");
      assert.equal(status, 200, host);
      assert.equal(JSON.parse(json).origin, "https://photos.example");
    }
    assert.equal((await rawPost(node.port, "evil.example", "/v1/auth/challenge"))[0], 421);
  },
);
