/**
 * Server side of islands. A preact `options.vnode` hook spots components that
 * live in `islands/` (from the manifest) and wraps each in
 * `<div data-island="Name" data-props="…json…">`, so the browser can hydrate
 * it from the same props without any inline script (the CSP forbids it).
 *
 * Props must be JSON-serialisable; that is the island contract, as in Fresh.
 */

import { type ComponentType, h, options, type VNode } from "preact";

const islandNames = new Map<unknown, string>();
/** Islands used by the render in progress (SSR is synchronous, so a module slot is safe). */
let used: Set<string> | null = null;
let creatingInner = false;

function IslandFrame(
  props: {
    name: string;
    component: ComponentType<Record<string, unknown>>;
    props: Record<string, unknown>;
  },
): VNode<Record<string, unknown>> {
  creatingInner = true;
  let inner: VNode<Record<string, unknown>>;
  try {
    inner = h(props.component, props.props);
  } finally {
    creatingInner = false;
  }
  return h<Record<string, unknown>>("div", {
    "data-island": props.name,
    "data-props": JSON.stringify(props.props),
    class: "island",
  }, inner);
}

const previousHook = options.vnode;
options.vnode = (vnode: VNode) => {
  const name = islandNames.get(vnode.type);
  if (name !== undefined && !creatingInner && used !== null) {
    used.add(name);
    const original = vnode.type;
    const { children: _ignored, ...rest } = vnode.props as Record<string, unknown>;
    (vnode as { type: unknown }).type = IslandFrame;
    (vnode as { props: unknown }).props = { name, component: original, props: rest };
  }
  previousHook?.(vnode);
};

export function registerIslands(islands: Record<string, { default: unknown }>): void {
  for (const [name, mod] of Object.entries(islands)) islandNames.set(mod.default, name);
}

/** Runs a synchronous render and returns the names of the islands it used. */
export function collectIslands<T>(render: () => T): { result: T; islands: string[] } {
  const previous = used;
  used = new Set();
  try {
    const result = render();
    return { result, islands: [...used] };
  } finally {
    used = previous;
  }
}
